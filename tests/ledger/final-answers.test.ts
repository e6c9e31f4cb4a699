/**
 * Once a key has an answer, every later answer for that key is the same, and the journal agrees
 * (README, "How the ledger keeps money right"): simultaneous duplicates wait for the first and
 * replay it on both posting paths, a refusal is recorded against its key so that a retry or a late
 * attempt is refused the same way and writes nothing, and entries are dated when written so that a
 * bank's statement reads in order. On PGlite and on PostgreSQL (directly and through PgBouncer).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerConfig } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import type { Idempotency, WriteOutcome } from "../../src/ledger/core/context.js";
import { LedgerError } from "../../src/ledger/core/errors.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import * as core from "../../src/ledger/core/wallets.js";
import type { Database } from "../../src/ledger/storage/db.js";
import * as entries from "../../src/ledger/storage/entries.js";
import { postDebitInOneStatement } from "../../src/ledger/storage/fast-debits.js";
import { openTestDatabase, postgresUrl, pgbouncerUrl, TestClock, type Backend } from "../helpers/ledger.js";

const key = (): Idempotency => ({ scope: "client", key: randomUUID(), requestHash: randomUUID() });

const backendsHere = (): Backend[] => ["pglite", ...(postgresUrl() ? (["postgres"] as const) : []), ...(pgbouncerUrl() ? (["pgbouncer"] as const) : [])];

/** What a call answered: its status and body text, or the code and problem details of its refusal. */
async function answerOf(call: Promise<WriteOutcome<unknown>>): Promise<{ status: number | string; text: string; replayed: boolean }> {
  try {
    const outcome = await call;
    return { status: outcome.status, text: outcome.text, replayed: outcome.replayed };
  } catch (error) {
    // A refusal answered again is a ReplayedRefusal, as a 201 answered again is `replayed`.
    if (error instanceof LedgerError)
      return { status: error.code, text: JSON.stringify({ message: error.message, details: error.details }), replayed: error.name === "ReplayedRefusal" };
    throw error;
  }
}

describe.each(backendsHere())("a key's answer is final, on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  async function ledgerWith(config: Record<string, unknown> = {}) {
    const clock = new TestClock(new Date("2026-03-10T09:00:00.000Z"));
    const ledger = composeLedger({ db, clock: clock.now });
    const { tenantId } = await createTenant(db, { name: `final-${randomUUID()}` });
    const saved = await core.putConfig(ledger.context, tenantId, LedgerConfig.parse(config), null);
    return { ctx: ledger.context, tenantId, clock, config: saved };
  }

  it.each([
    ["the single-statement path", false],
    ["the full posting path", true],
  ])("twenty simultaneous duplicates on a bank that can pay exactly one all get the one 201 (%s)", async (_path, fullPath) => {
    const { ctx, tenantId } = await ledgerWith();
    const owner = "org:1";
    await core.grantCredits(ctx, tenantId, owner, { amount: 51, reason: "seed", source: "manual" }, key());
    // One debit first, so the wallet's single-statement facts are set (a fresh wallet takes the full path).
    await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "warm" }, key());
    // The full path is taken when the debit must write more in its transaction (`debitPath`).
    const options = fullPath ? { alsoInTransaction: async () => undefined } : {};
    // A few rounds: whether a duplicate arrives while the first holds the bank is up to the scheduler.
    for (let round = 0; round < 3; round++) {
      if (round > 0) await core.grantCredits(ctx, tenantId, owner, { amount: 50, reason: "again", source: "manual" }, key());
      const idempotency = key();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () =>
          answerOf(core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 50, reason: "edge" }, idempotency, options)),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      expect(new Set(answers.map((a) => a.text)).size).toBe(1);
      expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    }
    expect(await entries.sumOfEntries(db, tenantId, owner)).toBe(0);
  });

  it("records a refusal against its key: a retry after a top-up is refused the same way and writes nothing", async () => {
    const { ctx, tenantId } = await ledgerWith();
    const owner = "org:2";
    await core.grantCredits(ctx, tenantId, owner, { amount: 10, reason: "seed", source: "manual" }, key());
    await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "warm" }, key());
    for (const options of [{}, { alsoInTransaction: async () => undefined }]) {
      const idempotency = key();
      const debit = () => answerOf(core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1000, reason: "too much" }, idempotency, options));
      const first = await debit();
      expect(first).toMatchObject({ status: "insufficient_credits", replayed: false });
      await core.grantCredits(ctx, tenantId, owner, { amount: 100, reason: "top-up", source: "manual" }, key());
      const retry = await debit();
      expect(retry).toEqual({ ...first, replayed: true });
      // The same key for another request is still a clash, not a replay.
      await expect(
        core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1001, reason: "too much" }, { ...idempotency, requestHash: "another" }),
      ).rejects.toMatchObject({ code: "idempotency_key_reused" });
      const balance = await entries.sumOfEntries(db, tenantId, owner);
      await core.grantCredits(ctx, tenantId, owner, { amount: 1, reason: "nudge", source: "manual" }, key());
      expect(await entries.sumOfEntries(db, tenantId, owner)).toBe(balance + 1);
    }
  });

  it("an attempt that reaches the database after its key was refused writes nothing and answers the refusal", async () => {
    const { ctx, tenantId, config } = await ledgerWith();
    const owner = "org:3";
    await core.grantCredits(ctx, tenantId, owner, { amount: 10, reason: "seed", source: "manual" }, key());
    await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "warm" }, key());
    const idempotency = key();
    const refused = await answerOf(core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 9, reason: "late" }, key()));
    expect(refused.status).toBe(201); // 0 left now
    const retry = await answerOf(core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 5, reason: "late" }, idempotency));
    expect(retry.status).toBe("insufficient_credits");
    await core.grantCredits(ctx, tenantId, owner, { amount: 100, reason: "top-up", source: "manual" }, key());
    // The stalled first attempt, as the database would see it arrive now: the statement itself.
    const late = await postDebitInOneStatement(db, {
      tenantId,
      owner,
      key: idempotency,
      requestHash: idempotency.requestHash,
      now: ctx.clock(),
      entryId: `ent_late${randomUUID().replaceAll("-", "").slice(0, 18)}`,
      kind: "manual",
      amount: 5,
      minutes: null,
      ticketId: null,
      reason: "late",
      agent: null,
      configVersion: config.version,
      rate: config.config.time,
    });
    expect(late).toMatchObject({ outcome: "replay", answer: { state: "refused", code: "insufficient_credits" } });
    expect(await entries.sumOfEntries(db, tenantId, owner)).toBe(100);
  });

  it("dates an entry when it is written: never before the bank's last entry, whatever the clock said when the request arrived", async () => {
    const { ctx, tenantId, clock } = await ledgerWith();
    const owner = "org:4";
    await core.grantCredits(ctx, tenantId, owner, { amount: 100, reason: "seed", source: "manual" }, key());
    await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "warm" }, key());
    clock.advance(5_000);
    const later = await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "written first" }, key());
    // A request that arrived 4 s earlier is written now, on each path.
    clock.advance(-4_000);
    const fastOne = await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "arrived earlier" }, key());
    const fullOne = await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "arrived earlier" }, key(), {
      alsoInTransaction: async () => undefined,
    });
    const grant = await core.grantCredits(ctx, tenantId, owner, { amount: 1, reason: "arrived earlier", source: "manual" }, key());
    const dates = [later, fastOne, fullOne, grant].map((w) => Date.parse(w.body.entry.createdAt));
    expect(dates.every((d, i) => i === 0 || d >= dates[i - 1]!)).toBe(true);
    // The answer's date is the journal's.
    const statement = await entries.statementPage(db, tenantId, owner, 10, null);
    expect(statement.slice(0, 4).map((e) => e.createdAt.toISOString())).toEqual([grant, fullOne, fastOne, later].map((w) => w.body.entry.createdAt));
  });
});
