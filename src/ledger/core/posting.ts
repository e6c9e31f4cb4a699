/**
 * The one posting path. Every change to a wallet's credits goes through `post` (or, for a wallet
 * that only needs its lapses and allocation written, `settleWallet`), which in one transaction:
 *
 *   claims the Idempotency-Key → locks the wallet (and the ticket) → reads the configuration once →
 *   settles: allocates what the plan owes and expires lapsed grants → asks the use case what to
 *   write → appends it → runs the after-post hooks (alerts) → completes the key with the answer.
 *
 * Lock order everywhere: idempotency key, then wallet, then ticket. One order means no deadlocks.
 * No SQL here (storage/) and no HTTP (http/).
 */
import type { LedgerConfig, Plan } from "../../contract/config.js";
import { ErrorCode, type Entry, type EntryKind, type GrantSource, type WriteResult } from "../../contract/ledger.js";
import { formatCustomerDate } from "../../contract/words.js";
import { alertBand, alertLevelsFor, alertTransitions, thresholdsInCredits } from "../domain/alerts.js";
import { lapsedGrants, type Draw, type GrantState } from "../domain/burndown.js";
import { allocationDue, allocationExpiry, nextAllocationAt, nextPeriodStart, resolvePlan, rolloverCap } from "../domain/plans.js";
import type { Sql } from "../storage/db.js";
import * as entries from "../storage/entries.js";
import * as grants from "../storage/grants.js";
import * as idempotencyKeys from "../storage/idempotency.js";
import * as wallets from "../storage/wallets.js";
import type { Clock, Idempotency, LedgerContext, Posted, WriteOutcome } from "./context.js";
import { IdempotencyKeyReused, LedgerError, ReplayedRefusal } from "./errors.js";
import { newId } from "./ids.js";

/** A locked wallet as a use case sees it: settled, with its configuration and plan. */
export interface WalletState {
  tx: Sql;
  tenantId: string;
  now: Date;
  wallet: wallets.LockedWallet;
  config: LedgerConfig;
  plan: Plan | null;
  /** The balance now, after settling and whatever this posting has appended so far. */
  balance: number;
  /** Open grants with credits after settling (lapsed ones are closed by then). */
  grants: grants.GrantRow[];
}

/** One journal line to append: the core fills in ids, the wallet, the time and the balance after. */
export interface EntryDraft {
  kind: EntryKind;
  /** Signed: positive adds credits, negative takes them. */
  amount: number;
  reason: string | null;
  ticketId?: string | null;
  agent?: string | null;
  minutes?: number | null;
  tier?: string | null;
  reversesEntryId?: string | null;
  /** The existing grant the entry concerns (voided or expired). */
  grantId?: string | null;
  /** A grant created with the entry; the entry then names it. */
  newGrant?: { amount: number; remaining: number; source: GrantSource; paid: boolean; expiresAt: Date | null };
  /** Signed changes to grants' remaining credits, recorded as the entry's draws. */
  draws?: readonly Draw[];
  /** Grants the entry closes (voided or expired). */
  closeGrantIds?: readonly string[];
}

/**
 * What a use case decides: an entry to post (answered 201 with the entry and the balance), or, for
 * a write that is not an entry (a plan assignment), an answer of its own.
 */
export type Decision<T> =
  (T extends WriteResult ? { entry: EntryDraft } : never) | { entry: null; status: number; body: T | (() => Promise<T>); entries?: readonly EntryDraft[] };

/** More writes that must commit or roll back with the entry (a feature's outbox rows). Not run on a replay. */
export type AlsoInTransaction = (tx: Sql, result: WriteResult, now: Date) => Promise<void>;

export interface PostRequest<T> {
  tenantId: string;
  /** Null for the ledger's own bookkeeping, which needs no key. */
  idempotency: Idempotency | null;
  /** The wallet, or how to find it once the key is claimed (a reversal reads the entry it reverses first). */
  wallet: { owner: string; ticketId?: string | null } | ((tx: Sql) => Promise<{ owner: string; ticketId?: string | null }>);
  decide: (state: WalletState) => Promise<Decision<T>> | Decision<T>;
  also?: AlsoInTransaction;
}

export function toApiEntry(e: entries.EntryRow | (entries.NewEntry & { draws: readonly Draw[] })): Entry {
  return {
    id: e.id,
    owner: e.owner,
    kind: e.kind,
    amount: e.amount,
    balanceAfter: e.balanceAfter,
    reason: e.reason,
    ticketId: e.ticketId,
    agent: e.agent,
    minutes: e.minutes,
    tier: e.tier,
    grantId: e.grantId,
    reversesEntryId: e.reversesEntryId,
    draws: e.draws.map((d) => ({ grantId: d.grantId, amount: d.amount })),
    createdAt: e.createdAt.toISOString(),
  };
}

export const toGrantState = (g: grants.GrantRow): GrantState => ({
  id: g.id,
  remaining: g.remaining,
  paid: g.paid,
  expiresAt: g.expiresAt,
  createdAt: g.createdAt,
  seq: g.seq,
  closed: g.closedAt !== null,
});

export const planOf = (config: LedgerConfig, wallet: wallets.WalletRow | null) => resolvePlan(config, wallet?.planKey ?? null, wallet?.profile ?? null);

/** The journal of one posting: what it appended so far, so the after-post hooks know what moved. */
interface Journal {
  state: WalletState;
  written: entries.NewEntry[];
  /** The entry the use case decided on, once appended. */
  main: entries.NewEntry | null;
  /** Whether settling gave the wallet its plan's allocation for the period. */
  allocated: boolean;
}

/**
 * Appends one entry (and the grant it creates) and moves the state's balance. With `completeKey`
 * the same statement completes that idempotency key with the answer (the entry and the balance).
 */
async function append(journal: Journal, draft: EntryDraft, completeKey?: Idempotency): Promise<{ entry: entries.NewEntry; result: WriteResult; text: string }> {
  const { state } = journal;
  const { tx, tenantId, now } = state;
  let grantId = draft.grantId ?? null;
  if (draft.newGrant) {
    grantId = newId("grt", now);
    await grants.insertGrant(tx, { id: grantId, tenantId, owner: state.wallet.owner, ...draft.newGrant, startsAt: now, createdAt: now });
  }
  const entry: entries.NewEntry = {
    id: newId("ent", now),
    tenantId,
    owner: state.wallet.owner,
    kind: draft.kind,
    amount: draft.amount,
    balanceAfter: state.balance + draft.amount,
    reason: draft.reason,
    ticketId: draft.ticketId ?? null,
    agent: draft.agent ?? null,
    minutes: draft.minutes ?? null,
    tier: draft.tier ?? null,
    grantId,
    reversesEntryId: draft.reversesEntryId ?? null,
    createdAt: now,
  };
  const draws = draft.draws ?? [];
  const result: WriteResult = { entry: toApiEntry({ ...entry, draws }), balance: entry.balanceAfter };
  const text = JSON.stringify(result);
  await entries.appendEntry(tx, {
    entry,
    draws,
    closeGrantIds: draft.closeGrantIds,
    idempotency: completeKey === undefined ? undefined : { scope: completeKey.scope, key: completeKey.key, status: 201, text },
  });
  state.balance = entry.balanceAfter;
  journal.written.push(entry);
  return { entry, result, text };
}

/** Dates inside entry reasons read as words ("30 November 2026"), never ISO. */
const dayInWords = formatCustomerDate;
const monthName = (at: Date) => at.toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

/**
 * Gives the wallet its plan's allocation for the current period if it is owed one. The previous
 * allocation's unused credits, up to the plan's rollover cap, carry over as a grant of their own;
 * the rest expires as an entry. Runs with the wallet locked, so a period is allocated once,
 * whoever asks.
 */
async function allocateIfDue(journal: Journal): Promise<void> {
  const { state } = journal;
  const { plan, now } = state;
  const start = allocationDue(plan, state.wallet.allocatedFrom, now);
  if (!plan || !start) return;
  journal.allocated = true;
  const cap = rolloverCap(plan);
  // Last period's allocation, lapsed with credits left: roll over up to the cap, expire the rest.
  const lapsedAllocations = (await grants.openGrantsWithCredits(state.tx, state.tenantId, state.wallet.owner)).filter(
    (g) => g.source === "allocation" && g.expiresAt !== null && g.expiresAt.getTime() <= now.getTime(),
  );
  let carried = 0;
  for (const g of lapsedAllocations) {
    carried += Math.min(g.remaining, Math.max(0, cap - carried));
    await append(journal, {
      kind: "expiry",
      amount: -g.remaining,
      reason: `Unused allocation ended on ${dayInWords(g.expiresAt!)}`,
      grantId: g.id,
      draws: [{ grantId: g.id, amount: -g.remaining }],
      closeGrantIds: [g.id],
    });
  }
  const grant = (amount: number, source: "allocation" | "rollover", expiresAt: Date, reason: string): EntryDraft => ({
    kind: "grant",
    amount,
    reason,
    newGrant: { amount, remaining: amount, source, paid: false, expiresAt },
  });
  if (carried > 0) {
    await append(
      journal,
      grant(
        carried,
        "rollover",
        nextPeriodStart(plan.period, start),
        `${plan.name}: ${carried.toLocaleString("en")} unused credits rolled over into ${monthName(start)}`,
      ),
    );
  }
  await append(
    journal,
    grant(
      plan.creditsPerPeriod,
      "allocation",
      allocationExpiry(plan, start),
      `${plan.name}: ${plan.creditsPerPeriod.toLocaleString("en")} credits for the ${plan.period} from ${dayInWords(start)}`,
    ),
  );
  await wallets.setAllocatedFrom(state.tx, state.tenantId, state.wallet.owner, start);
  state.wallet.allocatedFrom = start;
}

/** Allocates what the plan owes, then writes an expiry entry for every grant whose time has passed. */
async function settle(journal: Journal): Promise<void> {
  const { state } = journal;
  await allocateIfDue(journal);
  const open = await grants.openGrantsWithCredits(state.tx, state.tenantId, state.wallet.owner);
  const lapsedIds = new Set<string>();
  for (const lapsed of lapsedGrants(open.map(toGrantState), state.now)) {
    lapsedIds.add(lapsed.id);
    await append(journal, {
      kind: "expiry",
      amount: -lapsed.remaining,
      reason: `Unused credits expired on ${dayInWords(lapsed.expiresAt!)}`,
      grantId: lapsed.id,
      draws: [{ grantId: lapsed.id, amount: -lapsed.remaining }],
      closeGrantIds: [lapsed.id],
    });
  }
  state.grants = open.filter((g) => !lapsedIds.has(g.id));
}

/** Lets the features see what moved, once, with the final balance. */
async function runAfterPostHooks(ctx: LedgerContext, journal: Journal): Promise<void> {
  if (journal.written.length === 0) return;
  const { state, main } = journal;
  const posted: Posted = {
    tenantId: state.tenantId,
    wallet: state.wallet,
    config: state.config,
    plan: state.plan,
    balance: state.balance,
    entryId: main?.id ?? `settle:${state.now.toISOString()}`,
    ticketId: main?.ticketId ?? null,
    now: state.now,
  };
  for (const hook of ctx.afterPost) await hook(state.tx, posted);
}

/**
 * What a single-statement debit may assume about the wallet until something changes (see
 * `ledger_post_debit` in storage/schema.sql): null when the wallet's alert state doesn't match its balance, so that
 * the next debit takes the full path and evaluates alerts.
 */
function fastDebitFacts(state: WalletState): wallets.FastDebitFacts | null {
  const { wallet, plan, config, balance, now } = state;
  const thresholds = thresholdsInCredits(alertLevelsFor(wallet.alertLevels, plan, config.alerts.levels).levels, plan);
  const expectedFired = alertTransitions(thresholds, [], balance).fired;
  if (expectedFired.join(",") !== wallet.alertFired.join(",")) return null;
  const band = alertBand(thresholds, balance);
  return {
    version: wallet.config.version,
    allocationAt: nextAllocationAt(plan, wallet.allocatedFrom, now),
    overdraftLimit: plan?.overdraftLimit ?? 0,
    alertLow: band.low,
    alertHigh: band.high,
  };
}

/**
 * Locks the wallet (already locked when the key's claim did it) and the ticket, and settles it.
 * What it writes is dated once the locks are held, and never before the wallet's last write: a
 * posting that waited its turn is dated after the one it waited for, so a statement reads in order.
 */
async function open(
  tx: Sql,
  tenantId: string,
  clock: Clock,
  arrivedAt: Date,
  owner: string,
  ticketId: string | null,
  locked: wallets.LockedWallet | null,
): Promise<Journal> {
  const wallet = locked ?? (await wallets.lockWallet(tx, tenantId, owner, arrivedAt));
  if (ticketId !== null) await entries.lockTicket(tx, tenantId, ticketId);
  const now = new Date(Math.max(clock().getTime(), wallet.updatedAt.getTime()));
  const { config } = wallet.config;
  const journal: Journal = {
    state: { tx, tenantId, now, wallet, config, plan: planOf(config, wallet).plan, balance: wallet.balance, grants: [] },
    written: [],
    main: null,
    allocated: false,
  };
  await settle(journal);
  return journal;
}

/**
 * Posts one write to one wallet, once per idempotency key. The key is claimed inside the write's
 * transaction, so a failed write leaves no trace and a concurrent duplicate waits for the first
 * and replays its answer. A write that names its wallet up front gets it locked in the same round
 * trip as the claim. A refusal is the key's answer too (see `answerRefusal`).
 */
export async function post<T = WriteResult>(ctx: LedgerContext, request: PostRequest<T>): Promise<WriteOutcome<T>> {
  try {
    return await postInTransaction(ctx, request);
  } catch (error) {
    if (request.idempotency === null || !isRefusal(error)) throw error;
    return answerRefusal<T>(ctx, request.tenantId, request.idempotency, error);
  }
}

/** A business refusal of the request itself, which becomes its key's answer (not a replay, not a clash of keys). */
const isRefusal = (error: unknown): error is LedgerError =>
  error instanceof LedgerError && !(error instanceof IdempotencyKeyReused) && !(error instanceof ReplayedRefusal);

/**
 * Makes a refusal its key's answer, so every later attempt with a client's key (a retry, or an
 * attempt that reaches the database late) is refused the same way and writes nothing. The refused
 * transaction has rolled back; if another attempt answered the key meanwhile, its answer wins and
 * is replayed here. Throws the refusal when it stands.
 *
 * The ledger's own keys (Stripe fulfilment, portal and time-log jobs) are not given refusals:
 * those jobs are built to ask again until the bank can pay ("waits for credits"), and nobody
 * outside was told the refusal. They still replay an answer another attempt recorded meanwhile.
 */
export async function answerRefusal<T>(ctx: LedgerContext, tenantId: string, idempotency: Idempotency, refusal: LedgerError): Promise<WriteOutcome<T>> {
  const first =
    idempotency.scope === "client"
      ? await idempotencyKeys.recordRefusal(
          ctx.db,
          tenantId,
          idempotency,
          { requestHash: idempotency.requestHash, code: refusal.code, message: refusal.message, details: refusal.details },
          ctx.clock(),
        )
      : await idempotencyKeys.keyAnswer(ctx.db, tenantId, idempotency);
  if (first === null) throw refusal;
  return replayOf<T>(first, idempotency);
}

async function postInTransaction<T>(ctx: LedgerContext, request: PostRequest<T>): Promise<WriteOutcome<T>> {
  const { tenantId, idempotency } = request;
  return ctx.db.transaction(async (tx) => {
    const arrivedAt = ctx.clock();
    let locked: wallets.LockedWallet | null = null;
    if (idempotency) {
      const claimed =
        typeof request.wallet === "function"
          ? { claim: await idempotencyKeys.claimIdempotencyKey(tx, tenantId, idempotency, idempotency.requestHash, arrivedAt), wallet: null }
          : await idempotencyKeys.claimKeyAndLockWallet(tx, tenantId, idempotency, idempotency.requestHash, arrivedAt, request.wallet.owner);
      if (claimed.claim.state !== "claimed") return replayOf<T>(claimed.claim, idempotency);
      locked = claimed.wallet;
    }
    const target = typeof request.wallet === "function" ? await request.wallet(tx) : request.wallet;
    const journal = await open(tx, tenantId, ctx.clock, arrivedAt, target.owner, target.ticketId ?? null, locked);
    const decision = await request.decide(journal.state);
    if (decision.entry === null) {
      // A write that is not itself an entry may still append some (a plan's pro-rated first allocation);
      // a body given as a function is read after them. The wallet's plan changed: its single-statement
      // facts stay dropped until the next posting works them out again.
      for (const draft of decision.entries ?? []) await append(journal, draft);
      const body = typeof decision.body === "function" ? await (decision.body as () => Promise<T>)() : decision.body;
      const text = JSON.stringify(body);
      if (idempotency) await idempotencyKeys.completeIdempotencyKey(tx, tenantId, idempotency, decision.status, text);
      await runAfterPostHooks(ctx, journal);
      return { status: decision.status, body, text, replayed: false };
    }
    const { entry, result, text } = await append(journal, decision.entry, idempotency ?? undefined);
    journal.main = entry;
    await runAfterPostHooks(ctx, journal);
    await wallets.setFastDebitFacts(tx, tenantId, journal.state.wallet.owner, fastDebitFacts(journal.state));
    await request.also?.(tx, result, journal.state.now);
    // An entry decision is only possible when T is WriteResult (see Decision).
    return { status: 201, body: result as unknown as T, text, replayed: false };
  });
}

/** Writes what is owed to a wallet (its allocation, its lapses) without any other change; says whether it allocated. */
export async function settleWallet(ctx: LedgerContext, tenantId: string, owner: string): Promise<{ allocated: boolean }> {
  return ctx.db.transaction(async (tx) => {
    const journal = await open(tx, tenantId, ctx.clock, ctx.clock(), owner, null, null);
    await runAfterPostHooks(ctx, journal);
    await wallets.setFastDebitFacts(tx, tenantId, owner, fastDebitFacts(journal.state));
    return { allocated: journal.allocated };
  });
}

/**
 * A key's answer for a repeat of its request (a recorded refusal is thrown again); the same key for
 * another request is refused.
 */
export function replayOf<T>(answer: idempotencyKeys.KeyAnswer, idempotency: Idempotency): WriteOutcome<T> {
  if (answer.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReused();
  if (answer.state === "refused") {
    const code = Object.values(ErrorCode).find((known) => known === answer.code);
    if (code === undefined) throw new Error(`a recorded refusal has an unknown code`);
    throw new ReplayedRefusal(code, answer.message, answer.details);
  }
  return { status: answer.status, body: JSON.parse(answer.text) as T, text: answer.text, replayed: true };
}
