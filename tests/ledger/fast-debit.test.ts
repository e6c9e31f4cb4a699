/**
 * The single-statement debit (`ledger_post_debit`, its source in src/ledger/storage/schema.sql) against the domain's
 * pure functions: the burn-down order it draws in and the time price it charges must be exactly
 * what `planDebit` and `priceTimeEntry` decide, on PGlite and on PostgreSQL. It must also stand
 * aside (write nothing) whenever the full posting path has work to do.
 */
import { randomUUID } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LedgerConfig, WriteResult } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import type { Idempotency, LedgerContext } from "../../src/ledger/core/context.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import * as core from "../../src/ledger/core/wallets.js";
import { planDebit } from "../../src/ledger/domain/burndown.js";
import { creditsForMinutes, priceTimeEntry } from "../../src/ledger/domain/pricing.js";
import type { Database } from "../../src/ledger/storage/db.js";
import * as entries from "../../src/ledger/storage/entries.js";
import { postDebitInOneStatement, type FastDebit } from "../../src/ledger/storage/fast-debits.js";
import * as grants from "../../src/ledger/storage/grants.js";
import { backends, DAY, openTestDatabase, postgresUrl, TestClock } from "../helpers/ledger.js";
import { toGrantState } from "../../src/ledger/core/posting.js";

const key = (): Idempotency => ({ scope: "client", key: randomUUID(), requestHash: randomUUID() });

describe.each(backends())("the single-statement debit on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  async function tenantWith(config: Record<string, unknown> = {}) {
    const clock = new TestClock(new Date("2026-03-10T09:00:00.000Z"));
    const ledger = composeLedger({ db, clock: clock.now });
    const { tenantId } = await createTenant(db, { name: `fast-${randomUUID()}` });
    const saved = await core.putConfig(ledger.context, tenantId, LedgerConfig.parse(config), null);
    return { ctx: ledger.context, tenantId, clock, version: saved.version, rate: saved.config.time };
  }

  const fast = (ctx: LedgerContext, tenantId: string, version: number, rate: FastDebit["rate"], d: Partial<FastDebit> & Pick<FastDebit, "owner" | "kind">) => {
    const idempotency = key();
    const now = ctx.clock();
    return postDebitInOneStatement(db, {
      tenantId,
      key: idempotency,
      requestHash: idempotency.requestHash,
      now,
      entryId: `ent_${now.getTime().toString(32).padStart(10, "0")}${randomUUID().replaceAll("-", "").slice(0, 16)}`,
      amount: null,
      minutes: null,
      ticketId: null,
      reason: "work",
      agent: null,
      configVersion: version,
      rate,
      ...d,
    });
  };

  it("draws exactly the grants planDebit chooses, in its order, for random grant sets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            amount: fc.integer({ min: 1, max: 50 }),
            expiresInDays: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }),
            paid: fc.boolean(),
            laterMs: fc.integer({ min: 0, max: 2 }),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 4 }),
        async (grantSpecs, debits) => {
          // No alert level but 0: a debit that leaves the wallet above 0 crosses nothing.
          const { ctx, tenantId, clock, version, rate } = await tenantWith({ alerts: { levels: [] } });
          const owner = "org:1";
          for (const g of grantSpecs) {
            clock.advance(g.laterMs); // ties in creation time are broken by creation order
            const expiresAt = g.expiresInDays === null ? undefined : new Date(clock.now().getTime() + g.expiresInDays * DAY).toISOString();
            await core.grantCredits(
              ctx,
              tenantId,
              owner,
              { amount: g.amount, reason: "seed", source: "manual", paid: g.paid, ...(expiresAt ? { expiresAt } : {}) },
              key(),
            );
          }
          for (const amount of debits) {
            const open = await grants.openGrantsWithCredits(db, tenantId, owner);
            const balance = open.reduce((sum, g) => sum + g.remaining, 0);
            const expected = planDebit(open.map(toGrantState), balance, amount, 0, clock.now());
            const result = await fast(ctx, tenantId, version, rate, { owner, kind: "manual", amount });
            if (!expected.ok) {
              expect(result).toEqual({ outcome: "insufficient", balance, required: amount, available: balance });
              continue;
            }
            if (expected.balanceAfter <= 0) {
              // Emptying the wallet crosses the 0 level: the full path evaluates alerts.
              expect(result).toEqual({ outcome: "full_path_needed" });
              continue;
            }
            expect(result.outcome).toBe("posted");
            const written = WriteResult.parse(JSON.parse((result as { text: string }).text));
            expect(written.entry.draws).toEqual(expected.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount })));
            expect(written.balance).toBe(expected.balanceAfter);
            expect(await entries.sumOfEntries(db, tenantId, owner)).toBe(expected.balanceAfter);
          }
        },
      ),
      { numRuns: backend === "pglite" ? 25 : 15 },
    );
  });

  it("prices time exactly as the domain does, rounding on the ticket's total", async () => {
    const priced = await db.query<{ credits: number }>(
      "SELECT ledger_time_credits(m, c, p, i, n) AS credits FROM (VALUES ($1::bigint, $2::int, $3::int, $4::int, $5::int)) AS v(m, c, p, i, n)",
      [95, 3, 2, 60, 30],
    );
    expect(priced[0]!.credits).toBe(creditsForMinutes(95, { credits: 3, perMinutes: 2, incrementMinutes: 60, minimumMinutes: 30 }));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          credits: fc.integer({ min: 0, max: 20 }),
          perMinutes: fc.integer({ min: 1, max: 120 }),
          incrementMinutes: fc.integer({ min: 1, max: 90 }),
          minimumMinutes: fc.integer({ min: 0, max: 60 }),
        }),
        fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 5 }),
        async (timeRate, logs) => {
          const { ctx, tenantId, version, rate } = await tenantWith({ time: timeRate });
          const owner = "org:2";
          const ticketId = String(1000 + Math.floor(Math.random() * 1000));
          await core.grantCredits(ctx, tenantId, owner, { amount: 1_000_000, reason: "seed", source: "manual" }, key());
          let logged = 0;
          let charged = 0;
          for (const [i, minutes] of logs.entries()) {
            const expected = priceTimeEntry({ minutes: logged, charged }, minutes, rate);
            // A ticket's first charge pins its payer: the full path writes it, the statement stands aside.
            if (i === 0)
              expect(await fast(ctx, tenantId, version, rate, { owner, kind: "time", minutes, ticketId, reason: null })).toEqual({
                outcome: "full_path_needed",
              });
            const text =
              i === 0
                ? (await core.debitCredits(ctx, tenantId, owner, { kind: "time", minutes, ticketId }, key())).text
                : await fast(ctx, tenantId, version, rate, { owner, kind: "time", minutes, ticketId, reason: null }).then((result) => {
                    expect(result.outcome).toBe("posted");
                    return (result as { text: string }).text;
                  });
            const written = WriteResult.parse(JSON.parse(text));
            expect(written.entry.amount).toBe(-expected.amount || 0);
            expect([written.entry.minutes, written.entry.reason, written.entry.ticketId]).toEqual([minutes, `${minutes} min logged`, ticketId]);
            logged += minutes;
            charged += expected.amount;
          }
          expect(await entries.ticketTime(db, tenantId, ticketId)).toEqual({ minutes: logged, charged });
        },
      ),
      { numRuns: backend === "pglite" ? 15 : 8 },
    );
  });

  it("stands aside, writing nothing, whenever the full posting path has work to do", async () => {
    const { ctx, tenantId, clock, version, rate } = await tenantWith({
      alerts: { levels: [{ type: "credits", value: 50 }] },
      plans: [{ key: "monthly", name: "Monthly", creditsPerPeriod: 100 }],
    });
    const before = async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM entries WHERE tenant_id = $1", [tenantId]))[0]!.n;
    const standsAside = async (owner: string, amount: number, configVersion = version) => {
      const n = await before();
      expect(await fast(ctx, tenantId, configVersion, rate, { owner, kind: "manual", amount })).toEqual({ outcome: "full_path_needed" });
      expect(await before()).toBe(n);
    };
    // A wallet the ledger has never written to.
    await standsAside("org:10", 1);
    await core.grantCredits(
      ctx,
      tenantId,
      "org:10",
      { amount: 200, reason: "seed", source: "manual", expiresAt: new Date(clock.now().getTime() + DAY).toISOString() },
      key(),
    );
    await core.grantCredits(ctx, tenantId, "org:10", { amount: 100, reason: "seed", source: "manual" }, key());
    expect((await fast(ctx, tenantId, version, rate, { owner: "org:10", kind: "manual", amount: 10 })).outcome).toBe("posted");
    // A debit that would cross the 50-credit alert level: alerts need the full path.
    await standsAside("org:10", 250);
    // A configuration other than the one the caller read.
    await standsAside("org:10", 1, version + 1);
    // A grant has lapsed: its expiry entry comes first.
    clock.advance(2 * DAY);
    await standsAside("org:10", 1);
    // The full path writes the expiry (and then caches what the next debit may assume).
    const settled = await core.debitCredits(ctx, tenantId, "org:10", { kind: "manual", amount: 1, reason: "work" }, key());
    expect(settled.body.balance).toBe(99);
    expect((await fast(ctx, tenantId, version, rate, { owner: "org:10", kind: "manual", amount: 1 })).outcome).toBe("posted");
    // A plan's allocation falls due.
    await core.assignPlan(ctx, tenantId, "org:11", { plan: "monthly" }, key());
    await core.debitCredits(ctx, tenantId, "org:11", { kind: "manual", amount: 1, reason: "work" }, key());
    expect((await fast(ctx, tenantId, version, rate, { owner: "org:11", kind: "manual", amount: 1 })).outcome).toBe("posted");
    clock.set("2026-04-01T00:00:01.000Z");
    await standsAside("org:11", 1);
    // A plan change drops what the wallet's debits may assume.
    await core.assignPlan(ctx, tenantId, "org:10", { plan: null }, key());
    await standsAside("org:10", 1);
  });

  it("makes a debit one database round trip once the wallet is warm, also for a tenant that never saved a configuration", async () => {
    const clock = new TestClock(new Date("2026-03-10T09:00:00.000Z"));
    let statements = 0;
    let transactions = 0;
    // The same database, counting what a use case sends it: every statement outside a transaction
    // is one round trip; a transaction is BEGIN, its statements and COMMIT.
    const counted: Database = {
      ...db,
      kind: db.kind,
      query: (text, params) => {
        statements++;
        return db.query(text, params);
      },
      exec: (script) => db.exec(script),
      transaction: (work) => {
        transactions++;
        return db.transaction(work);
      },
      close: () => Promise.resolve(),
    };
    const ledger = composeLedger({ db: counted, clock: clock.now });
    const { tenantId } = await createTenant(db, { name: `fast-${randomUUID()}` });
    await core.grantCredits(ledger.context, tenantId, "org:40", { amount: 500, reason: "seed", source: "manual" }, key());
    // The ticket's first charge pins its payer, through the full path.
    await core.debitCredits(ledger.context, tenantId, "org:40", { kind: "time", minutes: 10, ticketId: "4001" }, key());
    for (const request of [
      { kind: "manual" as const, amount: 3, reason: "work" },
      { kind: "time" as const, minutes: 20, ticketId: "4001" },
    ]) {
      statements = 0;
      transactions = 0;
      const outcome = await core.debitCredits(ledger.context, tenantId, "org:40", request, key());
      expect(outcome.status).toBe(201);
      expect({ statements, transactions }).toEqual({ statements: 1, transactions: 0 });
    }
    // 10 + 20 minutes on the ticket bill 30 minutes in 15-minute steps: 15 credits, then 15 more.
    expect(await entries.sumOfEntries(db, tenantId, "org:40")).toBe(500 - 15 - 3 - 15);
  });

  it("answers the reason and agent exactly as sent, whatever their characters", async () => {
    const { ctx, tenantId, version, rate } = await tenantWith();
    await core.grantCredits(ctx, tenantId, "org:30", { amount: 1_000_000, reason: "seed", source: "manual" }, key());
    const text = fc.string({ unit: "binary", minLength: 1, maxLength: 40 }).filter((t) => !t.includes("\u0000") && t.trim() !== "");
    await fc.assert(
      fc.asyncProperty(text, text, async (reason, agent) => {
        const result = await fast(ctx, tenantId, version, rate, { owner: "org:30", kind: "manual", amount: 1, reason, agent });
        expect(result.outcome).toBe("posted");
        const entry = JSON.parse((result as { text: string }).text).entry;
        expect([entry.reason, entry.agent]).toEqual([reason, agent]);
      }),
      { numRuns: 40 },
    );
  });

  it("replays a key's answer byte for byte, and refuses the key for another request", async () => {
    const { ctx, tenantId } = await tenantWith();
    const grant = await core.grantCredits(ctx, tenantId, "org:20", { amount: 1000, reason: "seed", source: "manual" }, key());
    await core.debitCredits(ctx, tenantId, "org:20", { kind: "manual", amount: 1, reason: "warm" }, key());
    const idempotency = key();
    const first = await core.debitCredits(ctx, tenantId, "org:20", { kind: "manual", amount: 5, reason: "work" }, idempotency);
    const again = await core.debitCredits(ctx, tenantId, "org:20", { kind: "manual", amount: 5, reason: "work" }, idempotency);
    expect([first.replayed, again.replayed, again.text]).toEqual([false, true, first.text]);
    await expect(
      core.debitCredits(ctx, tenantId, "org:20", { kind: "manual", amount: 6, reason: "work" }, { ...idempotency, requestHash: "other" }),
    ).rejects.toMatchObject({
      code: "idempotency_key_reused",
    });
    expect(await entries.sumOfEntries(db, tenantId, "org:20")).toBe(994);
    // The answer is the contract's WriteResult, field for field in the order the full path writes them.
    expect(WriteResult.safeParse(first.body).success).toBe(true);
    expect(Object.keys(JSON.parse(first.text).entry)).toEqual(Object.keys(JSON.parse(grant.text).entry));
  });

  it("writes once when requests with one key race, on one wallet or on two: the others replay or are refused", async () => {
    const { ctx, tenantId, version, rate } = await tenantWith();
    for (const owner of ["org:50", "org:51"]) {
      await core.grantCredits(ctx, tenantId, owner, { amount: 1000, reason: "seed", source: "manual" }, key());
      await core.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 1, reason: "warm" }, key());
    }
    const idempotency = key();
    const ask = (owner: string) =>
      fast(ctx, tenantId, version, rate, { owner, kind: "manual", amount: 7, reason: "race", key: idempotency, requestHash: idempotency.requestHash });
    // The same key sent to two wallets at once: each statement sees no answer yet, both lock and
    // write, and whichever records the key second is rolled back and asks again.
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => ask(i % 2 ? "org:51" : "org:50")));
    const posted = results.filter((r) => r.outcome === "posted");
    expect(posted).toHaveLength(1);
    const text = (posted[0] as { text: string }).text;
    expect(results.filter((r) => r.outcome === "replay").map((r) => (r.outcome === "replay" && r.answer.state === "done" ? r.answer.text : null))).toEqual(
      Array(11).fill(text),
    );
    const spent = (await entries.sumOfEntries(db, tenantId, "org:50")) + (await entries.sumOfEntries(db, tenantId, "org:51"));
    expect(spent).toBe(2 * 999 - 7);
  });

  it.runIf(backend === "postgres")(
    "writes once, without an error, when a request on the full path holds the same key (a deadlock PostgreSQL breaks)",
    async () => {
      const { ctx, tenantId, version, rate } = await tenantWith();
      await core.grantCredits(ctx, tenantId, "org:60", { amount: 1000, reason: "seed", source: "manual" }, key());
      await core.debitCredits(ctx, tenantId, "org:60", { kind: "manual", amount: 1, reason: "warm" }, key());
      const idempotency = key();
      const fullPath = new pg.Client({ connectionString: postgresUrl() });
      await fullPath.connect();
      try {
        const [{ pid }] = (await fullPath.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows as [{ pid: number }];
        // As the full posting path does: the key first (not yet answered), the wallet after.
        await fullPath.query("BEGIN");
        await fullPath.query("INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at) VALUES ($1, 'client', $2, $3, now())", [
          tenantId,
          idempotency.key,
          idempotency.requestHash,
        ]);
        const statement = fast(ctx, tenantId, version, rate, {
          owner: "org:60",
          kind: "manual",
          amount: 7,
          reason: "race",
          key: idempotency,
          requestHash: idempotency.requestHash,
        });
        // The statement has locked the wallet and waits for the key.
        await expect
          .poll(
            async () => (await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", [pid]))[0]!.n,
            {
              timeout: 10_000,
            },
          )
          .toBe(1);
        // Now the full path asks for the wallet: each waits for the other, and PostgreSQL aborts one.
        // Usually the statement (it waited first); it asks again and waits behind the full path,
        // which then gives up here, as a full path that failed on something else would.
        const lock = await fullPath.query("SELECT balance FROM wallets WHERE tenant_id = $1 AND owner = $2 FOR UPDATE", [tenantId, "org:60"]).then(
          () => "locked",
          (error: { code?: string }) => error.code,
        );
        expect(["locked", "40P01"]).toContain(lock);
        await fullPath.query("ROLLBACK");
        const result = await statement;
        expect(result.outcome).toBe("posted");
        expect(await entries.sumOfEntries(db, tenantId, "org:60")).toBe(999 - 7);
      } finally {
        await fullPath.end();
      }
    },
    30_000,
  );
});

describe("which way a debit is written (debitPath)", () => {
  const alsoInTransaction = async () => undefined;
  it("tries one statement for a manual or time debit with nothing else to write, and takes the full path otherwise", () => {
    expect(core.debitPath({ kind: "manual", amount: 5, reason: "work" }, {})).toBe("one statement when it can");
    expect(core.debitPath({ kind: "time", minutes: 30, ticketId: "7" }, {})).toBe("one statement when it can");
    expect(core.debitPath({ kind: "time", minutes: 30, ticketId: "7" }, { alsoInTransaction })).toBe("full path");
    expect(core.debitPath({ kind: "manual", amount: 5, reason: "work" }, { alsoInTransaction })).toBe("full path");
    expect(core.debitPath({ kind: "priority", tier: "1-hour", ticketId: "7" }, {})).toBe("full path");
    expect(core.debitPath({ kind: "removal", amount: 5, reason: "duplicate" }, {})).toBe("full path");
    expect(core.debitPath({ kind: "unbilled", minutes: 30, ticketId: "7" }, {})).toBe("full path");
  });
});
