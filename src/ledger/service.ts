/**
 * The ledger's use cases. Each write is one database transaction that claims its idempotency key
 * and locks the bank, settles lapsed grants, asks the domain what to do and appends the entry.
 * No SQL here (see storage/repo.ts) and no HTTP (see http/).
 */
import {
  type AlertLevel,
  DEFAULT_CONFIG,
  LedgerConfig,
  BankProfile,
  type AllocationRun,
  type AssignPlanRequest,
  type DebitRequest,
  type Entry,
  type GrantRequest,
  type GrantSource,
  type Plan,
  type Quote,
  type QuoteRequest,
  type ReversalRequest,
  type TicketEntries,
  type TicketPayer,
  type Wallet,
  type WriteResult,
} from "../contract/index.js";
import { alertLevelsFor, alertTransitions, parseAlertLevels, thresholdsInCredits, lowBalanceState } from "./domain/alerts.js";
import { burnDownOrder, isSpendable, lapsedGrants, planDebit, planRefund, splitIncomingCredit, type GrantState } from "./domain/burndown.js";
import { allocationDue, allocationExpiry, nextPeriodStart, periodStart, resolvePlan as resolvePlanFor, rolloverCap } from "./domain/plans.js";
import { findPlan, findTier, priceTimeEntry, tierOffered } from "./domain/pricing.js";
import { evaluateAlerts, queueExpiringNotices } from "./alerts.js";
import { ProblemError, problems } from "./errors.js";
import { newId } from "./ids.js";
import type { Database, Sql } from "./storage/db.js";
import * as repo from "./storage/repo.js";

export type Clock = () => Date;

export interface LedgerContext {
  db: Database;
  clock: Clock;
}

export interface Idempotency {
  key: string;
  requestHash: string;
}

/** More writes that must commit or roll back with the entry (an integration's outbox rows). Not run on a replay. */
export type AlsoInTransaction = (tx: Sql, result: WriteResult, now: Date) => Promise<void>;

/** What a write answers: its status and body, and whether it is a replay of an earlier answer. */
export interface WriteOutcome<T> {
  status: number;
  body: T;
  replayed: boolean;
}

// ---------------------------------------------------------------------------------------------
// Shared steps
// ---------------------------------------------------------------------------------------------

type LoadedConfig = { config: LedgerConfig; version: number; updatedAt: Date | null };
const parsedConfigs = new Map<string, LoadedConfig>();

/** A stored config row, parsed once per tenant and version (parsing applies defaults added since it was saved). */
function parseConfigRow(tenantId: string, row: repo.ConfigRow | null): LoadedConfig {
  if (!row) return { config: DEFAULT_CONFIG, version: 0, updatedAt: null };
  const cached = parsedConfigs.get(tenantId);
  if (cached && cached.version === row.version) return cached;
  const loaded = { config: LedgerConfig.parse(row.config), version: row.version, updatedAt: row.updatedAt };
  parsedConfigs.set(tenantId, loaded);
  return loaded;
}

export async function loadConfig(sql: Sql, tenantId: string): Promise<LoadedConfig> {
  return parseConfigRow(tenantId, await repo.getConfig(sql, tenantId));
}

function profileOf(wallet: repo.WalletRow | null): BankProfile | null {
  if (!wallet?.profile) return null;
  const parsed = BankProfile.safeParse(wallet.profile);
  return parsed.success ? parsed.data : null;
}

function resolvePlan(config: LedgerConfig, wallet: repo.WalletRow | null) {
  return resolvePlanFor(config, wallet?.planKey ?? null, profileOf(wallet));
}

const toGrantState = (g: repo.GrantRow): GrantState => ({
  id: g.id,
  remaining: g.remaining,
  paid: g.paid,
  expiresAt: g.expiresAt,
  createdAt: g.createdAt,
  seq: g.seq,
  closed: g.closedAt !== null,
});

export function toApiEntry(e: repo.EntryRow | (repo.NewEntry & { draws: readonly { grantId: string; amount: number }[] })): Entry {
  return {
    id: e.id,
    owner: e.owner,
    kind: e.kind as Entry["kind"],
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

interface Settled {
  balance: number;
  /** Open grants with credits, lapsed ones excluded. */
  grants: repo.GrantRow[];
}

const monthName = (at: Date) => at.toLocaleDateString("en-GB", { month: "long", year: "numeric", timeZone: "UTC" });

/**
 * Gives the bank its plan's allocation for the current period if it is owed one. The previous
 * allocation's unused credits, up to the plan's rollover cap, carry over as a grant of their own;
 * the rest expires as an entry. Call with the bank locked: the period is then allocated once,
 * whoever asks. Returns the balance after.
 */
async function allocateIfDue(tx: Sql, tenantId: string, wallet: repo.WalletRow, config: LedgerConfig, now: Date): Promise<number> {
  const { plan } = resolvePlan(config, wallet);
  const start = allocationDue(plan, wallet.allocatedFrom, now);
  if (!plan || !start) return wallet.balance;
  let balance = wallet.balance;
  const cap = rolloverCap(plan);
  const endsAt = nextPeriodStart(plan.period, start);
  const entry = (e: Omit<repo.NewEntry, "id" | "tenantId" | "owner" | "ticketId" | "agent" | "minutes" | "tier" | "reversesEntryId" | "createdAt">): repo.NewEntry => ({
    id: newId("ent", now),
    tenantId,
    owner: wallet.owner,
    ticketId: null,
    agent: null,
    minutes: null,
    tier: null,
    reversesEntryId: null,
    createdAt: now,
    ...e,
  });
  const addGrant = async (amount: number, source: "allocation" | "rollover", expiresAt: Date, reason: string) => {
    const grantId = newId("grt", now);
    await repo.insertGrant(tx, { id: grantId, tenantId, owner: wallet.owner, amount, remaining: amount, source, paid: false, startsAt: now, expiresAt, createdAt: now });
    balance += amount;
    await repo.appendEntry(tx, { entry: entry({ kind: "grant", amount, balanceAfter: balance, reason, grantId }), draws: [] });
  };

  // Last period's allocation, lapsed with credits left: roll over up to the cap, expire the rest.
  const lapsedAllocations = (await repo.openGrantsWithCredits(tx, tenantId, wallet.owner)).filter(
    (g) => g.source === "allocation" && g.expiresAt !== null && g.expiresAt.getTime() <= now.getTime(),
  );
  let carried = 0;
  for (const g of lapsedAllocations) {
    const carry = Math.min(g.remaining, Math.max(0, cap - carried));
    carried += carry;
    balance -= g.remaining;
    await repo.appendEntry(tx, {
      entry: entry({ kind: "expiry", amount: -g.remaining, balanceAfter: balance, reason: `Unused allocation ended on ${g.expiresAt!.toISOString().slice(0, 10)}`, grantId: g.id }),
      draws: [{ grantId: g.id, amount: -g.remaining }],
      closeGrantIds: [g.id],
    });
  }
  if (carried > 0) await addGrant(carried, "rollover", endsAt, `${plan.name}: ${carried.toLocaleString("en")} unused credits rolled over into ${monthName(start)}`);
  await addGrant(plan.creditsPerPeriod, "allocation", allocationExpiry(plan, start), `${plan.name}: ${plan.creditsPerPeriod.toLocaleString("en")} credits for the ${plan.period} from ${start.toISOString().slice(0, 10)}`);
  await repo.setAllocatedFrom(tx, tenantId, wallet.owner, start);
  return balance;
}

/** Allocates what the plan owes, then writes an expiry entry for every grant whose time has passed. Call with the bank locked. */
async function settleLapsedGrants(tx: Sql, tenantId: string, wallet: repo.WalletRow, now: Date, config?: LedgerConfig): Promise<Settled> {
  const allocatedBalance = config ? await allocateIfDue(tx, tenantId, wallet, config, now) : wallet.balance;
  const open = await repo.openGrantsWithCredits(tx, tenantId, wallet.owner);
  let balance = allocatedBalance;
  const lapsedIds = new Set<string>();
  for (const lapsed of lapsedGrants(open.map(toGrantState), now)) {
    balance -= lapsed.remaining;
    lapsedIds.add(lapsed.id);
    await repo.appendEntry(tx, {
      entry: {
        id: newId("ent", now),
        tenantId,
        owner: wallet.owner,
        kind: "expiry",
        amount: -lapsed.remaining,
        balanceAfter: balance,
        reason: `Unused credits expired on ${lapsed.expiresAt!.toISOString().slice(0, 10)}`,
        ticketId: null,
        agent: null,
        minutes: null,
        tier: null,
        grantId: lapsed.id,
        reversesEntryId: null,
        createdAt: now,
      },
      draws: [{ grantId: lapsed.id, amount: -lapsed.remaining }],
      closeGrantIds: [lapsed.id],
    });
  }
  return { balance, grants: open.filter((g) => !lapsedIds.has(g.id)) };
}

/**
 * Runs a write once per idempotency key. The key is claimed inside the write's transaction, so a
 * failed write leaves no trace and a concurrent duplicate waits for the first and replays its answer.
 *
 * A write that knows its bank (`owner`) gets it locked in the same round trip as the claim. Lock
 * order everywhere: idempotency key, then bank, then ticket. One order means no deadlocks.
 */
async function idempotentWrite<T>(
  ctx: LedgerContext,
  tenantId: string,
  idempotency: Idempotency,
  owner: string | null,
  work: (tx: Sql, now: Date, wallet: repo.LockedWallet | null) => Promise<{ status: number; body: T; recorded?: boolean }>,
): Promise<WriteOutcome<T>> {
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const { claim, wallet } =
      owner === null
        ? { claim: await repo.claimIdempotencyKey(tx, tenantId, idempotency.key, idempotency.requestHash, now), wallet: null }
        : await repo.claimKeyAndLockWallet(tx, tenantId, idempotency.key, idempotency.requestHash, now, owner);
    if (claim.state === "done") {
      if (claim.requestHash !== idempotency.requestHash) {
        throw problems.conflict(
          "idempotency_key_reused",
          "Idempotency key reused",
          "This Idempotency-Key was already used for a different request. Use a new key for a new action.",
        );
      }
      return { status: claim.status, body: claim.response as T, replayed: true };
    }
    const result = await work(tx, now, wallet);
    if (!result.recorded) await repo.completeIdempotencyKey(tx, tenantId, idempotency.key, result.status, result.body);
    return { status: result.status, body: result.body, replayed: false };
  });
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

async function buildWallet(sql: Sql, tenantId: string, owner: string, config: LedgerConfig, now: Date): Promise<Wallet> {
  const row = await repo.findWallet(sql, tenantId, owner);
  const grants = row ? await repo.openGrantsWithCredits(sql, tenantId, owner) : [];
  const { plan, source, rule } = resolvePlan(config, row);
  const states = grants.map(toGrantState);
  const spendable = states.filter((g) => isSpendable(g, now)).sort(burnDownOrder);
  const byId = new Map(grants.map((g) => [g.id, g]));
  const lapsed = states.filter((g) => !isSpendable(g, now)).reduce((sum, g) => sum + g.remaining, 0);
  const balance = (row?.balance ?? 0) - lapsed;
  const levels = alertLevelsFor(parseAlertLevels(row?.alertLevels), plan, config.alerts.levels);
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
        source: g.source as GrantSource,
        paid: g.paid,
        startsAt: g.startsAt.toISOString(),
        expiresAt: g.expiresAt?.toISOString() ?? null,
      };
    }),
    lowBalance: { threshold, state: lowBalanceState(balance, threshold), levels: levels.levels, levelsFrom: levels.from },
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

/** A bank's state. Lapsed grants are expired (written as entries) first, so what is shown is what is spendable. */
export async function getWallet(ctx: LedgerContext, tenantId: string, owner: string): Promise<Wallet> {
  const now = ctx.clock();
  const { config } = await loadConfig(ctx.db, tenantId);
  const row = await repo.findWallet(ctx.db, tenantId, owner);
  if (allocationDue(resolvePlan(config, row).plan, row?.allocatedFrom ?? null, now) || (row && (await repo.hasLapsedGrants(ctx.db, tenantId, owner, now)))) {
    await ctx.db.transaction(async (tx) => {
      const wallet = await repo.lockWallet(tx, tenantId, owner, now);
      const current = parseConfigRow(tenantId, wallet.config).config;
      const settled = await settleLapsedGrants(tx, tenantId, wallet, now, current);
      await evaluateAlerts(tx, { tenantId, wallet, config: current, plan: resolvePlan(current, wallet).plan, balance: settled.balance, entryId: `settle:${now.toISOString()}`, ticketId: null, now });
    });
  }
  return buildWallet(ctx.db, tenantId, owner, config, now);
}

const CURSOR_PATTERN = /^[0-9a-z]{1,13}$/;

export async function getStatement(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  limit: number,
  cursor: string | undefined,
): Promise<{ entries: Entry[]; nextCursor: string | null }> {
  let beforeSeq: number | null = null;
  if (cursor !== undefined) {
    beforeSeq = CURSOR_PATTERN.test(cursor) ? parseInt(cursor, 36) : NaN;
    if (!Number.isSafeInteger(beforeSeq)) throw problems.invalid("The cursor is not one this API returned.", [{ path: "cursor", message: "invalid cursor" }]);
  }
  const rows = await repo.statementPage(ctx.db, tenantId, owner, limit + 1, beforeSeq);
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    entries: page.map(toApiEntry),
    nextCursor: rows.length > limit && last ? last.seq.toString(36) : null,
  };
}

/** Every page of a statement, newest first, for CSV export: a stream of pages, never the whole history in memory. */
export async function* statementPages(ctx: LedgerContext, tenantId: string, owner: string, pageSize = 1000): AsyncGenerator<Entry[]> {
  let beforeSeq: number | null = null;
  for (;;) {
    const rows = await repo.statementPage(ctx.db, tenantId, owner, pageSize, beforeSeq);
    if (rows.length === 0) return;
    yield rows.map(toApiEntry);
    if (rows.length < pageSize) return;
    beforeSeq = rows[rows.length - 1]!.seq;
  }
}

export const MAX_TICKET_ENTRIES = 1000;

export async function getTicketEntries(ctx: LedgerContext, tenantId: string, ticketId: string): Promise<TicketEntries> {
  const rows = await repo.ticketEntries(ctx.db, tenantId, ticketId, MAX_TICKET_ENTRIES);
  const debitKinds = new Set(["manual", "time", "priority", "refund"]);
  return {
    ticketId,
    entries: rows.map(toApiEntry),
    totals: {
      net: -rows.filter((e) => debitKinds.has(e.kind)).reduce((sum, e) => sum + e.amount, 0),
      minutes: rows.reduce((sum, e) => sum + (e.minutes ?? 0), 0),
    },
  };
}

export async function getTicketPayer(
  ctx: LedgerContext,
  tenantId: string,
  personId: string,
  orgId: string | undefined,
): Promise<TicketPayer> {
  const personOwner = `person:${personId}`;
  const person = await getWallet(ctx, tenantId, personOwner);
  if (person.planSource === "wallet") return { owner: personOwner, reason: "person_has_plan", wallet: person };
  if (person.balance > 0) return { owner: personOwner, reason: "person_has_credits", wallet: person };
  if (orgId === undefined) return { owner: personOwner, reason: "person_no_org", wallet: person };
  const orgOwner = `org:${orgId}`;
  return { owner: orgOwner, reason: "organisation", wallet: await getWallet(ctx, tenantId, orgOwner) };
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
      const ticket = await repo.ticketTime(sql, tenantId, request.ticketId);
      const charge = priceTimeEntry(ticket, request.minutes, config.time);
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
      if (!tier) throw problems.unprocessable("unknown_tier", "Unknown tier", `No tier has the key "${request.tier}".`);
      if (!tierOffered(plan, tier.key)) {
        throw problems.unprocessable("tier_not_offered", "Tier not offered", `The "${tier.label}" tier is not part of this bank's plan.`);
      }
      const existing = await repo.activePriorityCharge(sql, tenantId, request.ticketId);
      if (existing) {
        throw problems.conflict(
          "tier_already_charged",
          "Tier already charged",
          `Ticket ${request.ticketId} already has a tier charge (${existing.tier}); refund it first to change tier.`,
          { entryId: existing.id },
        );
      }
      return { amount: tier.price, minutes: null, tier: tier.key, defaultReason: tier.label, billedMinutesBefore: null, billedMinutesAfter: null };
    }
  }
}

export async function quote(ctx: LedgerContext, tenantId: string, owner: string, request: QuoteRequest): Promise<Quote> {
  const now = ctx.clock();
  const { config } = await loadConfig(ctx.db, tenantId);
  const wallet = await buildWallet(ctx.db, tenantId, owner, config, now);
  const priced = await priceDebit(ctx.db, tenantId, config, wallet.plan, request);
  return {
    amount: priced.amount,
    balance: wallet.balance,
    balanceAfter: wallet.balance - priced.amount,
    insufficient: priced.amount > wallet.balance + wallet.overdraftLimit,
    billedMinutesBefore: priced.billedMinutesBefore,
    billedMinutesAfter: priced.billedMinutesAfter,
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
  alsoInTransaction?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  return idempotentWrite(ctx, tenantId, idempotency, owner, async (tx, now, locked) => {
    const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
    if (expiresAt && expiresAt <= now) {
      throw new ProblemError(400, "invalid_request", "Invalid request", "expiresAt must be in the future.", {
        errors: [{ path: "expiresAt", message: "must be in the future" }],
      });
    }
    const wallet = locked!;
    const settled = await settleLapsedGrants(tx, tenantId, wallet, now, parseConfigRow(tenantId, wallet.config).config);
    const { toGrant } = splitIncomingCredit(settled.balance, request.amount);
    const grantId = newId("grt", now);
    await repo.insertGrant(tx, {
      id: grantId,
      tenantId,
      owner,
      amount: request.amount,
      remaining: toGrant,
      source: request.source,
      paid: request.paid ?? false,
      startsAt: now,
      expiresAt,
      createdAt: now,
    });
    const entry: repo.NewEntry = {
      id: newId("ent", now),
      tenantId,
      owner,
      kind: "grant",
      amount: request.amount,
      balanceAfter: settled.balance + request.amount,
      reason: request.reason,
      ticketId: null,
      agent: request.agent ?? null,
      minutes: null,
      tier: null,
      grantId,
      reversesEntryId: null,
      createdAt: now,
    };
    const body: WriteResult = { entry: toApiEntry({ ...entry, draws: [] }), balance: entry.balanceAfter };
    await repo.appendEntry(tx, { entry, draws: [], idempotency: { key: idempotency.key, status: 201, response: body } });
    const config = parseConfigRow(tenantId, wallet.config).config;
    await evaluateAlerts(tx, { tenantId, wallet, config, plan: resolvePlan(config, wallet).plan, balance: entry.balanceAfter, entryId: entry.id, ticketId: null, now });
    await alsoInTransaction?.(tx, body, now);
    return { status: 201, body, recorded: true };
  });
}

export async function debitCredits(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: DebitRequest,
  idempotency: Idempotency,
  alsoInTransaction?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  return idempotentWrite(ctx, tenantId, idempotency, owner, async (tx, now, locked) => {
    const wallet = locked!;
    if (request.kind !== "manual") await repo.lockTicket(tx, tenantId, request.ticketId);
    const { config } = parseConfigRow(tenantId, wallet.config);
    const settled = await settleLapsedGrants(tx, tenantId, wallet, now, config);
    const { plan } = resolvePlan(config, wallet);
    const priced = await priceDebit(tx, tenantId, config, plan, request);
    const decision = planDebit(settled.grants.map(toGrantState), settled.balance, priced.amount, plan?.overdraftLimit ?? 0, now);
    if (!decision.ok) throw problems.insufficient(decision.balance, decision.required, decision.available);
    const draws = decision.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount }));
    const entry: repo.NewEntry = {
      id: newId("ent", now),
      tenantId,
      owner,
      kind: request.kind,
      amount: -priced.amount || 0,
      balanceAfter: decision.balanceAfter,
      reason: request.reason ?? (priced.defaultReason || null),
      ticketId: request.ticketId ?? null,
      agent: request.agent ?? null,
      minutes: priced.minutes,
      tier: priced.tier,
      grantId: null,
      reversesEntryId: null,
      createdAt: now,
    };
    const body: WriteResult = { entry: toApiEntry({ ...entry, draws }), balance: entry.balanceAfter };
    await repo.appendEntry(tx, { entry, draws, idempotency: { key: idempotency.key, status: 201, response: body } });
    await evaluateAlerts(tx, { tenantId, wallet, config, plan, balance: entry.balanceAfter, entryId: entry.id, ticketId: entry.ticketId, now });
    await alsoInTransaction?.(tx, body, now);
    return { status: 201, body, recorded: true };
  });
}

const REFUNDABLE_KINDS = new Set(["manual", "time", "priority"]);

export async function reverseEntry(
  ctx: LedgerContext,
  tenantId: string,
  entryId: string,
  request: ReversalRequest,
  idempotency: Idempotency,
  alsoInTransaction?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  return idempotentWrite(ctx, tenantId, idempotency, null, async (tx, now) => {
    const original = await repo.findEntry(tx, tenantId, entryId);
    if (!original) throw problems.notFound(`No entry ${entryId}.`);
    if (!REFUNDABLE_KINDS.has(original.kind) && original.kind !== "grant") {
      throw problems.conflict("not_reversible", "Not reversible", `A ${original.kind} entry can't be reversed; only debits and grants can.`);
    }
    const wallet = await repo.lockWallet(tx, tenantId, original.owner, now);
    if (original.ticketId) await repo.lockTicket(tx, tenantId, original.ticketId);
    const existing = await repo.findReversalOf(tx, original.id);
    if (existing) {
      throw problems.conflict("already_reversed", "Already reversed", `Entry ${original.id} was already reversed by ${existing}.`, {
        reversalEntryId: existing,
      });
    }
    const settled = await settleLapsedGrants(tx, tenantId, wallet, now, parseConfigRow(tenantId, wallet.config).config);
    const base = {
      id: newId("ent", now),
      tenantId,
      owner: original.owner,
      reason: request.reason,
      ticketId: original.ticketId,
      agent: request.agent ?? null,
      tier: original.tier,
      reversesEntryId: original.id,
      createdAt: now,
    };

    let entry: repo.NewEntry;
    let draws: { grantId: string; amount: number }[];
    let closeGrantIds: string[] = [];
    if (original.kind === "grant") {
      const [grant] = await repo.grantsByIds(tx, tenantId, [original.grantId!]);
      const remaining = grant && grant.closedAt === null ? grant.remaining : 0;
      if (remaining === 0) {
        throw problems.conflict("nothing_to_reverse", "Nothing to reverse", "Every credit of this grant has already been spent or has expired.");
      }
      entry = { ...base, kind: "void", amount: -remaining, balanceAfter: settled.balance - remaining, minutes: null, grantId: grant!.id };
      draws = [{ grantId: grant!.id, amount: -remaining }];
      closeGrantIds = [grant!.id];
    } else {
      const total = -original.amount;
      const drawn = original.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount }));
      const grants = await repo.grantsByIds(tx, tenantId, drawn.map((d) => d.grantId));
      const plan = planRefund(total, drawn, new Map(grants.map((g) => [g.id, toGrantState(g)])), settled.balance, now);
      let refundGrantId: string | null = null;
      if (plan.refundGrant > 0) {
        refundGrantId = newId("grt", now);
        await repo.insertGrant(tx, {
          id: refundGrantId,
          tenantId,
          owner: original.owner,
          amount: plan.refundGrant,
          remaining: plan.refundGrant,
          source: "refund",
          paid: grants.some((g) => g.paid),
          startsAt: now,
          expiresAt: null,
          createdAt: now,
        });
      }
      entry = {
        ...base,
        kind: "refund",
        amount: total,
        balanceAfter: plan.balanceAfter,
        minutes: original.minutes === null ? null : -original.minutes,
        grantId: refundGrantId,
      };
      draws = plan.restores;
    }
    const body: WriteResult = { entry: toApiEntry({ ...entry, draws }), balance: entry.balanceAfter };
    await repo.appendEntry(tx, { entry, draws, closeGrantIds, idempotency: { key: idempotency.key, status: 201, response: body } });
    const config = parseConfigRow(tenantId, wallet.config).config;
    await evaluateAlerts(tx, { tenantId, wallet, config, plan: resolvePlan(config, wallet).plan, balance: entry.balanceAfter, entryId: entry.id, ticketId: entry.ticketId, now });
    await alsoInTransaction?.(tx, body, now);
    return { status: 201, body, recorded: true };
  });
}

export async function assignPlan(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: AssignPlanRequest,
  idempotency: Idempotency,
): Promise<WriteOutcome<Wallet>> {
  return idempotentWrite(ctx, tenantId, idempotency, owner, async (tx, now, locked) => {
    const { config } = parseConfigRow(tenantId, locked!.config);
    if (request.plan !== null && !findPlan(config, request.plan)) {
      throw problems.unprocessable("unknown_plan", "Unknown plan", `No plan has the key "${request.plan}".`);
    }
    await repo.setWalletPlan(tx, tenantId, owner, request.plan, now);
    return { status: 200, body: await buildWallet(tx, tenantId, owner, config, now) };
  });
}

export async function putConfig(
  ctx: LedgerContext,
  tenantId: string,
  config: LedgerConfig,
  expectedVersion: number | null,
): Promise<{ config: LedgerConfig; version: number; updatedAt: string }> {
  const row = await repo.putConfig(ctx.db, tenantId, config, ctx.clock(), expectedVersion);
  if (!row) {
    throw new ProblemError(412, "version_conflict", "Configuration changed", "The configuration was changed by someone else; reload it and try again.");
  }
  return { config: LedgerConfig.parse(row.config), version: row.version, updatedAt: row.updatedAt.toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Plans: Deskpro facts and the allocation run
// ---------------------------------------------------------------------------------------------

/** Stores what Deskpro knows about the bank's people and organisation; the plan rules read it. */
export async function setBankProfile(ctx: LedgerContext, tenantId: string, owner: string, profile: BankProfile): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    await repo.lockWallet(tx, tenantId, owner, now);
    await repo.setWalletProfile(tx, tenantId, owner, profile, now);
  });
  // Reading the bank allocates at once if the facts put it on a plan that owes credits.
  return getWallet(ctx, tenantId, owner);
}

/**
 * Sets (or, with null, clears) the bank's own low-balance levels. Levels the balance is already
 * under count as told: changing levels sends nothing by itself; the next crossing does.
 */
export async function setWalletAlertLevels(ctx: LedgerContext, tenantId: string, owner: string, levels: AlertLevel[] | null): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const wallet = await repo.lockWallet(tx, tenantId, owner, now);
    await repo.setAlertLevels(tx, tenantId, owner, levels, now);
    wallet.alertLevels = levels;
    const config = parseConfigRow(tenantId, wallet.config).config;
    const plan = resolvePlan(config, wallet).plan;
    const thresholds = thresholdsInCredits(alertLevelsFor(levels, plan, config.alerts.levels).levels, plan);
    const { fired } = alertTransitions(thresholds, [...thresholds, 0], wallet.balance);
    await repo.setAlertFired(tx, tenantId, owner, fired);
  });
  return getWallet(ctx, tenantId, owner);
}

/**
 * Gives every bank what its plan owes for the current period (for a cron job). Each bank is
 * allocated in its own transaction under its row lock, so two runs at once, or a run beside a
 * write to the bank, allocate a period once.
 */
export async function allocateAll(ctx: LedgerContext, tenantId: string): Promise<AllocationRun> {
  const { config } = await loadConfig(ctx.db, tenantId);
  const defaultAllocates = (findPlan(config, config.defaultPlan)?.creditsPerPeriod ?? 0) > 0;
  let after = "";
  let checked = 0;
  let allocated = 0;
  for (;;) {
    const page = await repo.walletsForAllocation(ctx.db, tenantId, after, 500, defaultAllocates);
    if (page.length === 0) break;
    for (const row of page) {
      checked++;
      const now = ctx.clock();
      if (!allocationDue(resolvePlan(config, row).plan, row.allocatedFrom, now)) continue;
      const did = await ctx.db.transaction(async (tx) => {
        const wallet = await repo.lockWallet(tx, tenantId, row.owner, now);
        const current = parseConfigRow(tenantId, wallet.config).config;
        // Looked at again under the lock: another run may have just done it.
        const due = allocationDue(resolvePlan(current, wallet).plan, wallet.allocatedFrom, now) !== null;
        const settled = await settleLapsedGrants(tx, tenantId, wallet, now, current);
        await evaluateAlerts(tx, { tenantId, wallet, config: current, plan: resolvePlan(current, wallet).plan, balance: settled.balance, entryId: `settle:${now.toISOString()}`, ticketId: null, now });
        return due;
      });
      if (did) allocated++;
    }
    after = page[page.length - 1]!.owner;
  }
  // Expiring credits are announced after allocation, so a rollover made this run isn't announced as
  // about to lapse while the old grant it replaces is.
  const expiringNotices = await queueExpiringNotices(ctx.db, tenantId, config, ctx.clock());
  return { checked, allocated, expiringNotices };
}

