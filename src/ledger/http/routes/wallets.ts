/** Wallets and their entries: balances, grants, debits, quotes, plans, refunds and statements. */
import { createRoute, z } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import {
  AlertLevelsRequest,
  AssignPlanRequest,
  DebitRequest,
  type Entry,
  EntryId,
  EntryPage,
  GrantRequest,
  Owner,
  PlanQuote,
  PlanQuoteRequest,
  Quote,
  QuoteRequest,
  ReversalRequest,
  StatementQuery,
  Wallet,
  WalletList,
  WalletListQuery,
  WalletProfile,
  WriteResult,
} from "../../../contract/index.js";
import * as wallets from "../../core/wallets.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf } from "../env.js";
import { commonProblems, idempotencyHeader, json, jsonBody, problem, writeProblems } from "../openapi.js";

const ownerParams = z.object({ owner: Owner });

const CSV_COLUMNS = ["id", "createdAt", "kind", "amount", "balanceAfter", "ticketId", "minutes", "tier", "reason", "agent", "reversesEntryId"] as const;

/** CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function csvCell(value: unknown, isText: boolean): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
const csvRow = (entry: Entry) => `${CSV_COLUMNS.map((column) => csvCell(entry[column], column === "reason" || column === "agent")).join(",")}\r\n`;

export function walletRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}",
      summary: "A wallet's balance, plan, spendable grants and low-balance state",
      request: { params: ownerParams },
      responses: { 200: json(Wallet, "The wallet (a new owner has balance 0)"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.getWallet(coreOf(c), tenantOf(c), c.req.valid("param").owner), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/grants",
      summary: "Add credits",
      request: { params: ownerParams, headers: idempotencyHeader, ...jsonBody(GrantRequest) },
      responses: { 201: json(WriteResult, "The grant entry and the new balance"), ...writeProblems },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.grantCredits(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/debits",
      summary: "Spend credits: a manual amount, time (priced by the rate) or a tier fee",
      request: { params: ownerParams, headers: idempotencyHeader, ...jsonBody(DebitRequest) },
      responses: {
        201: json(WriteResult, "The debit entry and the new balance"),
        ...writeProblems,
        422: problem("Unknown tier, or a tier the wallet's plan does not offer"),
      },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.debitCredits(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/quote",
      summary: "Price a debit without writing it",
      request: { params: ownerParams, ...jsonBody(QuoteRequest) },
      responses: { 200: json(Quote, "What the debit would cost and leave"), ...commonProblems, 422: problem("Unknown tier") },
    }),
    async (c) => c.json(await wallets.quote(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/plan-quote",
      summary: "What putting the wallet on a plan would do: credits now and their expiry, and the next top-up (writes nothing)",
      request: { params: ownerParams, ...jsonBody(PlanQuoteRequest) },
      responses: { 200: json(PlanQuote, "The outlook"), ...commonProblems, 422: problem("Unknown plan") },
    }),
    async (c) => c.json(await wallets.quotePlan(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets",
      summary: "Wallets the ledger knows, optionally only those on one plan (a bulk grant's preview)",
      request: { query: WalletListQuery },
      responses: { 200: json(WalletList, "Wallets in owner order"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.listWallets(coreOf(c), tenantOf(c), c.req.valid("query")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/plan",
      summary: "Put a wallet on a plan by hand (null returns it to the default)",
      request: { params: ownerParams, headers: idempotencyHeader, ...jsonBody(AssignPlanRequest) },
      responses: { 200: json(Wallet, "The wallet"), ...writeProblems, 422: problem("Unknown plan") },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.assignPlan(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/entries/{entryId}/reversal",
      summary: "Refund a debit, or void what remains of a grant",
      request: {
        params: z.object({ entryId: EntryId }),
        headers: idempotencyHeader,
        ...jsonBody(ReversalRequest),
      },
      responses: { 201: json(WriteResult, "The reversal entry and the new balance"), ...writeProblems, 404: problem("No such entry") },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await wallets.reverseEntry(coreOf(c), tenantOf(c), c.req.valid("param").entryId, c.req.valid("json"), idempotency));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/entries",
      summary: "The statement, newest first, optionally filtered by days, ticket and kind (CSV with Accept: text/csv)",
      description:
        "Cursor-paginated. With `Accept: text/csv` the answer is CSV: the page asked for when `limit` or `cursor` is given, otherwise the whole statement, streamed.",
      request: { params: ownerParams, query: StatementQuery },
      responses: {
        200: {
          description: "A page of entries",
          content: { "application/json": { schema: EntryPage }, "text/csv": { schema: z.string() } },
        },
        ...commonProblems,
      },
    }),
    async (c) => {
      const { owner } = c.req.valid("param");
      const query = c.req.valid("query");
      const filter = { from: query.from, to: query.to, ticketId: query.ticketId, kind: query.kind };
      if (!(c.req.header("accept") ?? "").includes("text/csv")) {
        return c.json(await wallets.getStatement(coreOf(c), tenantOf(c), owner, query.limit, query.cursor, filter), 200);
      }
      c.header("content-type", "text/csv; charset=utf-8");
      c.header("content-disposition", `attachment; filename="statement-${owner.replace(":", "-")}.csv"`);
      const header = `${CSV_COLUMNS.join(",")}\r\n`;
      if (c.req.query("limit") !== undefined || query.cursor !== undefined) {
        const page = await wallets.getStatement(coreOf(c), tenantOf(c), owner, query.limit, query.cursor, filter);
        if (page.nextCursor) c.header("x-next-cursor", page.nextCursor);
        return c.body(header + page.entries.map(csvRow).join(""), 200);
      }
      // Read the first page before streaming, so a database error is still a clean problem response.
      const pages = wallets.statementPages(coreOf(c), tenantOf(c), owner, 1000, filter);
      const first = await pages.next();
      return stream(c, async (out) => {
        await out.write(header);
        if (first.done) return;
        await out.write(first.value.map(csvRow).join(""));
        for await (const page of pages) await out.write(page.map(csvRow).join(""));
      }) as unknown as Response;
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/profile",
      summary: "What Deskpro knows about the wallet's people and organisation (custom fields, SLAs), for the plan rules",
      request: { params: ownerParams, ...jsonBody(WalletProfile) },
      responses: { 200: json(Wallet, "The wallet, on the plan the rules now give it"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.setWalletProfile(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/alert-levels",
      summary: "Give the wallet its own low-balance levels, or with null send it back to its plan's (changing levels sends no alert by itself)",
      request: { params: ownerParams, ...jsonBody(AlertLevelsRequest) },
      responses: { 200: json(Wallet, "The wallet with the levels that now apply"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.setWalletAlertLevels(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json").levels), 200),
  );
  return app;
}
