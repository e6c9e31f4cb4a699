/**
 * The work a serverless host schedules itself (the Node server does it on its own): the hourly
 * sweep and draining the outbox, and the outbox's recent rows for the settings page's log.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { AllocationRun } from "../../../contract/ledger.js";
import { type DeliveryBreaker, OutboxDrainResult, type OutboxItem, OutboxPage } from "../../../contract/portal.js";
import * as breakerStore from "../../storage/breakers.js";
import * as outboxStore from "../../storage/outbox.js";
import * as walletStore from "../../storage/wallets.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody } from "../openapi.js";

const toOutboxItem = (row: outboxStore.OutboxRow, names: ReadonlyMap<string, string>): OutboxItem => ({
  id: row.id,
  kind: row.kind,
  state: row.state,
  attempts: row.attempts,
  lastError: row.lastError,
  nextAttemptAt: row.state === "pending" ? row.nextAttemptAt.toISOString() : null,
  createdAt: row.createdAt.toISOString(),
  doneAt: row.doneAt?.toISOString() ?? null,
  summary: summaryOf(row.payload, names),
});

const toBreaker = (row: breakerStore.BreakerRow, now: Date): DeliveryBreaker => ({
  target: row.target === "webhooks" ? "webhooks" : "helpdesk",
  state: row.nextTryAt === null ? "closed" : row.nextTryAt > now ? "open" : "half_open",
  failures: row.failures,
  openedAt: row.openedAt?.toISOString() ?? null,
  nextTryAt: row.nextTryAt?.toISOString() ?? null,
  lastError: row.lastError,
});

/** Events and jobs as an admin says them. */
const EVENT_WORDS: Record<string, string> = {
  "balance.low": "Low balance",
  "balance.depleted": "Out of credits",
  "balance.recovered": "Credits back above the alert level",
  "credits.expiring": "Credits expiring",
  "ticket.created": "Ticket created",
  "ticket.updated": "Ticket updated",
  "sla.failed": "SLA failed",
  reconcile: "Portal ticket checked",
  sla: "SLA failed",
};

const ownerOf = (payload: unknown): string | null =>
  payload !== null && typeof payload === "object" && typeof (payload as { owner?: unknown }).owner === "string" ? (payload as { owner: string }).owner : null;

/** A bank by the name Deskpro gave it, else by its kind and number ("organisation 43"). */
function bankWords(owner: string, names: ReadonlyMap<string, string>): string {
  const named = names.get(owner);
  if (named) return named;
  const [kind, id] = owner.split(":");
  return kind === "org" ? `organisation ${id}` : kind === "person" ? `person ${id}` : owner;
}

/** A few safe words from a row's payload for the delivery log: the event, the bank's name, the ticket, the endpoint; never message text. */
function summaryOf(payload: unknown, names: ReadonlyMap<string, string>): string | null {
  if (payload === null || typeof payload !== "object") return null;
  const p = payload as Record<string, unknown>;
  const text = (key: string) => (typeof p[key] === "string" || typeof p[key] === "number" ? String(p[key]) : null);
  const event = text("type") ?? text("job");
  const owner = ownerOf(payload);
  const parts = [
    event === null ? null : (EVENT_WORDS[event] ?? event),
    owner === null ? null : bankWords(owner, names),
    text("ticketId") !== null ? `ticket ${text("ticketId")}` : null,
    text("webhookId") !== null ? `to ${text("webhookId")}` : null,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(" · ").slice(0, 200) : null;
}

export function operationRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/cron/allocate",
      operationId: "runAllocation",
      tags: ["Operations"],
      summary: "Give every wallet its plan's allocation for the current period and announce credits about to expire (run hourly; safe to run twice or at once)",
      description:
        "For serverless hosts (the Node server runs it itself): call hourly with body `{}`. Each bank is allocated once per period and each expiring grant announced once, however often or concurrently this runs.",
      request: jsonBody(z.object({})),
      responses: { 200: json(AllocationRun, "Wallets looked at and wallets allocated"), ...commonProblems },
    }),
    async (c) => {
      const { checked, allocated, expiringNotices } = await c.get("ledger").sweep(tenantOf(c));
      return c.json({ checked, allocated, expiringNotices }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/outbox/drain",
      operationId: "drainOutbox",
      tags: ["Operations"],
      summary: "Deliver what is due in this tenant's outbox (for a cron job; send {} as the body)",
      description:
        "For serverless hosts (the Node server drains continuously): call every minute with body `{}`. Delivers Deskpro write-backs, portal jobs and alerts that are due; failures are retried later with back-off and given up after several attempts. `remaining` above 0 means call again.",
      request: jsonBody(z.object({ maxRows: z.int().min(1).max(1000).optional() })),
      responses: { 200: json(OutboxDrainResult, "What was delivered, retried or given up"), ...commonProblems },
    }),
    async (c) => {
      const { delivered, retrying, failed, remaining } = await c.get("ledger").drain({ tenantId: tenantOf(c), maxRows: c.req.valid("json").maxRows ?? 200 });
      return c.json({ delivered, retrying, failed, remaining }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/outbox",
      operationId: "listOutbox",
      tags: ["Operations"],
      summary: "Recent outbox rows (write-backs, jobs, alert deliveries), newest first, with attempts and last error",
      description:
        "The delivery log: `kind` filters by prefix (`alert` for alert deliveries). Rows name the event, bank, ticket and endpoint, never message text or secrets. `breakers` says which of the tenant's targets (its helpdesk, its webhooks) have been failing and whether their deliveries are held back.",
      request: {
        query: z.object({
          kind: z
            .string()
            .regex(/^[a-z.]{1,40}$/)
            .optional()
            .meta({ description: "Only rows whose kind starts with this, e.g. `alert`" }),
          limit: z.coerce.number().int().min(1).max(200).default(50).meta({ description: "How many rows, newest first" }),
        }),
      },
      responses: { 200: json(OutboxPage, "Outbox rows"), ...commonProblems },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const [rows, breakers] = await Promise.all([
        outboxStore.listRows(coreOf(c).db, tenantOf(c), { kindPrefix: query.kind, limit: query.limit }),
        breakerStore.listTroubled(coreOf(c).db, tenantOf(c)),
      ]);
      const now = coreOf(c).clock();
      const owners = [...new Set(rows.map((r) => ownerOf(r.payload)).filter((o): o is string => o !== null))];
      const names = await walletStore.displayNames(coreOf(c).db, tenantOf(c), owners);
      return c.json({ items: rows.map((r) => toOutboxItem(r, names)), breakers: breakers.map((b) => toBreaker(b, now)) }, 200);
    },
  );
  return app;
}
