/** What tickets cost and which wallet pays for them. */
import { createRoute, z } from "@hono/zod-openapi";
import { ChangePayerRequest, TicketEntries, TicketId, TicketPayer, TicketPayerPin, TicketPayerQuery } from "../../../contract/index.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf } from "../env.js";
import { commonProblems, idempotencyHeader, json, jsonBody, writeProblems } from "../openapi.js";

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
      summary: "Which wallet pays for a ticket, and why: the one it is pinned to (at its first charge, or by an agent), else the payer rule's",
      request: {
        params: z.object({ ticketId: TicketId }),
        query: TicketPayerQuery,
      },
      responses: { 200: json(TicketPayer, "The paying wallet"), ...commonProblems },
    }),
    async (c) => {
      const { person, org } = c.req.valid("query");
      return c.json(await wallets.getTicketPayer(coreOf(c), tenantOf(c), c.req.valid("param").ticketId, person, org), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/tickets/{ticketId}/payer",
      summary: "Pin a ticket to another paying wallet, with a reason (charges already made stay with the wallet that paid them)",
      request: { params: z.object({ ticketId: TicketId }), headers: idempotencyHeader, ...jsonBody(ChangePayerRequest) },
      responses: { 200: json(TicketPayerPin, "The ticket's new pin"), ...writeProblems },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.changeTicketPayer(coreOf(c), tenantOf(c), c.req.valid("param").ticketId, c.req.valid("json"), idempotency));
    },
  );
  return app;
}
