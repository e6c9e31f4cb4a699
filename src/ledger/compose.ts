/**
 * Where the ledger is put together: the core, and the features that hook into it. Each feature
 * registers the outbox kinds it delivers and the after-post hooks it needs here, so the core
 * knows none of them. The HTTP app, the Node server, the serverless adapters and the tests all
 * compose the ledger through `composeLedger`.
 */
import type { AllocationRun, OutboxDrainResult } from "../contract/index.js";
import type { Clock, LedgerContext } from "./core/context.js";
import { LedgerMetrics } from "./core/metrics.js";
import { outboundFetch, outboundPolicyFromEnv, type OutboundPolicy } from "./core/outbound.js";
import { drainOutbox, outboxHandlers as byKind, type DrainOptions, type OutboxDelivery, type OutboxHandlers } from "./core/outbox.js";
import { allocateAll, loadConfig } from "./core/wallets.js";
import { alertHandlers, evaluateAlerts, queueExpiringNotices } from "./features/alerts.js";
import { deskproBillingHandlers, queueRecentBillingReads } from "./features/deskpro-billing.js";
import { portalTierHandlers } from "./features/portal-tiers.js";
import type { StripeApiAddress } from "./features/payments.js";
import { checkAutoRecharge, rechargeHandlers } from "./features/recharge.js";
import { defaultClientFactory, type DeskproClientFactory } from "./integrations/deskpro/connection.js";
import { deskproWriteHandlers } from "./integrations/deskpro/writes.js";
import type { Database } from "./storage/db.js";

export interface LedgerOptions {
  db: Database;
  clock?: Clock;
  /** How the ledger reaches each tenant's helpdesk (tests pass short retry timings). */
  deskproClients?: DeskproClientFactory;
  /** Where outgoing calls may go; by default public https addresses, unless LEDGER_ALLOW_PRIVATE_NETWORK=true. */
  outbound?: OutboundPolicy;
  /** Another address for Stripe's API (LEDGER_STRIPE_API_URL), for the charges auto-recharge makes. */
  stripeApi?: StripeApiAddress;
}

export interface Ledger {
  context: LedgerContext;
  /** Clients of the tenants' helpdesks, calling out under the outbound policy. */
  deskproClients: DeskproClientFactory;
  outbound: OutboundPolicy;
  /** The fetch every call to an address a tenant gave goes through (alert webhooks, helpdesks). */
  fetch: typeof fetch;
  outboxHandlers: OutboxHandlers;
  /** The handlers, the breaker each kind counts against, and the metrics that watch deliveries. */
  outbox: OutboxDelivery;
  /** Figures for monitoring (`GET /metrics`). */
  metrics: LedgerMetrics;
  /** Delivers what is due in the outbox (every tenant's, or one's), tenants side by side. */
  drain(options?: DrainOptions): Promise<OutboxDrainResult & { rounds: number }>;
  /**
   * A tenant's scheduled work: every wallet's allocation for the period, then notices of credits
   * about to expire. `shouldStop` (a time budget) ends it early; `stoppedEarly` says so, and the
   * next run goes on.
   */
  sweep(tenantId: string, options?: { shouldStop?: () => boolean }): Promise<AllocationRun & { stoppedEarly: boolean }>;
}

export function composeLedger(options: LedgerOptions): Ledger {
  const context: LedgerContext = { db: options.db, clock: options.clock ?? (() => new Date()), afterPost: [evaluateAlerts, checkAutoRecharge] };
  const metrics = new LedgerMetrics(options.db, context.clock);
  const outbound = options.outbound ?? outboundPolicyFromEnv();
  const doFetch = outboundFetch(outbound);
  const helpdeskFetch = metrics.timedFetch("helpdesk", doFetch);
  const webhookFetch = metrics.timedFetch("webhooks", doFetch);
  const clients = options.deskproClients ?? defaultClientFactory();
  const deskproClients: DeskproClientFactory = (connection) => clients({ ...connection, fetch: helpdeskFetch });
  // Every kind of outbox work, each declared (name, payload schema, whom it calls) beside its handler.
  const outboxHandlers: OutboxHandlers = byKind([
    ...deskproWriteHandlers(deskproClients),
    ...portalTierHandlers(deskproClients),
    ...alertHandlers({ deskproClients, fetch: webhookFetch }),
    ...deskproBillingHandlers(deskproClients),
    ...rechargeHandlers({ deskproClients, ...(options.stripeApi ? { stripeApi: options.stripeApi } : {}) }),
  ]);
  const outbox: OutboxDelivery = { handlers: outboxHandlers, observer: metrics };
  return {
    context,
    deskproClients,
    outbound,
    fetch: webhookFetch,
    outboxHandlers,
    outbox,
    metrics,
    drain: (drainOptions) =>
      drainOutbox(context, outbox, {
        ...drainOptions,
        onLane: drainOptions?.onLane ?? ((tenantId, seconds) => metrics.background(tenantId, "outbox", seconds)),
      }),
    sweep: async (tenantId, sweepOptions = {}) => {
      const run = await allocateAll(context, tenantId, sweepOptions);
      // Out of time: notices wait for the run that finishes the allocations.
      if (run.stoppedEarly) return { ...run, expiringNotices: 0 };
      // Tickets whose Deskpro charges changed lately are read again: an edit or delete there is counted within the hour.
      await queueRecentBillingReads(context, tenantId);
      // Expiring credits are announced after allocation, so a rollover made this run isn't
      // announced as about to lapse while the old grant it replaces is.
      const { config } = await loadConfig(context.db, tenantId);
      return { ...run, expiringNotices: await queueExpiringNotices(context.db, tenantId, config, context.clock()) };
    },
  };
}
