/** What tickets cost and which wallet pays for them. */
import { createRoute } from "@hono/zod-openapi";
import { ChangePayerRequest, TicketEntries, TicketPayer, TicketPayerPin, TicketPayerQuery } from "../../../contract/ledger.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf } from "../env.js";
import { commonProblems, idempotencyHeader, json, jsonBody, ticketParams, writeProblems } from "../openapi.js";

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
      summary: "Which wallet pays for a ticket, and why: the one it is pinned to (at its first charge, or by an agent), else the payer rule's",
      description:
        "Once a ticket has been charged it is pinned to the wallet that paid (`pin`), until an agent changes it. Before that, the payer rule decides: the person's own wallet when it has a plan of its own or credits, else the ticket's organisation's, else the person's primary organisation's (`reason`, `organisationFrom`); `rule` says whom the rule would pick now. Pass the ticket's person, its organisation and the person's primary organisation as Deskpro shows them. Like `GET /v1/wallets/{owner}`, this may write: the wallets it reads are brought up to date first (a due allocation, `expiry` entries for lapsed grants).",
      request: {
        params: ticketParams,
        query: TicketPayerQuery,
      },
      responses: { 200: json(TicketPayer, "The paying wallet"), ...commonProblems },
    }),
    async (c) => {
      const { person, org, personOrg } = c.req.valid("query");
      return c.json(
        await wallets.getTicketPayer(coreOf(c), tenantOf(c), c.req.valid("param").ticketId, person, { ticketOrg: org ?? null, personOrg: personOrg ?? null }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/tickets/{ticketId}/payer",
      operationId: "changeTicketPayer",
      tags: ["Tickets"],
      summary: "Pin a ticket to another paying wallet, with a reason (charges already made stay with the wallet that paid them)",
      description:
        "An agent's explicit change of who pays: later charges on the ticket go to `owner`; earlier ones stay with the wallet that paid them. Idempotent with its Idempotency-Key.",
      request: { params: ticketParams, headers: idempotencyHeader, ...jsonBody(ChangePayerRequest) },
      responses: { 200: json(TicketPayerPin, "The ticket's new pin"), ...writeProblems },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.changeTicketPayer(coreOf(c), tenantOf(c), c.req.valid("param").ticketId, c.req.valid("json"), idempotency));
    },
  );
  return app;
}
