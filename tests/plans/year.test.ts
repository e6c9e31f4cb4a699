/**
 * Plans over a year: allocations, rollover and expiry, purchases, time and tier debits, checked
 * against a statement worked out by hand; allocation's guarantees as properties; two cron runs at
 * once on real PostgreSQL.
 */
import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, LedgerConfig } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import * as service from "../../src/ledger/core/wallets.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { backends, openTestDatabase, TestClock } from "../helpers/ledger.js";

const BUSINESS = LedgerConfig.parse({
  tiers: DEFAULT_CONFIG.tiers,
  plans: [{ key: "business", name: "Business", creditsPerPeriod: 100, period: "month", rollover: { type: "credits", max: 50 } }],
});
const at = (iso: string) => new Date(`${iso}T00:00:00.000Z`);
const key = () => ({ scope: "client" as const, key: randomUUID(), requestHash: randomUUID() });

async function setup(db: Database, clock: TestClock, config = BUSINESS) {
  const { tenantId } = await createTenant(db, { name: `plans-${randomUUID()}` });
  const ledger = composeLedger({ db, clock: clock.now });
  const ctx = ledger.context;
  await service.putConfig(ctx, tenantId, config, null);
  return { ctx, tenantId, ledger };
}

describe.each(backends())("plans on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  it("a year month by month: the statement is the one worked out by hand", async () => {
    const clock = new TestClock(at("2026-01-01"));
    const { ctx, tenantId, ledger } = await setup(db, clock);
    const owner = "org:1";
    const time = (minutes: number, ticketId: string) => service.debitCredits(ctx, tenantId, owner, { kind: "time", minutes, ticketId }, key());

    await service.assignPlan(ctx, tenantId, owner, { plan: "business" }, key());
    await service.getWallet(ctx, tenantId, owner); // the first touch allocates January
    clock.set(at("2026-01-10"));
    await time(30, "101");
    clock.set(at("2026-02-10")); // first touch in February: roll over, then allocate, then spend
    await time(45, "102");
    clock.set(at("2026-03-01"));
    expect(await ledger.sweep(tenantId)).toEqual({ checked: 1, allocated: 1, expiringNotices: 0, stoppedEarly: false });
    clock.set(at("2026-03-10"));
    await service.grantCredits(ctx, tenantId, owner, { amount: 500, reason: "bought by card", source: "purchase", paid: true }, key());
    await service.debitCredits(ctx, tenantId, owner, { kind: "priority", tier: "1-hour", ticketId: "103" }, key());
    for (const month of ["04", "05", "06", "07", "08", "09", "10", "11", "12"]) {
      clock.set(at(`2026-${month}-01`));
      expect((await ledger.sweep(tenantId)).allocated).toBe(1);
      expect((await ledger.sweep(tenantId)).allocated).toBe(0); // twice is once
      if (month === "04") {
        clock.set(at("2026-04-10"));
        await time(120, "104");
      }
      if (month === "06") {
        clock.set(at("2026-06-10"));
        await time(60, "106");
      }
    }

    // [kind, amount, balance after], oldest first. Business: 100 a month, unused up to 50 rolls over.
    const steady = [
      ["expiry", -100, 430], // last month's allocation, unused
      ["grant", 50, 480], // rolled over
      ["grant", 100, 580], // this month's allocation
      ["expiry", -50, 530], // last month's roll-over, unused, does not roll again
    ];
    const expected = [
      ["grant", 100, 100], // Jan 1: January
      ["time", -30, 70], // Jan 10
      ["expiry", -70, 0], // Feb 10: January's 70 unused...
      ["grant", 50, 50], // ...50 of them roll over
      ["grant", 100, 150], // February
      ["time", -45, 105], // from the roll-over first (older, same expiry)
      ["expiry", -100, 5], // Mar 1: February's allocation unused
      ["grant", 50, 55], // rolled over
      ["grant", 100, 155], // March
      ["expiry", -5, 150], // what was left of February's roll-over
      ["grant", 500, 650], // Mar 10: bought
      ["priority", -250, 400], // roll-over 50, allocation 100, then 100 bought
      ["grant", 100, 500], // Apr 1: March's allocation was used up: nothing to roll
      ["time", -120, 380], // Apr 10: allocation 100, then 20 bought
      ["grant", 100, 480], // May 1: April's used up
      ["expiry", -100, 380], // Jun 1: May's unused
      ["grant", 50, 430],
      ["grant", 100, 530], // June
      ["time", -60, 470], // Jun 10: roll-over 50, allocation 10
      ["expiry", -90, 380], // Jul 1: June's 90 left
      ["grant", 50, 430],
      ["grant", 100, 530], // July (June's roll-over was used up)
      ...steady, // Aug 1
      ...steady, // Sep 1
      ...steady, // Oct 1
      ...steady, // Nov 1
      ...steady, // Dec 1
    ];
    const statement = await service.getStatement(ctx, tenantId, owner, 200, undefined);
    const actual = statement.entries.reverse().map((e) => [e.kind, e.amount, e.balanceAfter]);
    expect(actual).toEqual(expected);

    const wallet = await service.getWallet(ctx, tenantId, owner);
    expect(wallet.balance).toBe(530);
    expect(wallet.grants.map((g) => [g.source, g.remaining])).toEqual([
      ["rollover", 50],
      ["allocation", 100],
      ["purchase", 380],
    ]);
    expect(wallet.nextTopUpAt).toBe("2027-01-01T00:00:00.000Z");
    expect(wallet.planSource).toBe("wallet");
  });

  it("allocates once per bank and period however it is touched, and never spends an expired grant", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 40 }) }),
            fc.record({ op: fc.constant("debit" as const), amount: fc.integer({ min: 1, max: 80 }) }),
            fc.record({ op: fc.constant("read" as const) }),
            fc.record({ op: fc.constant("cron" as const) }),
            fc.record({
              op: fc.constant("grant" as const),
              amount: fc.integer({ min: 1, max: 200 }),
              days: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }),
            }),
          ),
          { minLength: 1, maxLength: 25 },
        ),
        async (ops) => {
          const clock = new TestClock(at("2026-01-15"));
          const { ctx, tenantId, ledger } = await setup(db, clock);
          const owner = "org:7";
          await service.assignPlan(ctx, tenantId, owner, { plan: "business" }, key());
          const touchedMonths = new Set<string>();
          const touch = () => touchedMonths.add(clock.now().toISOString().slice(0, 7));
          for (const op of ops) {
            if (op.op === "advance") {
              clock.advance(op.days * 86_400_000);
              continue;
            }
            touch();
            if (op.op === "debit") {
              await service.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: op.amount, reason: "work" }, key()).catch((e: { code?: string }) => {
                if (e.code !== "insufficient_credits") throw e;
              });
            } else if (op.op === "read") await service.getWallet(ctx, tenantId, owner);
            else if (op.op === "cron") {
              await ledger.sweep(tenantId);
              expect((await ledger.sweep(tenantId)).allocated).toBe(0);
            } else {
              const expiresAt = op.days === null ? undefined : new Date(clock.now().getTime() + op.days * 86_400_000).toISOString();
              await service.grantCredits(
                ctx,
                tenantId,
                owner,
                { amount: op.amount, reason: "top-up", source: "manual", ...(expiresAt ? { expiresAt } : {}) },
                key(),
              );
            }
          }
          // One allocation per month the bank was touched in (assignPlan itself does not allocate).
          const allocations = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM grants WHERE tenant_id = $1 AND owner = $2 AND source = 'allocation'",
            [tenantId, owner],
          );
          expect(allocations[0]!.n).toBe(touchedMonths.size);
          // No credit was drawn from a grant at or after its expiry.
          const late = await db.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM entry_draws d JOIN entries e ON e.id = d.entry_id JOIN grants g ON g.id = d.grant_id
             WHERE e.tenant_id = $1 AND e.kind IN ('manual', 'time', 'priority') AND g.expires_at IS NOT NULL AND g.expires_at <= e.created_at`,
            [tenantId],
          );
          expect(late[0]!.n).toBe(0);
          // The cached balance is the sum of the journal.
          const wallet = await service.getWallet(ctx, tenantId, owner);
          const sum = await db.query<{ s: number }>("SELECT coalesce(sum(amount), 0)::int AS s FROM entries WHERE tenant_id = $1 AND owner = $2", [
            tenantId,
            owner,
          ]);
          expect(wallet.balance).toBe(sum[0]!.s);
        },
      ),
      { numRuns: backend === "pglite" ? 15 : 25 },
    );
  });

  it("puts a bank on the plan the first matching rule gives, and says which", async () => {
    const clock = new TestClock(at("2026-05-05"));
    const config = LedgerConfig.parse({
      plans: [
        { key: "gold", name: "Gold", creditsPerPeriod: 300 },
        { key: "sla-plan", name: "SLA plan", creditsPerPeriod: 200 },
        { key: "priority", name: "Priority support", creditsPerPeriod: 50 },
        { key: "standard", name: "Standard support" },
      ],
      planRules: [
        { type: "person_field", fieldId: "support_choice", value: "Priority support with credits", plan: "priority" },
        { type: "sla", slaId: "9", plan: "sla-plan" },
        { type: "org_field", fieldId: "membership", value: "Gold", plan: "gold" },
      ],
      defaultPlan: "standard",
    });
    const { ctx, tenantId } = await setup(db, clock, config);
    const profile = (facts: object) => service.setWalletProfile(ctx, tenantId, "person:5", { orgFields: {}, personFields: {}, slaIds: [], ...facts });

    const all = await profile({ orgFields: { membership: "gold" }, slaIds: ["9"], personFields: { support_choice: "Priority support with credits" } });
    expect([all.plan?.key, all.planSource, all.planRule]).toEqual(["gold", "org_field", 'organisation field membership is "Gold"']);
    expect(all.balance).toBe(300); // allocated at once
    const sla = await profile({ slaIds: ["9"], personFields: { support_choice: "Priority support with credits" } });
    expect([sla.plan?.key, sla.planSource]).toEqual(["sla-plan", "sla"]);
    expect(sla.balance).toBe(300); // a plan change mid-period takes effect next period
    const chosen = await profile({ personFields: { support_choice: "Priority support with credits" } });
    expect([chosen.plan?.key, chosen.planSource]).toEqual(["priority", "person_field"]);
    const none = await profile({});
    expect([none.plan?.key, none.planSource, none.nextTopUpAt]).toEqual(["standard", "default", null]);
    await service.assignPlan(ctx, tenantId, "person:5", { plan: "gold" }, key());
    expect((await profile({ slaIds: ["9"] })).planSource).toBe("wallet");
    clock.set(at("2026-06-02"));
    const june = await service.getWallet(ctx, tenantId, "person:5");
    expect(june.grants.filter((g) => g.source === "allocation").map((g) => g.amount)).toEqual([300]);
  });

  it.runIf(backend === "postgres")("grants once when two cron runs start at the same moment", async () => {
    const clock = new TestClock(at("2026-09-01"));
    const { ctx, tenantId, ledger } = await setup(db, clock);
    const owners = Array.from({ length: 30 }, (_, i) => `org:${100 + i}`);
    for (const owner of owners) await service.assignPlan(ctx, tenantId, owner, { plan: "business" }, key());
    const runs = await Promise.all([ledger.sweep(tenantId), ledger.sweep(tenantId), ledger.sweep(tenantId)]);
    expect(runs.reduce((sum, r) => sum + r.allocated, 0)).toBe(owners.length);
    const perBank = await db.query<{ owner: string; n: number }>(
      "SELECT owner, count(*)::int AS n FROM grants WHERE tenant_id = $1 AND source = 'allocation' GROUP BY owner",
      [tenantId],
    );
    expect(perBank).toHaveLength(owners.length);
    expect(perBank.every((r) => r.n === 1)).toBe(true);
    for (const owner of owners.slice(0, 3)) expect((await service.getWallet(ctx, tenantId, owner)).balance).toBe(100);
  });
});
