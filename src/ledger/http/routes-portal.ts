/**
 * The portal flow's HTTP side: the webhooks Deskpro's triggers call (authenticated by the
 * tenant's webhook secret header, not the API key), the tenant's Deskpro connection and portal
 * settings, and the outbox's cron endpoint.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import {
  BankProfileRefresh,
  DeskproConnection,
  Owner,
  DeskproConnectionRequest,
  OutboxDrainResult,
  OutboxItem,
  OutboxPage,
  PortalEvent,
  PortalHookAccepted,
  PortalSettings,
  PortalSettingsResponse,
  PortalTicket,
  TicketId,
} from "../../contract/index.js";
import { ProblemError, problems } from "../errors.js";
import { refreshBankProfile } from "../bank-facts.js";
import { DeskproError } from "../integrations/deskpro/client.js";
import { clientFor, defaultClientFactory, DeskproNotConnected, getConnection, putConnection, webhookSecretMatches } from "../integrations/deskpro/connection.js";
import * as service from "../service.js";
import { drainOutbox, type OutboxOptions } from "../outbox.js";
import { getPortalTicket, loadPortalSettings, queuePortalEvent, savePortalSettings } from "../portal.js";
import * as outboxStore from "../storage/outbox.js";
import { readBodyCapped, type LedgerEnv } from "./app.js";
import { commonProblems, json, jsonBody, problem } from "./openapi.js";

export interface PortalRouteOptions extends OutboxOptions {
  /** Called when work was queued (the Node process drains at once instead of at its next tick). */
  onQueued?: () => void;
}

export const WEBHOOK_SECRET_HEADER = "x-credits-webhook-secret";
export const TICKET_ID_HEADER = "x-deskpro-ticket-id";
const MAX_HOOK_BODY_BYTES = 512 * 1024;

const HOOK_EVENTS: Record<string, PortalEvent> = {
  "ticket-created": "ticket.created",
  "ticket-updated": "ticket.updated",
  "sla-failed": "sla.failed",
};



/**
 * The ticket id a Deskpro webhook names: the custom header (set in the webhook action as
 * `{{ ticket.id }}`), else the ticket data in the body, which Deskpro sends form-encoded
 * (`ticket[id]=5`) or, from newer helpdesks and the development host, as JSON.
 */
export function ticketIdFromHook(headers: Headers, contentType: string, body: string): string {
  const header = headers.get(TICKET_ID_HEADER)?.trim();
  let fromBody: unknown;
  if (body.trim() !== "") {
    if (/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw problems.invalid("The webhook body is not valid JSON.");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw problems.invalid("The webhook body must be a JSON object.");
      const o = parsed as Record<string, unknown>;
      const ticket = o.ticket as Record<string, unknown> | undefined;
      fromBody = (ticket && typeof ticket === "object" ? ticket.id : undefined) ?? o.ticket_id ?? o.ticketId;
    } else if (/^application\/x-www-form-urlencoded\s*(?:;|$)/i.test(contentType)) {
      const form = new URLSearchParams(body);
      fromBody = form.get("ticket[id]") ?? form.get("ticket_id") ?? undefined;
    } else if (contentType.trim() !== "") {
      throw new ProblemError(415, "unsupported_media_type", "Unsupported media type", "Send the webhook as JSON or form-encoded (Deskpro's default), or with no body.");
    }
  }
  const candidates = [header, fromBody === undefined || fromBody === null ? undefined : String(fromBody)].filter((v): v is string => v !== undefined && v !== "");
  if (candidates.length === 0) {
    throw problems.invalid(`No ticket id: add the header '${TICKET_ID_HEADER}: {{ ticket.id }}' to the webhook action.`, [{ path: `header.${TICKET_ID_HEADER}`, message: "required" }]);
  }
  const parsed = candidates.map((c) => TicketId.safeParse(c));
  if (parsed.some((p) => !p.success)) {
    throw problems.invalid("The ticket id must be a numeric Deskpro ticket id.", [{ path: `header.${TICKET_ID_HEADER}`, message: "must be a numeric Deskpro ticket id" }]);
  }
  if (new Set(candidates).size > 1) throw problems.invalid("The ticket id in the header and the one in the body differ.", [{ path: `header.${TICKET_ID_HEADER}`, message: "differs from the body" }]);
  return candidates[0]!;
}

const TENANT_ID = /^tnt_[0-9a-z]{26}$/;

const toOutboxItem = (row: outboxStore.OutboxRow): OutboxItem => ({
  id: row.id,
  kind: row.kind,
  state: row.state,
  attempts: row.attempts,
  lastError: row.lastError,
  nextAttemptAt: row.state === "pending" ? row.nextAttemptAt.toISOString() : null,
  createdAt: row.createdAt.toISOString(),
  doneAt: row.doneAt?.toISOString() ?? null,
  summary: summaryOf(row.payload),
});

/** A few safe words from a row's payload for the delivery log: ids and event names only. */
function summaryOf(payload: unknown): string | null {
  if (payload === null || typeof payload !== "object") return null;
  const p = payload as Record<string, unknown>;
  const text = (key: string) => (typeof p[key] === "string" || typeof p[key] === "number" ? String(p[key]) : null);
  const parts = [
    text("type") ?? text("job"),
    text("owner"),
    text("ticketId") !== null ? `ticket ${text("ticketId")}` : null,
    text("webhookId") !== null ? `to ${text("webhookId")}` : null,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(" · ").slice(0, 200) : null;
}

export function registerPortalRoutes(app: OpenAPIHono<LedgerEnv>, options: PortalRouteOptions = {}): void {
  const tenant = (c: Context<LedgerEnv>) => c.get("tenantId");
  const ledger = (c: Context<LedgerEnv>) => c.get("ledger");

  // Deskpro's trigger and SLA webhook actions. Authenticated before anything is read or written.
  app.post("/hooks/deskpro/:tenantId/:event", async (c) => {
    const tenantId = c.req.param("tenantId");
    const event = HOOK_EVENTS[c.req.param("event")];
    const secret = c.req.header(WEBHOOK_SECRET_HEADER);
    if (!TENANT_ID.test(tenantId) || !(await webhookSecretMatches(ledger(c).db, tenantId, secret))) {
      throw new ProblemError(401, "unauthorized", "Unauthorized", `Send the tenant's webhook secret in the '${WEBHOOK_SECRET_HEADER}' header.`);
    }
    c.set("tenantId", tenantId);
    if (!event) throw problems.notFound(`No such webhook; use one of ${Object.keys(HOOK_EVENTS).join(", ")}.`);
    const body = await readBodyCapped(c.req.raw, MAX_HOOK_BODY_BYTES);
    const ticketId = ticketIdFromHook(c.req.raw.headers, c.req.header("content-type") ?? "", body);
    const jobId = await queuePortalEvent(ledger(c), tenantId, event, ticketId);
    options.onQueued?.();
    return c.json({ received: true, event, ticketId, jobId } satisfies PortalHookAccepted, 202);
  });

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/profile/refresh",
      summary: "Read the bank's facts (custom fields, SLAs) from Deskpro now, for the plan rules; the sidebars call this when opened",
      request: { params: z.object({ owner: Owner }), ...jsonBody(z.object({})) },
      responses: {
        200: json(BankProfileRefresh, "Whether Deskpro was read, whether the facts changed, and the bank on the plan they give"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro did not answer or refused; nothing was changed"),
      },
    }),
    async (c) => {
      const owner = c.req.valid("param").owner;
      try {
        const client = await clientFor(ledger(c).db, tenant(c), options.deskproClients ?? defaultClientFactory());
        const result = await refreshBankProfile(ledger(c), tenant(c), owner, client);
        return c.json({ read: result.read, changed: result.changed, wallet: result.wallet ?? (await service.getWallet(ledger(c), tenant(c), owner)) }, 200);
      } catch (error) {
        if (error instanceof DeskproNotConnected) {
          throw new ProblemError(409, "deskpro_not_connected", "Deskpro not connected", "Set the helpdesk's address and an API key on the settings page (or PUT /v1/integrations/deskpro) first.");
        }
        if (error instanceof DeskproError) {
          // The status only: Deskpro's answer may echo request details that don't belong in our errors.
          throw new ProblemError(502, "deskpro_unavailable", "Deskpro unavailable", `Deskpro could not be read (${error.status ?? "no answer"}). Nothing was changed.`);
        }
        throw error;
      }
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/deskpro",
      summary: "The Deskpro connection: its URL and whether the API key and webhook secret are set (never their values)",
      responses: { 200: json(DeskproConnection, "The connection"), ...commonProblems },
    }),
    async (c) => c.json(await getConnection(ledger(c).db, tenant(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/integrations/deskpro",
      summary: "Set the Deskpro URL, API key and webhook secret (secrets left out are kept)",
      request: jsonBody(DeskproConnectionRequest),
      responses: { 200: json(DeskproConnection, "The connection (without secrets)"), ...commonProblems, 503: problem("The server has no key to seal secrets with") },
    }),
    async (c) => c.json(await putConnection(ledger(c).db, tenant(c), c.req.valid("json"), ledger(c).clock()), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/settings",
      summary: "The portal tier field, its options' tiers, the fallback tier, buy link and message wording",
      responses: { 200: json(PortalSettingsResponse, "The settings"), ...commonProblems },
    }),
    async (c) => {
      const { settings, updatedAt } = await loadPortalSettings(ledger(c).db, tenant(c));
      return c.json({ settings, updatedAt: updatedAt?.toISOString() ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/portal/settings",
      summary: "Replace the portal settings (fields left out take their defaults)",
      request: jsonBody(PortalSettings),
      responses: { 200: json(PortalSettingsResponse, "The saved settings"), ...commonProblems },
    }),
    async (c) => {
      const saved = await savePortalSettings(ledger(c), tenant(c), c.req.valid("json"));
      return c.json({ settings: saved.settings, updatedAt: saved.updatedAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/tickets/{ticketId}",
      summary: "What the ledger saw and did on a portal ticket",
      request: { params: z.object({ ticketId: TicketId }) },
      responses: { 200: json(PortalTicket, "The portal ticket"), ...commonProblems, 404: problem("Not a ticket the ledger has seen") },
    }),
    async (c) => c.json(await getPortalTicket(ledger(c), tenant(c), c.req.valid("param").ticketId), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/outbox/drain",
      summary: "Deliver what is due in this tenant's outbox (for a cron job; send {} as the body)",
      request: jsonBody(z.object({ maxRows: z.int().min(1).max(1000).optional() })),
      responses: { 200: json(OutboxDrainResult, "What was delivered, retried or given up"), ...commonProblems },
    }),
    async (c) => {
      const result = await drainOutbox(ledger(c), { ...options, tenantId: tenant(c), maxRows: c.req.valid("json").maxRows ?? 200 });
      return c.json(result, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/outbox",
      summary: "Recent outbox rows (write-backs, jobs, alert deliveries), newest first, with attempts and last error",
      request: { query: z.object({ kind: z.string().regex(/^[a-z.]{1,40}$/).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: { 200: json(OutboxPage, "Outbox rows"), ...commonProblems },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const rows = await outboxStore.listRows(ledger(c).db, tenant(c), { kindPrefix: query.kind, limit: query.limit });
      return c.json({ items: rows.map(toOutboxItem) }, 200);
    },
  );
}
