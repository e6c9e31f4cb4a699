/**
 * Paid tiers on Deskpro's portal, over HTTP: the web hooks Deskpro's triggers call (authenticated
 * by the tenant's webhook secret header, not the API key), the portal settings and what the
 * ledger did on each portal ticket.
 */
import { createRoute, z } from "@hono/zod-openapi";
import {
  type PortalEvent,
  PortalHookAccepted,
  PortalSettings,
  PortalSettingsResponse,
  PortalTicket,
  PortalSetup,
  PortalTierLabels,
  TicketId,
  TierFieldCreated,
  TierFieldRequest,
} from "../../../contract/index.js";
import { isTenantSuspended } from "../../core/tenants.js";
import { queueBillingRead } from "../../features/deskpro-billing.js";
import { createTierField, portalSetup } from "../../features/portal-setup.js";
import { checkTierLabels, getPortalTicket, loadPortalSettings, queuePortalEvent, savePortalSettings } from "../../features/portal-tiers.js";
import { webhookSecretMatches } from "../../integrations/deskpro/connection.js";
import { readHookBody } from "../../integrations/deskpro/webhook-body.js";
import { coreOf, newRouter, readBodyCapped, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody, problem, rateLimitedProblem, ticketParams, unexpectedProblem } from "../openapi.js";
import { HttpProblem, invalidRequest, suspendedProblem } from "../problems.js";

export interface PortalTierRouteOptions {
  /** Called when work was queued (the Node process drains at once instead of at its next tick). */
  onQueued?: () => void;
  /** The ledger's public address, for the web hook URLs to copy; default: the request's origin. */
  publicUrl?: string;
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
 * The ticket id a Deskpro webhook names: the custom header (set in the web hook action as
 * `{{ ticket.id }}`), else `ticket[id]` in the body (see webhook-body.ts). With the header, the
 * body's format never matters: it is only checked not to name another ticket.
 */
async function ticketIdFromHook(headers: Headers, contentType: string, body: string): Promise<string> {
  const header = headers.get(TICKET_ID_HEADER)?.trim() || undefined;
  const read = await readHookBody(contentType, body);
  if (header === undefined) {
    if (read.kind === "unreadable") {
      if (read.why === "unsupported_type")
        throw new HttpProblem("unsupported_media_type", "Send the webhook form-encoded (Deskpro's default), as multipart or JSON, or with no body.");
      throw invalidRequest(read.why === "bad_json" ? "The webhook body is not valid JSON." : "The webhook body can't be read.");
    }
    if (read.kind !== "ticket") {
      throw invalidRequest(`No ticket id: add the header '${TICKET_ID_HEADER}: {{ ticket.id }}' to the web hook action.`, [
        { path: `header.${TICKET_ID_HEADER}`, message: "required" },
      ]);
    }
  }
  const candidates = [header, read.kind === "ticket" ? read.id : undefined].filter((v): v is string => v !== undefined);
  if (candidates.some((c) => !TicketId.safeParse(c).success)) {
    throw invalidRequest("The ticket id must be a numeric Deskpro ticket id.", [
      { path: `header.${TICKET_ID_HEADER}`, message: "must be a numeric Deskpro ticket id" },
    ]);
  }
  if (new Set(candidates).size > 1)
    throw invalidRequest("The ticket id in the header and the one in the body differ.", [
      { path: `header.${TICKET_ID_HEADER}`, message: "differs from the body" },
    ]);
  return candidates[0]!;
}

const TENANT_ID = /^tnt_[0-9a-z]{26}$/;

export function portalTierRoutes(options: PortalTierRouteOptions = {}) {
  const app = newRouter();
  // Deskpro's trigger and SLA webhook actions. Authenticated before anything is read or written.
  app.openAPIRegistry.registerComponent("securitySchemes", "deskproWebhookSecret", {
    type: "apiKey",
    in: "header",
    name: WEBHOOK_SECRET_HEADER,
    description: "The tenant's Deskpro webhook secret (setDeskproConnection), sent by the web hook action",
  });
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/hooks/deskpro/{tenantId}/{event}",
    operationId: "receiveDeskproWebhook",
    tags: ["Portal tiers"],
    summary: "Deskpro's trigger and SLA web hooks: a portal ticket was created or updated, or missed its SLA",
    description:
      "Set as the URL of a trigger's or an SLA fail action's *Call web hook* action. Answers 202 at once and queues the work (charge, refund, priority, messages) in the outbox; a redelivery of the same event names the same job, so nothing is done twice. A created or updated ticket is also read again for Deskpro's Billing & Time Log once that link has started (`getDeskproBilling`). The ticket id comes from the `X-Deskpro-Ticket-Id` header (set it to `{{ ticket.id }}`) or from the ticket data Deskpro sends in the body, form-encoded (`ticket[id]`) or as JSON (`ticket.id`); when both are given they must agree. Bodies up to 512 kB.",
    security: [{ deskproWebhookSecret: [] }],
    request: {
      params: z.object({
        tenantId: z.string().regex(TENANT_ID).meta({ description: "The tenant's id (`npm run ledger -- tenant list`)" }),
        event: z.enum(Object.keys(HOOK_EVENTS)).meta({ description: "What happened: the trigger's event, or `sla-failed` from an SLA's fail actions" }),
      }),
      headers: z.object({ [TICKET_ID_HEADER]: TicketId.optional().meta({ description: "The ticket's id: `{{ ticket.id }}` in the web hook action" }) }),
      body: {
        required: false,
        content: {
          "application/x-www-form-urlencoded": { schema: z.looseObject({ "ticket[id]": z.string().optional() }) },
          "application/json": { schema: z.looseObject({ ticket: z.looseObject({ id: z.union([z.int(), z.string()]) }).optional() }) },
        },
      },
    },
    responses: {
      202: json(PortalHookAccepted, "Queued; the work follows within seconds"),
      400: problem("No ticket id, one that is not numeric, or a header and a body that disagree"),
      401: problem(`Wrong or missing ${WEBHOOK_SECRET_HEADER} header`),
      403: problem("The tenant is suspended by the ledger's operator (`tenant_suspended`); nothing was queued"),
      404: problem("No such event"),
      413: problem("Body over 512 kB"),
      415: problem("Body neither JSON nor form-encoded"),
      429: rateLimitedProblem,
      default: unexpectedProblem,
    },
  });
  app.post("/hooks/deskpro/:tenantId/:event", async (c) => {
    const tenantId = c.req.param("tenantId");
    const event = HOOK_EVENTS[c.req.param("event")];
    const secret = c.req.header(WEBHOOK_SECRET_HEADER);
    if (!TENANT_ID.test(tenantId) || !(await webhookSecretMatches(coreOf(c).db, tenantId, secret))) {
      throw new HttpProblem("unauthorized", `Send the tenant's webhook secret in the '${WEBHOOK_SECRET_HEADER}' header.`);
    }
    c.set("tenantId", tenantId);
    if (await isTenantSuspended(coreOf(c).db, tenantId)) throw suspendedProblem();
    if (!event) throw new HttpProblem("not_found", `No such webhook; use one of ${Object.keys(HOOK_EVENTS).join(", ")}.`);
    const body = await readBodyCapped(c.req.raw, MAX_HOOK_BODY_BYTES);
    const ticketId = await ticketIdFromHook(c.req.raw.headers, c.req.header("content-type") ?? "", body);
    const jobId = await queuePortalEvent(coreOf(c), tenantId, event, ticketId);
    // Deskpro sends nothing when a charge changes: any hook naming the ticket is a cue to read its Billing tab.
    if (event !== "sla.failed") await queueBillingRead(coreOf(c), tenantId, ticketId);
    options.onQueued?.();
    return c.json({ received: true, event, ticketId, jobId } satisfies PortalHookAccepted, 202);
  });

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/settings",
      operationId: "getPortalSettings",
      tags: ["Portal tiers"],
      summary: "The portal tier field, its options' tiers, the fallback tier, buy link and message wording",
      description: "The ticket field whose options are the tiers, which tier each option picks, the fallback tier, the buy link and the messages' wording.",
      responses: { 200: json(PortalSettingsResponse, "The settings"), ...commonProblems },
    }),
    async (c) => {
      const { settings, updatedAt } = await loadPortalSettings(coreOf(c).db, tenantOf(c));
      return c.json({ settings, updatedAt: updatedAt?.toISOString() ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/portal/settings",
      operationId: "replacePortalSettings",
      tags: ["Portal tiers"],
      summary: "Replace the portal settings (fields left out take their defaults)",
      description: "Tiers named here must exist in the configuration (400 with `errors` otherwise).",
      request: jsonBody(PortalSettings),
      responses: { 200: json(PortalSettingsResponse, "The saved settings"), ...commonProblems },
    }),
    async (c) => {
      const saved = await savePortalSettings(coreOf(c), tenantOf(c), c.req.valid("json"));
      return c.json({ settings: saved.settings, updatedAt: saved.updatedAt.toISOString() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/tier-labels",
      operationId: "checkPortalTierLabels",
      tags: ["Portal tiers"],
      summary: "The portal field's options in Deskpro against the titles the tiers' current prices call for",
      description:
        "Reads the tier field's choices through the helpdesk's REST API and compares each mapped option's title with the title the tier's current price calls for. Until they match, customers see an old price; the ledger then charges the lower of the shown and current price.",
      responses: {
        200: json(PortalTierLabels, "Each tier's option: the title to give it, its title in Deskpro, whether they match"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro did not answer or refused"),
      },
    }),
    async (c) => c.json(await checkTierLabels(coreOf(c), tenantOf(c), c.get("ledger").deskproClients), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/setup",
      operationId: "getPortalSetup",
      tags: ["Portal tiers"],
      summary: "The guided setup: the web hook actions to make in Deskpro, with every value, and a checklist of what was seen working",
      description:
        "The three web hook actions (New Ticket and Ticket Updated triggers, the SLA fail action) with their URL and headers; the secret's value is not repeated (`issueDeskproWebhookSecret` shows a new one once). The checklist: the helpdesk connected, the tier field found in Deskpro with an option for every paid tier, the last web hook received (its time, event and ticket), the last priority written back.",
      responses: { 200: json(PortalSetup, "The actions and the checklist"), ...commonProblems },
    }),
    async (c) => c.json(await portalSetup(coreOf(c), tenantOf(c), c.get("ledger").deskproClients, options.publicUrl ?? new URL(c.req.url).origin), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/portal/tier-field",
      operationId: "createPortalTierField",
      tags: ["Portal tiers"],
      summary: "Create the portal's tier field in Deskpro, one option per tier titled with its price, and map the options to the tiers",
      description:
        "Creates a choice ticket field through Deskpro's `POST /api/v2/ticket_custom_fields` and saves it as the portal settings' tier field, each option mapped to its tier. When the settings already name a field Deskpro still has, that field is answered and nothing is created. 502 `deskpro_unavailable` when Deskpro refuses or fails: then pick an existing field and map its options with `replacePortalSettings`.",
      request: jsonBody(TierFieldRequest),
      responses: {
        200: json(TierFieldCreated, "The field and which option picks which tier"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro refused or did not answer; nothing was saved"),
      },
    }),
    async (c) => c.json(await createTierField(coreOf(c), tenantOf(c), c.get("ledger").deskproClients, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/portal/tickets/{ticketId}",
      operationId: "getPortalTicket",
      tags: ["Portal tiers"],
      summary: "What the ledger saw and did on a portal ticket",
      description:
        "The tier asked for, the tier charged and its entry, and the outcome (charged, unaffordable, refunded…). 404 for a ticket no portal web hook has named.",
      request: { params: ticketParams },
      responses: { 200: json(PortalTicket, "The portal ticket"), ...commonProblems, 404: problem("Not a ticket the ledger has seen") },
    }),
    async (c) => c.json(await getPortalTicket(coreOf(c), tenantOf(c), c.req.valid("param").ticketId), 200),
  );
  return app;
}
