/**
 * The web hooks Deskpro's triggers and SLA fail actions call: authenticated by the tenant's
 * webhook secret header (not the API key), they queue work and answer 202. What each queues: the
 * portal ticket's job (charge, refund, priority, messages: features/portal-tiers.ts) and, for a
 * created or updated ticket, a read of its Billing & Time Log (features/deskpro-billing.ts); each
 * arrival is also recorded for the guided setup's checklist.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { type PortalEvent, PortalHookAccepted } from "../../../contract/portal.js";
import { DESKPRO_ID_PATTERN, TicketId } from "../../../contract/primitives.js";
import { isTenantSuspended } from "../../core/tenants.js";
import { queueBillingRead } from "../../features/deskpro-billing.js";
import { queuePortalEvent } from "../../features/portal-tiers.js";
import { webhookSecretMatches } from "../../integrations/deskpro/connection.js";
import { readHookBody } from "../../integrations/deskpro/webhook-body.js";
import { readBodyCapped } from "../bodies.js";
import { coreOf, newRouter, type LedgerEnv } from "../env.js";
import { json, problem, rateLimitedProblem, unexpectedProblem } from "../openapi.js";
import { HttpProblem, invalidRequest, suspendedProblem } from "../problems.js";

export interface DeskproWebhookRouteOptions {
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

/**
 * Runs before the route's declared parameters are validated: the caller is authenticated (and the
 * tenant found not suspended, the event known) before anything else about the request is looked
 * at, so a stranger learns nothing from a 400 and gets 401.
 */
const authenticateHook: MiddlewareHandler<LedgerEnv> = async (c, next) => {
  const tenantId = c.req.param("tenantId") ?? "";
  const secret = c.req.header(WEBHOOK_SECRET_HEADER);
  if (!TENANT_ID.test(tenantId) || !(await webhookSecretMatches(coreOf(c).db, tenantId, secret))) {
    throw new HttpProblem("unauthorized", `Send the tenant's webhook secret in the '${WEBHOOK_SECRET_HEADER}' header.`);
  }
  c.set("tenantId", tenantId);
  if (await isTenantSuspended(coreOf(c).db, tenantId)) throw suspendedProblem();
  if (!HOOK_EVENTS[c.req.param("event") ?? ""]) throw new HttpProblem("not_found", `No such webhook; use one of ${Object.keys(HOOK_EVENTS).join(", ")}.`);
  await next();
};

export function deskproWebhookRoutes(options: DeskproWebhookRouteOptions = {}) {
  const app = newRouter();
  app.openAPIRegistry.registerComponent("securitySchemes", "deskproWebhookSecret", {
    type: "apiKey",
    in: "header",
    name: WEBHOOK_SECRET_HEADER,
    description: "The tenant's Deskpro webhook secret (setDeskproConnection), sent by the web hook action",
  });
  app.openapi(
    createRoute({
      method: "post",
      path: "/hooks/deskpro/{tenantId}/{event}",
      operationId: "receiveDeskproWebhook",
      tags: ["Portal tiers"],
      summary: "Deskpro's trigger and SLA web hooks: a portal ticket was created or updated, or missed its SLA",
      description:
        "Set as the URL of a trigger's or an SLA fail action's *Call web hook* action. Answers 202 at once and queues the portal ticket's job (charge, refund, priority, messages) in the outbox; a redelivery of the same event names the same job, so nothing is done twice. **Besides that**, every call records its arrival (time, event, ticket) for the setup checklist (`getPortalSetup`), and a created or updated ticket also queues a read of the ticket's Billing & Time Log once that link has started (`getDeskproBilling`): Deskpro sends nothing when a charge changes, so any hook naming the ticket is the cue. The ticket id comes from the `X-Deskpro-Ticket-Id` header (set it to `{{ ticket.id }}`) or from the ticket data Deskpro sends in the body, form-encoded (`ticket[id]`) or as JSON (`ticket.id`); when both are given they must agree. Bodies up to 512 kB.",
      security: [{ deskproWebhookSecret: [] }],
      middleware: [authenticateHook],
      request: {
        params: z.object({
          tenantId: z.string().regex(TENANT_ID).meta({ description: "The tenant's id (`npm run ledger -- tenant list`)" }),
          event: z.enum(Object.keys(HOOK_EVENTS)).meta({ description: "What happened: the trigger's event, or `sla-failed` from an SLA's fail actions" }),
        }),
        // Read by ticketIdFromHook, which answers each way of getting it wrong in its own words
        // (and lets an empty header fall back to the body): not checked again here.
        headers: z.object({
          [TICKET_ID_HEADER]: z
            .string()
            .optional()
            .meta({ description: "The ticket's id: `{{ ticket.id }}` in the web hook action", pattern: DESKPRO_ID_PATTERN.source }),
        }),
        // Described, not parsed: plain schemas, so no validator reads the body. The handler reads
        // it once, capped at 512 kB, in whichever of Deskpro's formats it came (webhook-body.ts).
        body: {
          required: false,
          content: {
            "application/x-www-form-urlencoded": { schema: { type: "object", properties: { "ticket[id]": { type: "string" } } } },
            "application/json": {
              schema: {
                type: "object",
                properties: { ticket: { type: "object", properties: { id: { anyOf: [{ type: "integer" }, { type: "string" }] } }, required: ["id"] } },
              },
            },
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
    }),
    async (c) => {
      const { tenantId, event: eventName } = c.req.valid("param");
      const event = HOOK_EVENTS[eventName]!;
      const body = await readBodyCapped(c.req.raw, MAX_HOOK_BODY_BYTES);
      const ticketId = await ticketIdFromHook(c.req.raw.headers, c.req.header("content-type") ?? "", body);
      const jobId = await queuePortalEvent(coreOf(c), tenantId, event, ticketId);
      // Deskpro sends nothing when a charge changes: any hook naming the ticket is a cue to read its Billing tab.
      if (event !== "sla.failed") await queueBillingRead(coreOf(c), tenantId, ticketId);
      options.onQueued?.();
      return c.json({ received: true, event, ticketId, jobId } satisfies PortalHookAccepted, 202);
    },
  );
  return app;
}
