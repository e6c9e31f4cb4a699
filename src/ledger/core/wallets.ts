/**
 * The ledger's use cases on wallets: reads, and every write through the one posting path
 * (`posting.ts`). Business errors are typed (`errors.ts`); no SQL (storage/) and no HTTP (http/).
 */
import type {
  AlertLevel,
  AllocationRun,
  AssignPlanRequestInput,
  ChangePayerRequest,
  DebitRequest,
  Entry,
  EntryKind,
  GrantRequest,
  GrantSource,
  LedgerConfig,
  PayerReason,
  Plan,
  PlanQuote,
  PlanQuoteRequest,
  Quote,
  QuoteRequest,
  ReversalRequest,
  TicketEntries,
  TicketPayer,
  TicketPayerPin,
  Wallet,
  WalletList,
  WalletProfile,
  WriteResult,
} from "../../contract/index.js";
import { MAX_CREDITS_PER_WRITE } from "../../contract/index.js";
import { alertLevelsFor, alertTransitions, lowBalanceState, thresholdsInCredits } from "../domain/alerts.js";
import { burnDownOrder, isSpendable, planDebit, planRefund, splitIncomingCredit } from "../domain/burndown.js";
import { choosePayer, payingOwner, pinAfterCharge } from "../domain/payer.js";
import { allocationDue, allocationExpiry, atExpiry, nextPeriodStart, periodStart, planAssignmentOutlook } from "../domain/plans.js";
import { findPlan, findTier, priceTimeEntry, tierOffered } from "../domain/pricing.js";
import * as configs from "../storage/configs.js";
import type { Sql } from "../storage/db.js";
import * as entries from "../storage/entries.js";
import * as fastDebits from "../storage/fast-debits.js";
import * as grants from "../storage/grants.js";
import * as ticketPayers from "../storage/ticket-payers.js";
import * as walletRows from "../storage/wallets.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "./context.js";
import {
  AmountOutOfRange,
  AlreadyReversed,
  InsufficientCredits,
  InvalidRequest,
  NotFound,
  NothingToReverse,
  NotReversible,
  TierAlreadyCharged,
  TierNotOffered,
  UnknownPlan,
  UnknownTier,
  VersionConflict,
} from "./errors.js";
import { newId } from "./ids.js";
import { answerRefusal, planOf, post, replayOf, settleWallet, toApiEntry, toGrantState, type AlsoInTransaction, type EntryDraft } from "./posting.js";

export type { AlsoInTransaction } from "./posting.js";

export const loadConfig = (sql: Sql, tenantId: string) => configs.getConfig(sql, tenantId);

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

async function buildWallet(sql: Sql, tenantId: string, owner: string, config: LedgerConfig, now: Date): Promise<Wallet> {
  const row = await walletRows.findWallet(sql, tenantId, owner);
  const open = row ? await grants.openGrantsWithCredits(sql, tenantId, owner) : [];
  const { plan, source, rule } = planOf(config, row);
  const states = open.map(toGrantState);
  const spendable = states.filter((g) => isSpendable(g, now)).sort(burnDownOrder);
  const byId = new Map(open.map((g) => [g.id, g]));
  const lapsed = states.filter((g) => !isSpendable(g, now)).reduce((sum, g) => sum + g.remaining, 0);
  const balance = (row?.balance ?? 0) - lapsed;
  const levels = alertLevelsFor(row?.alertLevels ?? null, plan, config.alerts.levels);
  const threshold = thresholdsInCredits(levels.levels, plan)[0] ?? null;
  return {
    owner,
    balance,
    plan,
    planSource: source,
    planRule: rule,
    nextTopUpAt: plan && plan.creditsPerPeriod > 0 ? nextPeriodStart(plan.period, periodStart(plan.period, now)).toISOString() : null,
    overdraftLimit: plan?.overdraftLimit ?? 0,
    grants: spendable.map((s) => {
      const g = byId.get(s.id)!;
      return {
        id: g.id,
        amount: g.amount,
        remaining: g.remaining,
        source: g.source,
        paid: g.paid,
        startsAt: g.startsAt.toISOString(),
        expiresAt: g.expiresAt?.toISOString() ?? null,
        atExpiry: atExpiry(g, plan),
      };
    }),
    lowBalance: { threshold, state: lowBalanceState(balance, threshold), levels: levels.levels, levelsFrom: levels.from },
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

/** A wallet's state. What its plan owes and what has lapsed is written first, so what is shown is what is spendable. */
export async function getWallet(ctx: LedgerContext, tenantId: string, owner: string): Promise<Wallet> {
  const now = ctx.clock();
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const row = await walletRows.findWallet(ctx.db, tenantId, owner);
  if (allocationDue(planOf(config, row).plan, row?.allocatedFrom ?? null, now) || (row && (await grants.hasLapsedGrants(ctx.db, tenantId, owner, now)))) {
    await settleWallet(ctx, tenantId, owner);
  }
  return buildWallet(ctx.db, tenantId, owner, config, now);
}

const CURSOR_PATTERN = /^[0-9a-z]{1,13}$/;

/** A statement's filters as the API takes them: whole UTC days, a ticket, a kind. */
export interface StatementFilter {
  from?: string;
  to?: string;
  ticketId?: string;
  kind?: EntryKind;
}

const DAY_MS = 86_400_000;
function toStorageFilter(filter: StatementFilter | undefined): entries.StatementFilter | null {
  if (!filter || Object.values(filter).every((v) => v === undefined)) return null;
  const day = (text: string, path: string) => {
    const at = new Date(`${text}T00:00:00.000Z`);
    if (Number.isNaN(at.getTime())) throw new InvalidRequest(`${path} is not a date.`, [{ path, message: "not a date" }]);
    return at;
  };
  return {
    from: filter.from ? day(filter.from, "from") : undefined,
    before: filter.to ? new Date(day(filter.to, "to").getTime() + DAY_MS) : undefined,
    ticketId: filter.ticketId,
    kind: filter.kind,
  };
}

const pageOf = (ctx: LedgerContext, tenantId: string, owner: string, limit: number, beforeSeq: number | null, filter: entries.StatementFilter | null) =>
  filter ? entries.filteredStatementPage(ctx.db, tenantId, owner, limit, beforeSeq, filter) : entries.statementPage(ctx.db, tenantId, owner, limit, beforeSeq);

export async function getStatement(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  limit: number,
  cursor: string | undefined,
  filter?: StatementFilter,
): Promise<{ entries: Entry[]; nextCursor: string | null }> {
  let beforeSeq: number | null = null;
  if (cursor !== undefined) {
    beforeSeq = CURSOR_PATTERN.test(cursor) ? parseInt(cursor, 36) : NaN;
    if (!Number.isSafeInteger(beforeSeq)) throw new InvalidRequest("The cursor is not one this API returned.", [{ path: "cursor", message: "invalid cursor" }]);
  }
  const rows = await pageOf(ctx, tenantId, owner, limit + 1, beforeSeq, toStorageFilter(filter));
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    entries: page.map(toApiEntry),
    nextCursor: rows.length > limit && last ? last.seq.toString(36) : null,
  };
}

/** Every page of a statement, newest first, for CSV export: a stream of pages, never the whole history in memory. */
export async function* statementPages(ctx: LedgerContext, tenantId: string, owner: string, pageSize = 1000, filter?: StatementFilter): AsyncGenerator<Entry[]> {
  let beforeSeq: number | null = null;
  const storageFilter = toStorageFilter(filter);
  for (;;) {
    const rows = await pageOf(ctx, tenantId, owner, pageSize, beforeSeq, storageFilter);
    if (rows.length === 0) return;
    yield rows.map(toApiEntry);
    if (rows.length < pageSize) return;
    beforeSeq = rows[rows.length - 1]!.seq;
  }
}

export const MAX_TICKET_ENTRIES = 1000;
const TICKET_DEBIT_KINDS = new Set(["manual", "time", "priority", "refund"]);

export async function getTicketEntries(ctx: LedgerContext, tenantId: string, ticketId: string): Promise<TicketEntries> {
  const rows = await entries.ticketEntries(ctx.db, tenantId, ticketId, MAX_TICKET_ENTRIES);
  const minutesOf = (unbilled: boolean) => rows.filter((e) => (e.kind === "unbilled") === unbilled).reduce((sum, e) => sum + (e.minutes ?? 0), 0);
  return {
    ticketId,
    entries: rows.map(toApiEntry),
    totals: {
      net: -rows.filter((e) => TICKET_DEBIT_KINDS.has(e.kind)).reduce((sum, e) => sum + e.amount, 0),
      minutes: minutesOf(false),
      unbilledMinutes: minutesOf(true),
    },
  };
}

/** Who the payer rule (`choosePayer`) picks for a ticket: the person's own wallet, or an organisation's. */
async function payerByRule(
  ctx: LedgerContext,
  tenantId: string,
  personId: string,
  orgs: { ticketOrg: string | null; personOrg: string | null },
): Promise<{ owner: string; reason: PayerReason; organisationFrom: "ticket" | "person" | null; wallet: Wallet }> {
  const person = await getWallet(ctx, tenantId, `person:${personId}`);
  const decision = choosePayer(personId, { ...orgs, personHasOwnPlan: person.planSource === "wallet", personBalance: person.balance });
  return { ...decision, wallet: decision.owner === person.owner ? person : await getWallet(ctx, tenantId, decision.owner) };
}

const toApiPin = (pin: ticketPayers.PayerPinRow) => ({
  owner: pin.owner,
  how: pin.how,
  at: pin.pinnedAt.toISOString(),
  agent: pin.agent,
  note: pin.note,
  previousOwner: pin.previousOwner,
});

/**
 * Which wallet pays for a ticket: the one it is pinned to (its first charge's, or an agent's
 * choice) once there is one, else the payer rule's. The rule's choice is always said too.
 */
export async function getTicketPayer(
  ctx: LedgerContext,
  tenantId: string,
  ticketId: string,
  personId: string,
  orgs: { ticketOrg: string | null; personOrg: string | null },
): Promise<TicketPayer> {
  const [rule, pin] = await Promise.all([payerByRule(ctx, tenantId, personId, orgs), ticketPayers.findPin(ctx.db, tenantId, ticketId)]);
  const owner = payingOwner(rule, pin);
  const wallet = owner === rule.owner ? rule.wallet : await getWallet(ctx, tenantId, owner);
  return {
    owner,
    reason: rule.reason,
    organisationFrom: rule.organisationFrom,
    wallet,
    pin: pin ? toApiPin(pin) : null,
    rule: { owner: rule.owner, reason: rule.reason },
  };
}

/** An agent moves a ticket to another bank: later charges go there; earlier ones stay with the bank that paid them. */
export async function changeTicketPayer(
  ctx: LedgerContext,
  tenantId: string,
  ticketId: string,
  request: ChangePayerRequest,
  idempotency: Idempotency,
): Promise<WriteOutcome<TicketPayerPin>> {
  return post<TicketPayerPin>(ctx, {
    tenantId,
    idempotency,
    wallet: { owner: request.owner, ticketId },
    decide: async ({ tx, now }) => {
      const previous = await ticketPayers.findPin(tx, tenantId, ticketId);
      const pin: ticketPayers.PayerPinRow = {
        ticketId,
        owner: request.owner,
        how: "agent",
        agent: request.agent ?? null,
        note: request.reason,
        previousOwner: previous?.owner ?? null,
        pinnedAt: now,
      };
      await ticketPayers.setPin(tx, tenantId, pin);
      return { entry: null, status: 200, body: { ticketId, pin: toApiPin(pin) } };
    },
  });
}

/** Banks, a page at a time, optionally only those on one plan (for a bulk grant's preview). */
export async function listWallets(
  ctx: LedgerContext,
  tenantId: string,
  filter: { plan?: string; type?: "org" | "person"; limit: number },
): Promise<WalletList> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const found: WalletList["wallets"] = [];
  let after = "";
  for (;;) {
    const page = await walletRows.listWallets(ctx.db, tenantId, after, 500, filter.type ?? null);
    for (const row of page) {
      const plan = planOf(config, row).plan;
      if (filter.plan !== undefined && plan?.key !== filter.plan) continue;
      if (found.length === filter.limit) return { wallets: found, truncated: true };
      found.push({ owner: row.owner, name: row.displayName, balance: row.balance, plan: plan?.key ?? null });
    }
    if (page.length < 500) return { wallets: found, truncated: false };
    after = page[page.length - 1]!.owner;
  }
}

// ---------------------------------------------------------------------------------------------
// Pricing (shared by debits and quotes)
// ---------------------------------------------------------------------------------------------

interface Priced {
  amount: number;
  minutes: number | null;
  tier: string | null;
  defaultReason: string;
  billedMinutesBefore: number | null;
  billedMinutesAfter: number | null;
}

async function priceDebit(sql: Sql, tenantId: string, config: LedgerConfig, plan: Plan | null, request: QuoteRequest): Promise<Priced> {
  switch (request.kind) {
    case "manual":
      return { amount: request.amount, minutes: null, tier: null, defaultReason: "", billedMinutesBefore: null, billedMinutesAfter: null };
    case "time": {
      const ticket = await entries.ticketTime(sql, tenantId, request.ticketId);
      const charge = priceTimeEntry(ticket, request.minutes, config.time);
      if (charge.amount > MAX_CREDITS_PER_WRITE) {
        throw new AmountOutOfRange(charge.amount, MAX_CREDITS_PER_WRITE, `${request.minutes.toLocaleString("en")} minutes at this helpdesk's rate`);
      }
      return {
        amount: charge.amount,
        minutes: request.minutes,
        tier: null,
        defaultReason: `${request.minutes} min logged`,
        billedMinutesBefore: charge.billedMinutesBefore,
        billedMinutesAfter: charge.billedMinutesAfter,
      };
    }
    case "priority": {
      const tier = findTier(config, request.tier);
      if (!tier) throw new UnknownTier(request.tier);
      if (!tierOffered(plan, tier.key)) throw new TierNotOffered(tier.label);
      const existing = await entries.activePriorityCharge(sql, tenantId, request.ticketId);
      if (existing) throw new TierAlreadyCharged(request.ticketId, existing.tier, existing.id);
      return { amount: tier.price, minutes: null, tier: tier.key, defaultReason: tier.label, billedMinutesBefore: null, billedMinutesAfter: null };
    }
  }
}

export async function quote(ctx: LedgerContext, tenantId: string, owner: string, request: QuoteRequest): Promise<Quote> {
  const now = ctx.clock();
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const wallet = await buildWallet(ctx.db, tenantId, owner, config, now);
  const priced = await priceDebit(ctx.db, tenantId, config, wallet.plan, request);
  return {
    amount: priced.amount,
    balance: wallet.balance,
    balanceAfter: wallet.balance - priced.amount,
    insufficient: priced.amount > wallet.balance + wallet.overdraftLimit,
    billedMinutesBefore: priced.billedMinutesBefore,
    billedMinutesAfter: priced.billedMinutesAfter,
    overdraft: Math.max(0, priced.amount - Math.max(0, wallet.balance)),
  };
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

export async function grantCredits(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: Omit<GrantRequest, "source"> & { source: GrantSource; paid?: boolean },
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: { owner },
    also,
    decide: ({ now, balance }) => {
      const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
      if (expiresAt && expiresAt <= now)
        throw new InvalidRequest("expiresAt must be in the future.", [{ path: "expiresAt", message: "must be in the future" }]);
      // Credits arriving in an overdrawn wallet repay the debt first; the rest lands on the grant.
      const { toGrant } = splitIncomingCredit(balance, request.amount);
      return {
        entry: {
          kind: "grant",
          amount: request.amount,
          reason: request.reason,
          agent: request.agent ?? null,
          newGrant: { amount: request.amount, remaining: toGrant, source: request.source, paid: request.paid ?? false, expiresAt },
        },
      };
    },
  });
}

/**
 * A manual or time debit in one statement (storage/fast-debits.ts) when the wallet's cached facts
 * say nothing else must happen with it (no allocation due, nothing lapsed, no alert level crossed,
 * the configuration unchanged); null when the full posting path is needed. The statement's
 * burn-down and time pricing are checked against the domain's functions by tests.
 */
async function debitInOneStatement(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: DebitRequest,
  idempotency: Idempotency,
): Promise<WriteOutcome<WriteResult> | null> {
  if (request.kind !== "manual" && request.kind !== "time") return null;
  const config = configs.lastReadConfig(tenantId);
  if (!config) return null;
  const now = ctx.clock();
  const result = await fastDebits.postDebitInOneStatement(ctx.db, {
    tenantId,
    owner,
    key: idempotency,
    requestHash: idempotency.requestHash,
    now,
    entryId: newId("ent", now),
    kind: request.kind,
    amount: request.kind === "manual" ? request.amount : null,
    minutes: request.kind === "time" ? request.minutes : null,
    ticketId: request.ticketId ?? null,
    reason: request.reason ?? null,
    agent: request.agent ?? null,
    configVersion: config.version,
    rate: config.config.time,
  });
  switch (result.outcome) {
    case "posted":
      return { status: 201, body: JSON.parse(result.text) as WriteResult, text: result.text, replayed: false };
    case "replay":
      return replayOf<WriteResult>(result.answer, idempotency);
    case "insufficient":
      return answerRefusal<WriteResult>(ctx, tenantId, idempotency, new InsufficientCredits(result.balance, result.required, result.available));
    case "full_path_needed":
      return null;
  }
}

export interface DebitOptions {
  /**
   * What the caller writes with the debit, in its transaction (a sidebar time's write-back to
   * Deskpro's Billing tab, the record of a Deskpro charge, a portal ticket's state). The debit then
   * takes the full posting path: see `debitPath`.
   */
  alsoInTransaction?: AlsoInTransaction;
  /** A tier fee capped at the price the customer was shown (the portal form's option title). */
  priceAtMost?: number;
  /** Credits the bank may go past its plan's overdraft for this debit (a customer's approved overage). */
  extraOverdraft?: number;
}

/**
 * Which way a debit is written, decided before anything is read:
 * - "one statement when it can": a manual or time debit with nothing else to write is tried as
 *   one statement (`ledger_post_debit`); the statement itself hands it to the full path, writing
 *   nothing, whenever the wallet's cached facts say the full path has work (an allocation due, a
 *   lapsed grant, an alert level crossed, the configuration changed, a ticket's first charge);
 * - "full path": a tier fee, a removal or unbilled time (the statement writes none of these), and
 *   any debit that comes with `alsoInTransaction`, which one statement can't run.
 * Either way the answer is the same (tests/ledger/fast-debit.test.ts); only the round trips differ.
 */
export type DebitPath = "one statement when it can" | "full path";

export function debitPath(request: DebitRequest, options: DebitOptions): DebitPath {
  if (request.kind !== "manual" && request.kind !== "time") return "full path";
  if (options.alsoInTransaction !== undefined) return "full path";
  return "one statement when it can";
}

export async function debitCredits(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: DebitRequest,
  idempotency: Idempotency,
  options: DebitOptions = {},
): Promise<WriteOutcome<WriteResult>> {
  const ticketId = request.kind === "removal" ? null : (request.ticketId ?? null);
  const also = options.alsoInTransaction;
  if (debitPath(request, options) === "one statement when it can") {
    // The statement stands aside for a ticket's first charge, which pins the ticket's payer below.
    const done = await debitInOneStatement(ctx, tenantId, owner, request, idempotency);
    if (done) return done;
  }
  return post(ctx, {
    tenantId,
    idempotency,
    // Time totals, tier charges and the ticket's payer are per ticket: the ticket is locked too.
    wallet: { owner, ticketId },
    // A ticket's first charge pins the bank that paid it as the ticket's payer.
    also: async (tx, result, now) => {
      if (ticketId !== null) {
        const pin = pinAfterCharge(await ticketPayers.findPin(tx, tenantId, ticketId), owner);
        if (pin) await ticketPayers.pinFirstCharge(tx, tenantId, ticketId, pin.owner, result.entry.agent, now);
      }
      await also?.(tx, result, now);
    },
    decide: async ({ tx, tenantId, config, plan, grants: open, balance, now }) => {
      if (request.kind === "unbilled") {
        // Recorded, not charged: no credits move and the ticket's billed total is unchanged.
        return {
          entry: {
            kind: "unbilled",
            amount: 0,
            reason: request.reason ?? `${request.minutes} min worked, not billed`,
            ticketId: request.ticketId,
            agent: request.agent ?? null,
            minutes: request.minutes,
          },
        };
      }
      const priced = await priceDebit(tx, tenantId, config, plan, request.kind === "removal" ? { kind: "manual", amount: request.amount } : request);
      if (request.kind === "priority" && options.priceAtMost !== undefined) priced.amount = Math.min(priced.amount, options.priceAtMost);
      const decision = planDebit(open.map(toGrantState), balance, priced.amount, (plan?.overdraftLimit ?? 0) + (options.extraOverdraft ?? 0), now);
      if (!decision.ok) throw new InsufficientCredits(decision.balance, decision.required, decision.available);
      return {
        entry: {
          kind: request.kind,
          amount: -priced.amount || 0,
          reason: request.reason ?? (priced.defaultReason || null),
          ticketId,
          agent: request.agent ?? null,
          minutes: priced.minutes,
          tier: priced.tier,
          draws: decision.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount })),
        },
      };
    },
  });
}

const REFUNDABLE_KINDS = new Set(["manual", "time", "priority", "removal"]);

/** Refunds a debit (credits go back where they came from) or voids what remains of a grant. */
export async function reverseEntry(
  ctx: LedgerContext,
  tenantId: string,
  entryId: string,
  request: ReversalRequest,
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  let original: entries.EntryRow;
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: async (tx) => {
      const found = await entries.findEntry(tx, tenantId, entryId);
      if (!found) throw new NotFound(`No entry ${entryId}.`);
      if (!REFUNDABLE_KINDS.has(found.kind) && found.kind !== "grant") {
        throw new NotReversible(`A ${found.kind} entry can't be reversed; only debits and grants can.`);
      }
      original = found;
      return { owner: found.owner, ticketId: found.ticketId };
    },
    also,
    decide: async ({ tx, tenantId, balance, now }): Promise<{ entry: EntryDraft }> => {
      const existing = await entries.findReversalOf(tx, tenantId, original.id);
      if (existing) throw new AlreadyReversed(original.id, existing);
      const base = { reason: request.reason, ticketId: original.ticketId, agent: request.agent ?? null, tier: original.tier, reversesEntryId: original.id };
      if (original.kind === "grant") {
        const [grant] = await grants.grantsByIds(tx, tenantId, [original.grantId!]);
        const remaining = grant && grant.closedAt === null ? grant.remaining : 0;
        if (remaining === 0) throw new NothingToReverse("Every credit of this grant has already been spent or has expired.");
        return {
          entry: {
            ...base,
            kind: "void",
            amount: -remaining,
            grantId: grant!.id,
            draws: [{ grantId: grant!.id, amount: -remaining }],
            closeGrantIds: [grant!.id],
          },
        };
      }
      const total = -original.amount;
      const drawn = original.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount }));
      const drawnGrants = await grants.grantsByIds(
        tx,
        tenantId,
        drawn.map((d) => d.grantId),
      );
      const refund = planRefund(total, drawn, new Map(drawnGrants.map((g) => [g.id, toGrantState(g)])), balance, now);
      return {
        entry: {
          ...base,
          kind: "refund",
          amount: total,
          minutes: original.minutes === null ? null : -original.minutes,
          draws: refund.restores,
          // Credits whose grant has lapsed or been voided since (or that were overdraft) come back as a grant of their own.
          newGrant:
            refund.refundGrant > 0
              ? { amount: refund.refundGrant, remaining: refund.refundGrant, source: "refund", paid: drawnGrants.some((g) => g.paid), expiresAt: null }
              : undefined,
        },
      };
    },
  });
}

/** What to take back of a grant, decided with what remains of it (and under the wallet's lock). */
export interface GrantTakeBack {
  credits: number;
  reason: string;
}

/**
 * Takes back some of a grant's credits — a partial refund of what was paid for them — as a `void`
 * entry for the credits asked for, never more than remain of the grant (a grant left empty is
 * closed). `decide` is asked inside the posting's transaction, with the wallet locked, so takings
 * from one wallet are decided one at a time and each sees what the ones before it took (and may
 * lock rows of its own). Nothing to take is NothingToReverse.
 */
export async function takeBackGrantCredits(
  ctx: LedgerContext,
  tenantId: string,
  grantEntryId: string,
  decide: (tx: Sql, remaining: number) => Promise<GrantTakeBack>,
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  let grantId: string;
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: async (tx) => {
      const found = await entries.findEntry(tx, tenantId, grantEntryId);
      if (!found || found.kind !== "grant" || !found.grantId) throw new NotFound(`No grant entry ${grantEntryId}.`);
      grantId = found.grantId;
      return { owner: found.owner };
    },
    also,
    decide: async ({ tx, tenantId }) => {
      const [grant] = await grants.grantsByIds(tx, tenantId, [grantId]);
      const remaining = grant && grant.closedAt === null ? grant.remaining : 0;
      const asked = await decide(tx, remaining);
      const taken = Math.min(Math.max(0, asked.credits), remaining);
      if (taken === 0) throw new NothingToReverse("Nothing to take back: none of the grant remains, or nothing was asked.");
      return {
        entry: {
          kind: "void",
          amount: -taken,
          reason: asked.reason,
          grantId,
          draws: [{ grantId, amount: -taken }],
          closeGrantIds: taken === remaining ? [grantId] : [],
        },
      };
    },
  });
}

export async function assignPlan(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: AssignPlanRequestInput,
  idempotency: Idempotency,
): Promise<WriteOutcome<Wallet>> {
  const firstPeriod = request.firstPeriod ?? "full";
  return post<Wallet>(ctx, {
    tenantId,
    idempotency,
    wallet: { owner },
    decide: async ({ tx, config, wallet, now }) => {
      if (request.plan !== null && !findPlan(config, request.plan)) throw new UnknownPlan(request.plan);
      await walletRows.setPlan(tx, tenantId, owner, request.plan, now);
      const plan = planOf(config, { ...wallet, planKey: request.plan }).plan;
      const outlook = planAssignmentOutlook(plan, allocatedAfterSettling(planOf(config, wallet).plan, wallet.allocatedFrom, now), firstPeriod, now);
      // A pro-rated first period is allocated here, so settling doesn't give the full period's credits.
      const prorate = plan !== null && firstPeriod === "prorated" && !outlook.allocatedThisPeriod;
      const drafts: EntryDraft[] = [];
      if (prorate) {
        const start = periodStart(plan.period, now);
        await walletRows.setAllocatedFrom(tx, tenantId, owner, start);
        if (outlook.creditsNow > 0) {
          drafts.push({
            kind: "grant",
            amount: outlook.creditsNow,
            reason: `${plan.name}: ${outlook.creditsNow.toLocaleString("en")} credits for the rest of the ${plan.period} (pro-rated)`,
            agent: request.agent ?? null,
            newGrant: {
              amount: outlook.creditsNow,
              remaining: outlook.creditsNow,
              source: "allocation",
              paid: false,
              expiresAt: allocationExpiry(plan, start),
            },
          });
        }
      }
      return { entry: null, status: 200, entries: drafts, body: () => buildWallet(tx, tenantId, owner, config, now) };
    },
  });
}

/** What assigning a plan would do now: credits at once and their expiry, and the next top-up. */
export async function quotePlan(ctx: LedgerContext, tenantId: string, owner: string, request: PlanQuoteRequest): Promise<PlanQuote> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  if (request.plan !== null && !findPlan(config, request.plan)) throw new UnknownPlan(request.plan);
  const row = await walletRows.findWallet(ctx.db, tenantId, owner);
  const plan = resolvePlanFor(config, row, request.plan);
  const now = ctx.clock();
  const outlook = planAssignmentOutlook(plan, allocatedAfterSettling(planOf(config, row).plan, row?.allocatedFrom ?? null, now), request.firstPeriod, now);
  return {
    plan,
    firstPeriod: request.firstPeriod,
    allocatedThisPeriod: outlook.allocatedThisPeriod,
    creditsNow: outlook.creditsNow,
    creditsNowExpireAt: outlook.creditsNowExpireAt?.toISOString() ?? null,
    fullPeriodCredits: outlook.fullPeriodCredits,
    proratedCredits: outlook.proratedCredits,
    nextTopUpAt: outlook.nextTopUpAt?.toISOString() ?? null,
    nextTopUpCredits: outlook.nextTopUpCredits,
  };
}

/** Settling (before any write) gives a bank its current plan's allocation if owed: the period it was then allocated for. */
const allocatedAfterSettling = (plan: Plan | null, allocatedFrom: Date | null, now: Date) => allocationDue(plan, allocatedFrom, now) ?? allocatedFrom;

/** The plan a bank would be on with `planKey` set by hand (null: back to the rules and the default). */
const resolvePlanFor = (config: LedgerConfig, row: walletRows.WalletRow | null, planKey: string | null) =>
  planOf(
    config,
    row
      ? { ...row, planKey }
      : { owner: "", balance: 0, planKey, updatedAt: new Date(0), allocatedFrom: null, profile: null, alertFired: [], alertLevels: null },
  ).plan;

export async function putConfig(
  ctx: LedgerContext,
  tenantId: string,
  config: LedgerConfig,
  expectedVersion: number | null,
): Promise<{ config: LedgerConfig; version: number; updatedAt: string }> {
  const saved = await configs.putConfig(ctx.db, tenantId, config, ctx.clock(), expectedVersion);
  if (!saved) throw new VersionConflict();
  return { config: saved.config, version: saved.version, updatedAt: saved.updatedAt!.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Plans: Deskpro facts, alert levels and the allocation run
// ---------------------------------------------------------------------------------------------

/** Stores what Deskpro knows about the wallet's people and organisation; the plan rules read it. */
export async function setWalletProfile(ctx: LedgerContext, tenantId: string, owner: string, profile: WalletProfile): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    await walletRows.lockWallet(tx, tenantId, owner, now);
    await walletRows.setProfile(tx, tenantId, owner, profile, now);
  });
  // Reading the wallet allocates at once if the facts put it on a plan that owes credits.
  return getWallet(ctx, tenantId, owner);
}

/**
 * Sets (or, with null, clears) the wallet's own low-balance levels. Levels the balance is already
 * under count as told: changing levels sends nothing by itself; the next crossing does.
 */
export async function setWalletAlertLevels(ctx: LedgerContext, tenantId: string, owner: string, levels: AlertLevel[] | null): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const wallet = await walletRows.lockWallet(tx, tenantId, owner, now);
    await walletRows.setAlertLevels(tx, tenantId, owner, levels, now);
    const { config } = wallet.config;
    const plan = planOf(config, wallet).plan;
    const thresholds = thresholdsInCredits(alertLevelsFor(levels, plan, config.alerts.levels).levels, plan);
    const { fired } = alertTransitions(thresholds, [...thresholds, 0], wallet.balance);
    await walletRows.setAlertFired(tx, tenantId, owner, fired);
  });
  return getWallet(ctx, tenantId, owner);
}

/**
 * Gives every wallet what its plan owes for the current period (for a cron job). Each wallet is
 * allocated in its own transaction under its row lock, so two runs at once, or a run beside a
 * write to the wallet, allocate a period once.
 */
export async function allocateAll(
  ctx: LedgerContext,
  tenantId: string,
  options: { shouldStop?: () => boolean } = {},
): Promise<Omit<AllocationRun, "expiringNotices"> & { stoppedEarly: boolean }> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const defaultAllocates = (findPlan(config, config.defaultPlan)?.creditsPerPeriod ?? 0) > 0;
  let after = "";
  let checked = 0;
  let allocated = 0;
  let settledAny = false;
  for (;;) {
    const page = await walletRows.walletsForAllocation(ctx.db, tenantId, after, 500, defaultAllocates);
    if (page.length === 0) break;
    for (const row of page) {
      checked++;
      if (!allocationDue(planOf(config, row).plan, row.allocatedFrom, ctx.clock())) continue;
      // Out of time, with a bank still due (and at least one done, so every run gets somewhere): the
      // next run goes on, passing quickly over the banks done, which are no longer due.
      if (settledAny && options.shouldStop?.()) return { checked, allocated, stoppedEarly: true };
      settledAny = true;
      // Looked at again under the lock: another run may have just done it.
      if ((await settleWallet(ctx, tenantId, row.owner)).allocated) allocated++;
    }
    after = page[page.length - 1]!.owner;
  }
  return { checked, allocated, stoppedEarly: false };
}
