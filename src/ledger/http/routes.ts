/**
 * The ledger's HTTP routes: each declares its contract (the OpenAPI document is generated from
 * these declarations and the zod schemas validate requests) and hands off to the service.
 */
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { stream } from "hono/streaming";
import {
  AllocationRun,
  AlertLevelsRequest,
  BankProfile,
  AssignPlanRequest,
  ConfigResponse,
  DebitRequest,
  Entry,
  EntryId,
  EntryPage,
  GrantRequest,
  LedgerConfig,
  Owner,
  Quote,
  QuoteRequest,
  ReversalRequest,
  StatementQuery,
  TicketEntries,
  TicketId,
  TicketPayer,
  TicketPayerQuery,
  Wallet,
  WriteResult,
} from "../../contract/index.js";
import * as service from "../service.js";
import type { WriteOutcome } from "../service.js";
import { ProblemError } from "../errors.js";
import { idempotencyOf, type LedgerEnv } from "./app.js";
import { commonProblems, json, jsonBody, problem } from "./openapi.js";

const writeProblems = {
  ...commonProblems,
  409: problem("Conflict: insufficient credits, idempotency key reused, already reversed…"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
};
const idempotencyHeader = z.object({
  "idempotency-key": z.string().openapi({ description: "Unique per action; the same on every retry of it", example: "act_7f3a…" }),
});
const ownerParams = z.object({ owner: Owner });

/** A write's answer. A replay carries the status first sent, so the route's typed status can't be used here. */
function respond<T>(c: Context<LedgerEnv>, outcome: WriteOutcome<T>): never {
  if (outcome.replayed) c.header("idempotent-replayed", "true");
  return c.json(outcome.body as object, outcome.status as 200) as never;
}

const CSV_COLUMNS = ["id", "createdAt", "kind", "amount", "balanceAfter", "ticketId", "minutes", "tier", "reason", "agent", "reversesEntryId"] as const;

/** CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function csvCell(value: unknown, isText: boolean): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
const csvRow = (entry: Entry) =>
  `${CSV_COLUMNS.map((column) => csvCell(entry[column], column === "reason" || column === "agent")).join(",")}\r\n`;

export function registerRoutes(app: OpenAPIHono<LedgerEnv>): void {
  const tenant = (c: Context<LedgerEnv>) => c.get("tenantId");
  const ctx = (c: Context<LedgerEnv>) => c.get("ledger");

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}",
      summary: "A bank's balance, plan, spendable grants and low-balance state",
      request: { params: ownerParams },
      responses: { 200: json(Wallet, "The bank (a new owner has balance 0)"), ...commonProblems },
    }),
    async (c) => c.json(await service.getWallet(ctx(c), tenant(c), c.req.valid("param").owner), 200),
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
      return respond(c, await service.grantCredits(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
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
        422: problem("Unknown tier, or a tier the bank's plan does not offer"),
      },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await service.debitCredits(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
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
    async (c) => c.json(await service.quote(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/plan",
      summary: "Put a bank on a plan by hand (null returns it to the default)",
      request: { params: ownerParams, headers: idempotencyHeader, ...jsonBody(AssignPlanRequest) },
      responses: { 200: json(Wallet, "The bank"), ...writeProblems, 422: problem("Unknown plan") },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      return respond(c, await service.assignPlan(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json"), idempotency));
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
      return respond(c, await service.reverseEntry(ctx(c), tenant(c), c.req.valid("param").entryId, c.req.valid("json"), idempotency));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/entries",
      summary: "The statement, newest first (CSV with Accept: text/csv)",
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
      if (!(c.req.header("accept") ?? "").includes("text/csv")) {
        return c.json(await service.getStatement(ctx(c), tenant(c), owner, query.limit, query.cursor), 200);
      }
      c.header("content-type", "text/csv; charset=utf-8");
      c.header("content-disposition", `attachment; filename="statement-${owner.replace(":", "-")}.csv"`);
      const header = `${CSV_COLUMNS.join(",")}\r\n`;
      if (c.req.query("limit") !== undefined || query.cursor !== undefined) {
        const page = await service.getStatement(ctx(c), tenant(c), owner, query.limit, query.cursor);
        if (page.nextCursor) c.header("x-next-cursor", page.nextCursor);
        return c.body(header + page.entries.map(csvRow).join(""), 200);
      }
      // Read the first page before streaming, so a database error is still a clean problem response.
      const pages = service.statementPages(ctx(c), tenant(c), owner);
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
      method: "get",
      path: "/v1/tickets/{ticketId}/entries",
      summary: "What one ticket cost, across banks",
      request: { params: z.object({ ticketId: TicketId }) },
      responses: { 200: json(TicketEntries, "The ticket's entries, oldest first, and totals"), ...commonProblems },
    }),
    async (c) => c.json(await service.getTicketEntries(ctx(c), tenant(c), c.req.valid("param").ticketId), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tickets/{ticketId}/payer",
      summary: "Which bank pays for a ticket, and why",
      request: {
        params: z.object({ ticketId: TicketId }),
        query: TicketPayerQuery,
      },
      responses: { 200: json(TicketPayer, "The paying bank"), ...commonProblems },
    }),
    async (c) => {
      const { person, org } = c.req.valid("query");
      return c.json(await service.getTicketPayer(ctx(c), tenant(c), person, org), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/config",
      summary: "Tiers, plans, credit packs, time rate and alert levels",
      responses: { 200: json(ConfigResponse, "The configuration and its version"), ...commonProblems },
    }),
    async (c) => {
      const { config, version, updatedAt } = await service.loadConfig(ctx(c).db, tenant(c));
      c.header("etag", `"${version}"`);
      return c.json({ config, version, updatedAt: updatedAt?.toISOString() ?? null }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/config",
      summary: "Replace the configuration (fields left out take their defaults)",
      description: "Send `If-Match` with the version you edited to refuse the write when someone else saved in between (412).",
      request: {
        headers: z.object({ "if-match": z.string().optional() }),
        ...jsonBody(LedgerConfig),
      },
      responses: { 200: json(ConfigResponse, "The saved configuration"), ...commonProblems, 412: problem("Changed since the If-Match version") },
    }),
    async (c) => {
      const ifMatch = c.req.valid("header")["if-match"];
      let expected: number | null = null;
      if (ifMatch !== undefined) {
        const match = /^"?(\d{1,9})"?$/.exec(ifMatch.trim());
        if (!match) throw new ProblemError(400, "invalid_request", "Invalid request", 'If-Match must be a version such as "3".');
        expected = Number(match[1]);
      }
      const saved = await service.putConfig(ctx(c), tenant(c), c.req.valid("json"), expected);
      c.header("etag", `"${saved.version}"`);
      return c.json(saved, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/profile",
      summary: "What Deskpro knows about the bank's people and organisation (custom fields, SLAs), for the plan rules",
      request: { params: ownerParams, ...jsonBody(BankProfile) },
      responses: { 200: json(Wallet, "The bank, on the plan the rules now give it"), ...commonProblems },
    }),
    async (c) => c.json(await service.setBankProfile(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/alert-levels",
      summary: "Give the bank its own low-balance levels, or with null send it back to its plan's (changing levels sends no alert by itself)",
      request: { params: ownerParams, ...jsonBody(AlertLevelsRequest) },
      responses: { 200: json(Wallet, "The bank with the levels that now apply"), ...commonProblems },
    }),
    async (c) => c.json(await service.setWalletAlertLevels(ctx(c), tenant(c), c.req.valid("param").owner, c.req.valid("json").levels), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/cron/allocate",
      summary: "Give every bank its plan's allocation for the current period and announce credits about to expire (run hourly; safe to run twice or at once)",
      request: jsonBody(z.object({})),
      responses: { 200: json(AllocationRun, "Banks looked at and banks allocated"), ...commonProblems },
    }),
    async (c) => c.json(await service.allocateAll(ctx(c), tenant(c)), 200),
  );
}
