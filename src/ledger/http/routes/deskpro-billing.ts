/** Deskpro's Billing & Time Log, linked with the banks: the link's settings, and reading a ticket's Billing tab. */
import { createRoute, z } from "@hono/zod-openapi";
import { DeskproBillingSettings, DeskproBillingStatus, TicketDeskproBilling } from "../../../contract/deskpro-billing.js";
import { getBillingStatus, readTicketBillingNow, saveBillingSettings } from "../../features/deskpro-billing.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, jsonBody, problem, ticketParams } from "../openapi.js";

export function deskproBillingRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/deskpro/billing",
      operationId: "getDeskproBilling",
      tags: ["Deskpro"],
      summary: "The link with Deskpro's Billing & Time Log: which ways it runs and the last Deskpro charge seen",
      description:
        "The settings, the mode in use, when the link started (`linkedFrom`: null until a ticket's Billing tab has been read; charges made before it are never counted), the Deskpro charge seen most recently, the last read, how many charges wait for credits, and the charges the ledger refused (how many, and the latest with why).",
      responses: { 200: json(DeskproBillingStatus, "The link's settings and state"), ...commonProblems },
    }),
    async (c) => c.json(await getBillingStatus(coreOf(c), tenantOf(c)), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/integrations/deskpro/billing",
      operationId: "setDeskproBilling",
      tags: ["Deskpro"],
      summary: "Turn each way of the Billing & Time Log link on or off, and set a rate for money charges",
      description:
        "`fromDeskpro`: time charges from Deskpro's Billing tab are charged to the ticket's paying bank. `toDeskpro`: time logged in the sidebar is written to the Billing tab. `creditsPerCurrencyUnit`: credits per 1.00 of a money charge (null leaves money charges alone). Fields left out take their defaults (both ways, no money rate). Switching `fromDeskpro` back on counts only charges made from then on.",
      request: jsonBody(DeskproBillingSettings),
      responses: { 200: json(DeskproBillingStatus, "The saved settings and the link's state"), ...commonProblems },
    }),
    async (c) => c.json(await saveBillingSettings(coreOf(c), tenantOf(c), c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tickets/{ticketId}/deskpro-billing/read",
      operationId: "readTicketDeskproBilling",
      tags: ["Tickets"],
      summary: "Read the ticket's Billing tab from Deskpro now and count what changed; the ticket sidebar calls this when opened or refreshed",
      description:
        "Reads the ticket's charges through Deskpro's REST API and brings the banks in line, each version of a charge once however often or concurrently this runs: a new time charge is a time debit on the ticket's paying bank, an edited one a reversal and a new debit, a deleted one a reversal. Charges the ledger wrote from sidebar time are never counted. A charge listed twice is one charge; one the ledger can't take (a time it can't read, over 100,000 minutes or 1,000,000,000 credits in one entry) is `refused` with why, and the others still count; items of the list that can't be read at all are counted in `unreadable`. Answers every charge the ledger knows on the ticket and what it did with each. 409 `deskpro_not_connected` without a connection; 502 `deskpro_unavailable` when Deskpro fails, and 502 `deskpro_over_limit` when it answers more than one read takes (a page over 1 MiB, more than 5,000 charges, more than 30 s): nothing changes.",
      request: { params: ticketParams, ...jsonBody(z.object({})) },
      responses: {
        200: json(TicketDeskproBilling, "The ticket's Deskpro charges and what the ledger did with each"),
        ...commonProblems,
        409: problem("The ledger has no Deskpro connection"),
        502: problem("Deskpro did not answer, refused, or answered more than the ledger reads; nothing was changed"),
      },
    }),
    async (c) => c.json(await readTicketBillingNow(coreOf(c), tenantOf(c), c.req.valid("param").ticketId, c.get("ledger").deskproClients), 200),
  );
  return app;
}
