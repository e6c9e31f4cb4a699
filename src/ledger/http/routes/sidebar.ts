/** The ticket sidebar's first read: payer, balance and the ticket's charges in one answer. */
import { createRoute } from "@hono/zod-openapi";
import { TicketPayerQuery } from "../../../contract/ledger.js";
import { TicketSidebar } from "../../../contract/sidebar.js";
import { getTicketSidebar } from "../../features/sidebar.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, ticketParams } from "../openapi.js";

export function sidebarRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/sidebar",
      operationId: "getTicketSidebar",
      tags: ["Tickets"],
      summary: "What the ticket sidebar shows first: the paying wallet with its balance, and the ticket's charges",
      description:
        "One read for the app's first paint: `payer` is what `GET /v1/tickets/{ticketId}/payer` answers for the same query (and, like it, may bring the wallets it reads up to date first), `charges` what `GET /v1/tickets/{ticketId}/entries` answers.",
      request: { params: ticketParams, query: TicketPayerQuery },
      responses: { 200: json(TicketSidebar, "The paying wallet and the ticket's charges"), ...commonProblems },
    }),
    async (c) => {
      const { person, org, personOrg } = c.req.valid("query");
      const ticketId = c.req.valid("param").ticketId;
      return c.json(await getTicketSidebar(coreOf(c), tenantOf(c), ticketId, person, { ticketOrg: org ?? null, personOrg: personOrg ?? null }), 200);
    },
  );
  return app;
}
