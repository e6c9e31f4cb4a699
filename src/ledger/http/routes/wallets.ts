/** Wallets and their entries: balances, grants, debits, quotes, plans, refunds and statements. */
import { createRoute, z } from "@hono/zod-openapi";
import { stream } from "hono/streaming";
import {
  AlertLevelsRequest,
  AssignPlanRequest,
  DebitRequest,
  type Entry,
  EntryPage,
  GrantRequest,
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
} from "../../../contract/ledger.js";
import { ENTRY_KIND_WORDS } from "../../../contract/words.js";
import * as wallets from "../../core/wallets.js";
import { timeLogRemovalFor, timeLogWriteFor } from "../../features/deskpro-billing.js";
import { coreOf, idempotencyOf, newRouter, respond, tenantOf } from "../env.js";
import { commonProblems, entryParams, idempotencyHeader, json, jsonBody, ownerParams, problem, writeProblems } from "../openapi.js";

const CSV_COLUMNS = ["id", "createdAt", "kind", "amount", "balanceAfter", "ticketId", "minutes", "tier", "reason", "agent", "reversesEntryId"] as const;
/**
 * The columns above keep their names and codes (`kind` is `priority`, `time`…), as importers read
 * them; `kindName` is appended last with the word every screen uses ("Response tier").
 */
const CSV_HEADER = [...CSV_COLUMNS, "kindName"].join(",");

/** CSV cell: quoted when needed; text that a spreadsheet would run as a formula is defused. */
function csvCell(value: unknown, isText: boolean): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
const csvRow = (entry: Entry) =>
  `${[...CSV_COLUMNS.map((column) => csvCell(entry[column], column === "reason" || column === "agent")), csvCell(ENTRY_KIND_WORDS[entry.kind], true)].join(",")}\r\n`;

export function walletRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}",
      operationId: "getWallet",
      tags: ["Wallets"],
      summary: "A wallet's balance, plan, spendable grants and low-balance state",
      description:
        "**This GET may write.** Reading a bank brings it up to date first, so that what it shows is what can be spent: when its plan's allocation for the current period is due it is written (`grant` entries of source `allocation`, with what rolls over), and grants that lapsed get their `expiry` entries, in one transaction through the posting path, exactly as the hourly sweep would have written them; alerts those entries cross are queued as after any posting. Written once: reading again, or two reads at once, write nothing more. An owner nothing was ever written for answers balance 0 on its plan, so there is no 404.",
      request: { params: ownerParams },
      responses: { 200: json(Wallet, "The wallet (a new owner has balance 0)"), ...commonProblems },
    }),
    // Settles the bank before reading it (getWallet): the description says so.
    async (c) => c.json(await wallets.getWallet(coreOf(c), tenantOf(c), c.req.valid("param").owner), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/grants",
      operationId: "createGrant",
      tags: ["Entries"],
      summary: "Add credits",
      description:
        "Adds `amount` credits as a new grant (source `manual` or `promo`), spendable until `expiresAt` (never, when left out; a past date is 400). Credits arriving in an overdrawn bank repay the debt first. Idempotent: a retry with the same `Idempotency-Key` answers the first response again.",
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
      operationId: "createDebit",
      tags: ["Entries"],
      summary: "Spend credits: a manual amount, time (priced by the rate) or a tier fee",
      description:
        "`manual` takes `amount`; `time` prices `minutes` at the time rate on the ticket's total (rounded up to the increment, less what its time already cost); `priority` charges a tier's fee, once per ticket. Debits draw on the soonest-expiring grants first and record which (`draws`). 409 `insufficient_credits` (with `balance` and `required`) when the bank would go below its overdraft limit, checked with the bank locked; 409 `tier_already_charged` (refund the fee to change tier); 422 `unknown_tier` or `tier_not_offered`. Idempotent: a retry with the same `Idempotency-Key` answers the first response again.",
      request: { params: ownerParams, headers: idempotencyHeader, ...jsonBody(DebitRequest) },
      responses: {
        201: json(WriteResult, "The debit entry and the new balance"),
        ...writeProblems,
        422: problem("Unknown tier, or a tier the wallet's plan does not offer"),
      },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      const request = c.req.valid("json");
      // Sidebar time also goes to the ticket's Billing tab in Deskpro, when that link is on.
      // (With it, the debit takes the full posting path rather than one statement: `debitPath`.)
      const alsoInTransaction = request.kind === "time" ? await timeLogWriteFor(coreOf(c), tenantOf(c)) : undefined;
      return respond(c, await wallets.debitCredits(coreOf(c), tenantOf(c), c.req.valid("param").owner, request, idempotency, { alsoInTransaction }));
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/quote",
      operationId: "quoteDebit",
      tags: ["Entries"],
      summary: "Price a debit without writing it",
      description:
        "What `createDebit` with the same body would cost and leave, and whether it would be refused for insufficient credits. Writes nothing, so it takes no Idempotency-Key.",
      request: { params: ownerParams, ...jsonBody(QuoteRequest) },
      responses: { 200: json(Quote, "What the debit would cost and leave"), ...commonProblems, 422: problem("Unknown tier") },
    }),
    async (c) => c.json(await wallets.quote(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/wallets/{owner}/plan-quote",
      operationId: "quoteWalletPlan",
      tags: ["Wallets"],
      summary: "What putting the wallet on a plan would do: credits now and their expiry, and the next top-up (writes nothing)",
      description:
        "The same outlook the plan assignment will follow: whether the wallet already had this period's allocation, the credits given at once (a full period's or a pro-rated share) and when they expire, and the next top-up.",
      request: { params: ownerParams, ...jsonBody(PlanQuoteRequest) },
      responses: { 200: json(PlanQuote, "The outlook"), ...commonProblems, 422: problem("Unknown plan") },
    }),
    async (c) => c.json(await wallets.quotePlan(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets",
      operationId: "listWallets",
      tags: ["Wallets"],
      summary: "Wallets the ledger knows, optionally only those on one plan (a bulk grant's preview)",
      description: "In owner order, up to `limit`; `truncated` says whether more matched.",
      request: { query: WalletListQuery },
      responses: { 200: json(WalletList, "Wallets in owner order"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.listWallets(coreOf(c), tenantOf(c), c.req.valid("query")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/plan",
      operationId: "setWalletPlan",
      tags: ["Wallets"],
      summary: "Put a wallet on a plan by hand (null returns it to the default)",
      description:
        "A plan set by hand wins over the plan rules; `null` hands the bank back to the rules and the default plan. The current period's allocation stands (a bank with none yet this period is allocated at once); the new plan tops up from the next period. 422 `unknown_plan`. Idempotent with an `Idempotency-Key`.",
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
      operationId: "reverseEntry",
      tags: ["Entries"],
      summary: "Refund a debit, or void what remains of a grant",
      description:
        "A reversal is a new entry; the original is never changed. A refunded debit's credits go back onto the grants it drew on while they are open, else into a new non-expiring `refund` grant; a voided grant loses what remains of it. 409 `already_reversed` on a second reversal, even under races; `not_reversible` for entries other than debits and grants; `nothing_to_reverse` for a grant already spent or expired. Idempotent with an `Idempotency-Key`.",
      request: {
        params: entryParams,
        headers: idempotencyHeader,
        ...jsonBody(ReversalRequest),
      },
      responses: { 201: json(WriteResult, "The reversal entry and the new balance"), ...writeProblems, 404: problem("No such entry") },
    }),
    async (c) => {
      const idempotency = idempotencyOf(c);
      const also = timeLogRemovalFor(tenantOf(c)); // refunded sidebar time leaves Deskpro's Billing tab too
      return respond(c, await wallets.reverseEntry(coreOf(c), tenantOf(c), c.req.valid("param").entryId, c.req.valid("json"), idempotency, also));
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/wallets/{owner}/entries",
      operationId: "listEntries",
      tags: ["Entries"],
      summary: "The statement, newest first, optionally filtered by days, ticket and kind (CSV with Accept: text/csv)",
      description:
        "Newest first, `limit` entries a page; send `nextCursor` back as `cursor` for the next page (it is null on the last). With `Accept: text/csv` the answer is CSV: the page asked for when `limit` or `cursor` is given (the next cursor in `X-Next-Cursor`), otherwise the whole statement, streamed.",
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
      const header = `${CSV_HEADER}\r\n`;
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
      operationId: "setWalletProfile",
      tags: ["Wallets"],
      summary: "What Deskpro knows about the wallet's people and organisation (custom fields, SLAs), for the plan rules",
      description:
        "Replaces the stored facts (organisation and person custom field values, SLA ids) and applies the plan rules to them. The ledger reads these facts from Deskpro itself when connected (`refreshWalletProfile`); this is for integrations that know more.",
      request: { params: ownerParams, ...jsonBody(WalletProfile) },
      responses: { 200: json(Wallet, "The wallet, on the plan the rules now give it"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.setWalletProfile(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json")), 200),
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/v1/wallets/{owner}/alert-levels",
      operationId: "setWalletAlertLevels",
      tags: ["Wallets"],
      summary: "Give the wallet its own low-balance levels, or with null send it back to its plan's (changing levels sends no alert by itself)",
      description:
        "A bank's own levels win over its plan's and the helpdesk's; `null` goes back to those. Setting levels sends nothing: levels the balance is already under count as told, and the next crossing alerts.",
      request: { params: ownerParams, ...jsonBody(AlertLevelsRequest) },
      responses: { 200: json(Wallet, "The wallet with the levels that now apply"), ...commonProblems },
    }),
    async (c) => c.json(await wallets.setWalletAlertLevels(coreOf(c), tenantOf(c), c.req.valid("param").owner, c.req.valid("json").levels), 200),
  );
  return app;
}
