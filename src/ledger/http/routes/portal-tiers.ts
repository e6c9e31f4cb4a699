/**
 * Paid tiers on Deskpro's portal, over HTTP: the portal settings, the guided setup and what the
 * ledger did on each portal ticket. The web hooks Deskpro's triggers call are in deskpro-webhooks.ts.
 */
import { createRoute } from "@hono/zod-openapi";
import { PortalSettings, PortalSettingsResponse, PortalTicket, PortalTierLabels } from "../../../contract/portal.js";
import { PortalSetup, TierFieldCreated, TierFieldRequest } from "../../../contract/setup.js";
import { createTierField, portalSetup } from "../../features/portal-setup.js";
import { checkTierLabels, getPortalTicket, loadPortalSettings, savePortalSettings } from "../../features/portal-tiers.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody, problem, ticketParams } from "../openapi.js";

export interface PortalTierRouteOptions {
  /** The ledger's public address, for the web hook URLs to copy; default: the request's origin. */
  publicUrl?: string;
}

export function portalTierRoutes(options: PortalTierRouteOptions = {}) {
  const app = newRouter();
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
