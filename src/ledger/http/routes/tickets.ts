/** What tickets cost and which wallet pays for them. */
import { createRoute, z } from "@hono/zod-openapi";
import { TicketEntries, TicketId, TicketPayer, TicketPayerQuery } from "../../../contract/index.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json } from "../openapi.js";

export function ticketRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/entries",
      summary: "What one ticket cost, across wallets",
      request: { params: z.object({ ticketId: TicketId }) },
      responses: { 200: json(TicketEntries, "The ticket's entries, oldest first, and totals"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.getTicketEntries(coreOf(c), tenantOf(c), c.req.valid("param").ticketId), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/payer",
      summary: "Which wallet pays for a ticket, and why",
      request: {
        params: z.object({ ticketId: TicketId }),
        query: TicketPayerQuery,
      },
      responses: { 200: json(TicketPayer, "The paying wallet"), ...commonProblems },
    }),
    async (c) => {
      const { person, org, personOrg } = c.req.valid("query");
      return c.json(await wallets.getTicketPayer(coreOf(c), tenantOf(c), person, { ticketOrg: org ?? null, personOrg: personOrg ?? null }), 200);
    },
  );
  return app;
}
