/** The tenant's helpdesk: its connection, and reading a wallet's facts from it for the plan rules. */
import { createRoute, z } from "@hono/zod-openapi";
import { WalletProfileRefresh } from "../../../contract/ledger.js";
import { DeskproConnection, DeskproConnectionRequest } from "../../../contract/portal.js";
import { DeskproLookups, WebhookSecretIssued } from "../../../contract/setup.js";
import { deskproLookups, issueWebhookSecret } from "../../features/portal-setup.js";
import { refreshWalletProfileNow } from "../../features/wallet-facts.js";
import { getConnection, putConnection } from "../../integrations/deskpro/connection.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody, ownerParams, problem } from "../openapi.js";

export function deskproRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/profile/refresh",
      operationId: "refreshWalletProfile",
      tags: ["Deskpro"],
      summary: "Read the wallet's facts (custom fields, SLAs) from Deskpro now, for the plan rules; the sidebars call this when opened",
      description:
        "Reads the organisation's or person's custom fields and SLAs from Deskpro, stores them when they changed and applies the plan rules. Nothing is read when no plan rule reads this kind of bank (`read: false`). 409 `deskpro_not_connected` without a connection; 502 `deskpro_unavailable` when Deskpro fails, or `deskpro_over_limit` when it answers more than the ledger reads, and nothing changes.",
      request: { params: ownerParams, ...jsonBody(z.object({})) },
      responses: {
        200: json(WalletProfileRefresh, "Whether Deskpro was read, whether the facts changed, and the wallet on the plan they give"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro did not answer or refused; nothing was changed"),
      },
    }),
    async (c) => c.json(await refreshWalletProfileNow(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.get("ledger").deskproClients), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/deskpro",
      operationId: "getDeskproConnection",
      tags: ["Deskpro"],
      summary: "The Deskpro connection: its URL and whether the API key and webhook secret are set (never their values)",
      description: "Secrets never come back: only whether they are set, and the API key's id to tell keys apart.",
      responses: { 200: json(DeskproConnection, "The connection"), ...commonProblems },
    }),
    async (c) => c.json(await getConnection(coreOf(c).db, tenantOf(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/integrations/deskpro",
      operationId: "setDeskproConnection",
      tags: ["Deskpro"],
      summary: "Set the Deskpro URL, API key and webhook secret (secrets left out are kept)",
      description: "Secrets are sealed at rest with the server's `LEDGER_SECRETS_KEY` (503 when the server has none); leave one out to keep the stored one.",
      request: jsonBody(DeskproConnectionRequest),
      responses: {
        200: json(DeskproConnection, "The connection (without secrets)"),
        ...commonProblems,
        503: problem("The server has no key to seal secrets with"),
      },
    }),
    async (c) => c.json(await putConnection(coreOf(c).db, tenantOf(c), c.req.valid("json"), coreOf(c).clock(), c.get("ledger").outbound), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/deskpro/lookups",
      operationId: "listDeskproLookups",
      tags: ["Deskpro"],
      summary: "Deskpro's ticket, person and organisation fields with their options, SLAs and priorities, for the settings page's pickers",
      description:
        "Read from the helpdesk now, through the tenant's connection. A list Deskpro refuses (the API key lacks the permission) or answers beyond what the ledger reads (over 2 MiB) is empty and named in `unavailable`; an item of a list that can't be read is left out. 409 `deskpro_not_connected` without a connection; 502 `deskpro_unavailable` when Deskpro fails.",
      responses: {
        200: json(DeskproLookups, "What the pickers list"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro did not answer"),
      },
    }),
    async (c) => c.json(await deskproLookups(coreOf(c), tenantOf(c), c.get("ledger").deskproClients), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/integrations/deskpro/webhook-secret",
      operationId: "issueDeskproWebhookSecret",
      tags: ["Deskpro"],
      summary: "Make a new secret for the triggers' web hooks; it is answered this once",
      description:
        "The secret goes into the `X-Credits-Webhook-Secret` header of every web hook action (see `getPortalSetup`). It is stored sealed and never shown again; the previous secret stops working at once, so update every web hook action after making a new one. 409 `deskpro_not_connected` without a connection.",
      request: jsonBody(z.object({})),
      responses: {
        200: json(WebhookSecretIssued, "The new secret (shown once)"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        503: problem("The server has no key to seal secrets with"),
      },
    }),
    async (c) => c.json({ webhookSecret: await issueWebhookSecret(coreOf(c), tenantOf(c), c.get("ledger").outbound) }, 200),
  );
  return app;
}
