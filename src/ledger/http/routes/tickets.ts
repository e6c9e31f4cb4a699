/** What tickets cost and which wallet pays for them. */
import { createRoute } from "@hono/zod-openapi";
import { TicketEntries, TicketPayer, TicketPayerQuery } from "../../../contract/index.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems, json, ticketParams } from "../openapi.js";

export function ticketRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/entries",
      operationId: "listTicketEntries",
      tags: ["Tickets"],
      summary: "What one ticket cost, across wallets",
      description: "Every entry that names the ticket, in any bank, oldest first, with the net credits it cost and the minutes logged and not refunded.",
      request: { params: ticketParams },
      responses: { 200: json(TicketEntries, "The ticket's entries, oldest first, and totals"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.getTicketEntries(coreOf(c), tenantOf(c), c.req.valid("param").ticketId), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/payer",
      operationId: "getTicketPayer",
      tags: ["Tickets"],
      summary: "Which wallet pays for a ticket, and why",
      description:
        "The person's own bank when it has a plan or credits, else their organisation's; `reason` says which rule decided. Pass the ticket's person and organisation ids as Deskpro shows them.",
      request: {
        params: ticketParams,
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
