/**
 * The ledger's figures for monitoring, in Prometheus's text format (prom-client), served to the
 * operator at `GET /metrics`. One registry per composed ledger, so two ledgers in one process (tests)
 * don't mix their counts.
 *
 * Label cardinality: a series exists per combination of label values, so labels take only values
 * from small, known sets. Route patterns (never URLs), methods, statuses, problem codes, targets and
 * outcomes are such sets. Tenant ids are as many as the tenants, so they label only per-tenant
 * figures with a few series each (requests, refusals by reason, outbox depth and age, deliveries,
 * breakers, background time), never the request counter by route and status (tenants × routes ×
 * statuses) or a histogram (tenants × buckets). And only tenants the ledger has authenticated or
 * read from its own tables: a path's made-up tenant id never becomes a label.
 * Counters count in this process (sum them across processes); gauges read from the database
 * are the same from any process.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import * as breakerRows from "../storage/breakers.js";
import type { Database } from "../storage/db.js";
import * as outboxRows from "../storage/outbox.js";
import * as tenantRows from "../storage/tenants.js";
import type { Clock } from "./context.js";
import type { DeliveryObserver } from "./outbox.js";

/** Where an outgoing call went: a tenant's helpdesk, or one of its alert webhook endpoints. */
export type OutboundTarget = "helpdesk" | "webhooks";

export class LedgerMetrics implements DeliveryObserver {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "ledger_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [this.registry],
  });
  private readonly refusals = new Counter({
    name: "ledger_http_refusals_total",
    help: "Requests refused with a problem (4xx), by its code; tenant_id only for requests made with a tenant's key, else empty",
    labelNames: ["reason", "tenant_id"] as const,
    registers: [this.registry],
  });
  private readonly tenantRequests = new Counter({
    name: "ledger_tenant_requests_total",
    help: "Requests made with a tenant's API key, by tenant",
    labelNames: ["tenant_id"] as const,
    registers: [this.registry],
  });
  private readonly outboundCalls = new Histogram({
    name: "ledger_outbound_call_duration_seconds",
    help: "Calls to tenants' helpdesks and alert webhook endpoints, by target and outcome (2xx…5xx, timeout, error)",
    labelNames: ["target", "outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly deliveries = new Counter({
    name: "ledger_outbox_deliveries_total",
    help: "Outbox deliveries by tenant, target and outcome (delivered, retrying, failed, released: given back untried as its breaker opened)",
    labelNames: ["tenant_id", "target", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly deliveryFailures = new Counter({
    name: "ledger_outbox_delivery_failures_total",
    help: "Failed outbox deliveries by tenant, target and reason (deadline, unavailable: no or a 5xx answer, rejected: a permanent refusal, other)",
    labelNames: ["tenant_id", "target", "reason"] as const,
    registers: [this.registry],
  });
  private readonly backgroundSeconds = new Counter({
    name: "ledger_background_seconds_total",
    help: "Time this process spent on a tenant's background work, by task (outbox, allocate)",
    labelNames: ["tenant_id", "task"] as const,
    registers: [this.registry],
  });
  private readonly backgroundRuns = new Counter({
    name: "ledger_background_runs_total",
    help: "Tenants' background runs by task and outcome (done, failed, over_budget: stopped at the tenant's time budget, to go on next run)",
    labelNames: ["tenant_id", "task", "outcome"] as const,
    registers: [this.registry],
  });
  private readonly outboxPending = new Gauge({
    name: "ledger_outbox_pending",
    help: "Outbox rows waiting to be delivered, by tenant (read from the database at each scrape)",
    labelNames: ["tenant_id"] as const,
    registers: [this.registry],
  });
  private readonly outboxDue = new Gauge({
    name: "ledger_outbox_due",
    help: "Outbox rows due now, by tenant",
    labelNames: ["tenant_id"] as const,
    registers: [this.registry],
  });
  private readonly outboxOldest = new Gauge({
    name: "ledger_outbox_oldest_age_seconds",
    help: "Age of the tenant's oldest undelivered outbox row",
    labelNames: ["tenant_id"] as const,
    registers: [this.registry],
  });
  private readonly breakerOpen = new Gauge({
    name: "ledger_delivery_breaker_open",
    help: "1 while the tenant's circuit breaker for a target holds its deliveries back",
    labelNames: ["tenant_id", "target"] as const,
    registers: [this.registry],
  });
  private readonly breakerFailures = new Gauge({
    name: "ledger_delivery_breaker_failures",
    help: "Failures in a row for want of an answer, by tenant and target",
    labelNames: ["tenant_id", "target"] as const,
    registers: [this.registry],
  });
  private readonly suspended = new Gauge({
    name: "ledger_tenant_suspended",
    help: "1 for each tenant an operator has suspended",
    labelNames: ["tenant_id"] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** One answered request; `tenantId` only when a tenant's key authenticated it. */
  request(event: { method: string; route: string; status: number; problem: string | null; tenantId: string | null }): void {
    this.requests.inc({ method: event.method, route: event.route, status: String(event.status) });
    if (event.tenantId) this.tenantRequests.inc({ tenant_id: event.tenantId });
    if (event.problem && event.status >= 400 && event.status < 500) this.refusals.inc({ reason: event.problem, tenant_id: event.tenantId ?? "" });
  }

  delivery(event: Parameters<DeliveryObserver["delivery"]>[0]): void {
    this.deliveries.inc({ tenant_id: event.tenantId, target: event.target, outcome: event.outcome });
    if (event.reason) this.deliveryFailures.inc({ tenant_id: event.tenantId, target: event.target, reason: event.reason });
  }

  background(tenantId: string, task: "outbox" | "allocate", seconds: number, outcome?: "done" | "failed" | "over_budget"): void {
    this.backgroundSeconds.inc({ tenant_id: tenantId, task }, seconds);
    if (outcome) this.backgroundRuns.inc({ tenant_id: tenantId, task, outcome });
  }

  /** A fetch that times every call it makes, as calls to `target`. */
  timedFetch(target: OutboundTarget, inner: typeof fetch): typeof fetch {
    return async (input, init) => {
      const end = this.outboundCalls.startTimer({ target });
      try {
        const response = await inner(input, init);
        end({ outcome: `${Math.floor(response.status / 100)}xx` });
        return response;
      } catch (error) {
        const name = (error as Error)?.name;
        end({ outcome: name === "TimeoutError" || name === "AbortError" ? "timeout" : "error" });
        throw error;
      }
    };
  }

  /** The text a scrape gets: the gauges read afresh from the database, then everything. */
  async render(): Promise<{ contentType: string; text: string }> {
    const now = this.clock();
    const [pending, troubled, tenants] = await Promise.all([
      outboxRows.pendingByTenant(this.db, now),
      breakerRows.listTroubled(this.db, null),
      tenantRows.listTenants(this.db),
    ]);
    for (const gauge of [this.outboxPending, this.outboxDue, this.outboxOldest, this.breakerOpen, this.breakerFailures, this.suspended]) gauge.reset();
    for (const row of pending) {
      this.outboxPending.set({ tenant_id: row.tenantId }, row.pending);
      this.outboxDue.set({ tenant_id: row.tenantId }, row.due);
      this.outboxOldest.set({ tenant_id: row.tenantId }, Math.max(0, (now.getTime() - row.oldest.getTime()) / 1000));
    }
    for (const breaker of troubled) {
      const labels = { tenant_id: breaker.tenantId, target: breaker.target };
      this.breakerOpen.set(labels, breaker.nextTryAt !== null && breaker.nextTryAt > now ? 1 : 0);
      this.breakerFailures.set(labels, breaker.failures);
    }
    for (const tenant of tenants) if (tenant.suspendedAt) this.suspended.set({ tenant_id: tenant.id }, 1);
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
