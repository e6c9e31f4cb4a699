/**
 * The finance report against the journal: random journals (grants free and paid, debits, removals,
 * reversals, card-refund take-backs, plan allocations with rollover and expiry, months passing)
 * on both backends, where every row's outstanding must be the bank's journal summed to the month's
 * end, and the columns must add up to it. Then the route: CSV shape, validation, tenant isolation.
 */
import fc from "fast-check";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, FinanceReport, LedgerConfig } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import * as service from "../../src/ledger/core/wallets.js";
import { buildFinanceReport, columnOf, FINANCE_CSV_COLUMNS, majorUnits, monthsBetween } from "../../src/ledger/domain/finance.js";
import { financeReport } from "../../src/ledger/features/finance.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, openTestDatabase, TestClock, type TestLedger } from "../helpers/ledger.js";

const CONFIG = LedgerConfig.parse({
  tiers: DEFAULT_CONFIG.tiers,
  plans: [{ key: "monthly", name: "Monthly", creditsPerPeriod: 60, period: "month", rollover: { type: "credits", max: 20 } }],
});
const key = () => ({ scope: "client" as const, key: randomUUID(), requestHash: randomUUID() });
const OWNERS = ["org:1", "org:2", "person:3"] as const;

type Op =
  | { op: "advance"; days: number }
  | { op: "grant"; who: number; amount: number; paid: boolean; days: number | null }
  | { op: "debit"; who: number; amount: number; removal: boolean }
  | { op: "time"; who: number; minutes: number }
  | { op: "reverse"; pick: number }
  | { op: "takeBack"; pick: number; credits: number }
  | { op: "plan"; who: number }
  | { op: "read"; who: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("advance" as const), days: fc.integer({ min: 1, max: 45 }) }),
  fc.record({
    op: fc.constant("grant" as const),
    who: fc.nat(2),
    amount: fc.integer({ min: 1, max: 300 }),
    paid: fc.boolean(),
    days: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
  }),
  fc.record({ op: fc.constant("debit" as const), who: fc.nat(2), amount: fc.integer({ min: 1, max: 120 }), removal: fc.boolean() }),
  fc.record({ op: fc.constant("time" as const), who: fc.nat(2), minutes: fc.integer({ min: 1, max: 90 }) }),
  fc.record({ op: fc.constant("reverse" as const), pick: fc.nat() }),
  fc.record({ op: fc.constant("takeBack" as const), pick: fc.nat(), credits: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ op: fc.constant("plan" as const), who: fc.nat(2) }),
  fc.record({ op: fc.constant("read" as const), who: fc.nat(2) }),
);

/** Refusals a random journal meets by design (not enough credits, reversing twice, nothing left to take). */
const expected = (error: unknown) => {
  const code = (error as { code?: string }).code;
  if (code === "insufficient_credits" || code === "already_reversed" || code === "nothing_to_reverse" || code === "not_reversible") return;
  throw error;
};

describe.each(backends())("finance report on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  /** Each bank's journal summed to the instant, straight from the entries: the truth the report must match. */
  const journalAt = async (tenantId: string, before: Date) =>
    new Map(
      (
        await db.query<{ owner: string; total: string }>(
          "SELECT owner, sum(amount)::text AS total FROM entries WHERE tenant_id = $1 AND created_at < $2 GROUP BY owner",
          [tenantId, before],
        )
      ).map((r) => [r.owner, Number(r.total)]),
    );

  it("outstanding is the journal at every month's end, and sold + free − used − expired − refunded − removed adds up to it", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 30 }), async (ops) => {
        const clock = new TestClock(new Date("2026-01-20T09:00:00.000Z"));
        const { tenantId } = await createTenant(db, { name: `finance-${randomUUID()}` });
        const ctx = composeLedger({ db, clock: clock.now }).context;
        await service.putConfig(ctx, tenantId, CONFIG, null);
        const debits: string[] = [];
        const grantEntries: { id: string; paid: boolean }[] = [];
        let soldInModel = 0;
        // A bank with credits from the start, and a last month after everything: a later report always has an opening to carry.
        const journal: Op[] = [{ op: "grant", who: 0, amount: 50, paid: false, days: null }, ...ops, { op: "advance", days: 32 }, { op: "read", who: 0 }];
        for (const op of journal) {
          if (op.op === "advance") {
            clock.advance(op.days * 86_400_000);
            continue;
          }
          if (op.op === "grant") {
            const expiresAt = op.days === null ? undefined : new Date(clock.now().getTime() + op.days * 86_400_000).toISOString();
            const done = await service.grantCredits(
              ctx,
              tenantId,
              OWNERS[op.who]!,
              {
                amount: op.amount,
                reason: op.paid ? "bought" : "given",
                source: op.paid ? "purchase" : "promo",
                paid: op.paid,
                ...(expiresAt ? { expiresAt } : {}),
              },
              key(),
            );
            grantEntries.push({ id: done.body.entry.id, paid: op.paid });
            if (op.paid) soldInModel += op.amount;
          } else if (op.op === "debit") {
            const request = op.removal
              ? { kind: "removal" as const, amount: op.amount, reason: "tidy" }
              : { kind: "manual" as const, amount: op.amount, reason: "work" };
            await service
              .debitCredits(ctx, tenantId, OWNERS[op.who]!, request, key())
              .then((done) => debits.push(done.body.entry.id))
              .catch(expected);
          } else if (op.op === "time") {
            await service
              .debitCredits(ctx, tenantId, OWNERS[op.who]!, { kind: "time", minutes: op.minutes, ticketId: String(100 + op.who) }, key())
              .then((done) => debits.push(done.body.entry.id))
              .catch(expected);
          } else if (op.op === "reverse") {
            const candidates = [...debits, ...grantEntries.map((g) => g.id)];
            if (candidates.length === 0) continue;
            await service.reverseEntry(ctx, tenantId, candidates[op.pick % candidates.length]!, { reason: "undo" }, key()).catch(expected);
          } else if (op.op === "takeBack") {
            const paid = grantEntries.filter((g) => g.paid);
            if (paid.length === 0) continue;
            await service
              .takeBackGrantCredits(ctx, tenantId, paid[op.pick % paid.length]!.id, async () => ({ credits: op.credits, reason: "card refund" }), key())
              .catch(expected);
          } else if (op.op === "plan") {
            await service.assignPlan(ctx, tenantId, OWNERS[op.who]!, { plan: "monthly" }, key());
          } else {
            await service.getWallet(ctx, tenantId, OWNERS[op.who]!);
          }
        }
        const to = clock.now().toISOString().slice(0, 7);
        const report = FinanceReport.parse(await financeReport(ctx, tenantId, { from: "2026-01", to }));
        let sold = 0;
        for (const month of monthsBetween("2026-01", to)) {
          const [year, m] = month.split("-").map(Number);
          const journal = await journalAt(tenantId, new Date(Date.UTC(year!, m!, 1)));
          const rows = report.rows.filter((r) => r.month === month);
          // Every bank with credits owed (or any movement) has its row, and its outstanding is the journal's.
          for (const [owner, total] of journal) if (total !== 0) expect(rows.some((r) => r.bank === owner)).toBe(true);
          for (const row of rows) {
            expect(row.outstanding).toBe(journal.get(row.bank) ?? 0);
            expect(row.opening + row.sold + row.grantedFree - row.used - row.expired - row.refunded - row.removed).toBe(row.outstanding);
            expect(row.sales.reduce((s, x) => s + x.credits, 0)).toBe(row.sold);
            sold += row.sold;
          }
          const totals = report.months.find((t) => t.month === month)!;
          expect(totals.outstanding).toBe([...journal.values()].reduce((a, b) => a + b, 0));
        }
        // A report starting later opens with the journal before it, and says the same of its months.
        const months = monthsBetween("2026-01", to);
        if (months.length > 1) {
          const later = await financeReport(ctx, tenantId, { from: months[1]!, to });
          expect(later.rows).toEqual(report.rows.filter((r) => r.month >= months[1]!));
        }
        // From an empty journal: what came in less what went out is what is owed at the end.
        const all = report.rows;
        const sum = (pick: (r: (typeof all)[number]) => number) => all.reduce((s, r) => s + pick(r), 0);
        const finalJournal = await journalAt(tenantId, new Date("2100-01-01T00:00:00Z"));
        expect(sum((r) => r.sold - r.used - r.expired - r.refunded - r.removed + r.grantedFree)).toBe([...finalJournal.values()].reduce((a, b) => a + b, 0));
        expect(sold).toBe(soldInModel);
      }),
      { numRuns: backend === "pglite" ? 12 : 20 },
    );
  });

  it("puts each kind of entry in its column", async () => {
    const clock = new TestClock(new Date("2026-03-05T12:00:00.000Z"));
    const { tenantId } = await createTenant(db, { name: `finance-${randomUUID()}` });
    const ctx = composeLedger({ db, clock: clock.now }).context;
    await service.putConfig(ctx, tenantId, CONFIG, null);
    const owner = "org:9";
    const bought = await service.grantCredits(ctx, tenantId, owner, { amount: 500, reason: "card", source: "purchase", paid: true }, key());
    await service.grantCredits(ctx, tenantId, owner, { amount: 40, reason: "goodwill", source: "manual", expiresAt: "2026-03-20T00:00:00.000Z" }, key());
    const work = await service.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 70, reason: "work" }, key());
    await service.debitCredits(ctx, tenantId, owner, { kind: "removal", amount: 5, reason: "tidy" }, key());
    await service.reverseEntry(ctx, tenantId, work.body.entry.id, { reason: "sorry" }, key());
    await service.debitCredits(ctx, tenantId, owner, { kind: "manual", amount: 30, reason: "work" }, key());
    await service.takeBackGrantCredits(ctx, tenantId, bought.body.entry.id, async () => ({ credits: 100, reason: "refund" }), key());
    clock.set(new Date("2026-04-02T00:00:00.000Z"));
    await service.getWallet(ctx, tenantId, owner); // the goodwill grant's lapse is written now, in April
    const report = await financeReport(ctx, tenantId, { from: "2026-03", to: "2026-04" });
    const [march, april] = report.rows;
    // Debits draw soonest-expiry first: the 30 used (after the reversed 70 came back) came out of the 40 free, so 10 expire.
    expect(march).toMatchObject({ month: "2026-03", periodStart: "2026-03-01", periodEnd: "2026-03-31", opening: 0, sold: 500, grantedFree: 40 });
    expect(march).toMatchObject({ used: 30, refunded: 100, removed: 5, expired: 0, outstanding: 405 });
    expect(april).toMatchObject({ month: "2026-04", periodEnd: "2026-04-30", opening: 405, sold: 0, used: 0, expired: 10, outstanding: 395 });
    expect(march!.sales).toEqual([{ currency: null, credits: 500, amountMinor: null, amountMajor: null }]);
  });

  it("counts a plan's rollover against expiry: only what was lost is expired", async () => {
    const clock = new TestClock(new Date("2026-01-10T00:00:00.000Z"));
    const { tenantId } = await createTenant(db, { name: `finance-${randomUUID()}` });
    const ctx = composeLedger({ db, clock: clock.now }).context;
    await service.putConfig(ctx, tenantId, CONFIG, null);
    await service.assignPlan(ctx, tenantId, "org:5", { plan: "monthly" }, key());
    await service.debitCredits(ctx, tenantId, "org:5", { kind: "manual", amount: 10, reason: "work" }, key());
    clock.set(new Date("2026-02-03T00:00:00.000Z"));
    await service.getWallet(ctx, tenantId, "org:5"); // January's 50 left: 20 roll over, 30 are lost; February's 60 arrive
    const report = await financeReport(ctx, tenantId, { from: "2026-01", to: "2026-02" });
    expect(report.rows.map((r) => [r.month, r.grantedFree, r.used, r.expired, r.outstanding])).toEqual([
      ["2026-01", 60, 10, 0, 50],
      ["2026-02", 60, 0, 30, 80],
    ]);
  });
});

describe("finance report arithmetic", () => {
  it("writes money in major units by the currency's minor unit", () => {
    expect(majorUnits(25_000, "usd")).toBe("250.00");
    expect(majorUnits(5_000, "jpy")).toBe("5000");
    expect(majorUnits(5_120, "kwd")).toBe("5.120");
    expect(majorUnits(5, "eur")).toBe("0.05");
    expect(majorUnits(-1_050, "gbp")).toBe("-10.50");
  });

  it("refuses an entry kind it has no column for rather than leave the report out of balance", () => {
    expect(() => columnOf({ kind: "mystery" as never, grantSource: null, grantPaid: null, reversedKind: null })).toThrow(/no column/);
  });

  it("carries a bank's outstanding through months without movement", () => {
    const report = buildFinanceReport({
      from: "2026-11",
      to: "2027-02",
      openings: new Map([["org:1", 70]]),
      groups: [{ owner: "org:1", month: "2027-01", kind: "time", grantSource: null, grantPaid: null, reversedKind: null, amount: -20 }],
      sales: [],
      names: new Map(),
      generatedAt: new Date(0),
    });
    expect(report.rows.map((r) => [r.month, r.opening, r.used, r.outstanding])).toEqual([
      ["2026-11", 70, 0, 70],
      ["2026-12", 70, 0, 70],
      ["2027-01", 70, 20, 50],
      ["2027-02", 50, 0, 50],
    ]);
  });
});

describe("GET /v1/reports/finance", () => {
  let ledger: TestLedger;
  beforeEach(async () => {
    ledger = await createTestLedger("pglite");
    ledger.clock.set("2026-02-10T10:00:00.000Z");
  });
  afterEach(() => ledger.close());

  const grant = (owner: string, amount: number, key?: string) =>
    ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount, reason: "welcome" }, ...(key ? { key } : {}) });

  it("answers CSV an accountant can import: one row per month and bank, ISO dates, plain numbers", async () => {
    expect((await grant("org:7", 120)).status).toBe(201);
    expect((await ledger.call("POST", "/v1/wallets/org:7/debits", { body: { kind: "manual", amount: 20, reason: "work" } })).status).toBe(201);
    expect((await grant("org:12", 5)).status).toBe(201);
    await ledger.db.query("UPDATE wallets SET display_name = $3 WHERE tenant_id = $1 AND owner = $2", [ledger.tenantId, "org:12", '=HYPERLINK("x"), Inc']);
    const got = await ledger.call("GET", "/v1/reports/finance?from=2026-01&to=2026-03", { headers: { accept: "text/csv" } });
    expect(got.status).toBe(200);
    expect(got.headers.get("content-type")).toMatch(/^text\/csv/);
    expect(got.headers.get("content-disposition")).toBe('attachment; filename="finance-2026-01-to-2026-03.csv"');
    const lines = got.text.split("\r\n");
    expect(lines.at(-1)).toBe("");
    expect(lines[0]).toBe(FINANCE_CSV_COLUMNS.join(","));
    expect(lines.slice(1, -1)).toEqual([
      "2026-02,2026-02-01,2026-02-28,org:7,,0,0,120,20,0,0,0,100,,,",
      `2026-02,2026-02-01,2026-02-28,org:12,"'=HYPERLINK(""x""), Inc",0,0,5,0,0,0,0,5,,,`,
      "2026-03,2026-03-01,2026-03-31,org:7,,100,0,0,0,0,0,0,100,,,",
      '2026-03,2026-03-01,2026-03-31,org:12,"\'=HYPERLINK(""x""), Inc",5,0,0,0,0,0,0,5,,,',
    ]);
    const json = FinanceReport.parse((await ledger.call("GET", "/v1/reports/finance?from=2026-01&to=2026-03")).body);
    expect(json.months.map((m) => [m.month, m.outstanding])).toEqual([
      ["2026-01", 0],
      ["2026-02", 105],
      ["2026-03", 105],
    ]);
  });

  it("refuses a bad range with 400 and says which field", async () => {
    for (const query of [
      "from=2026-1&to=2026-02",
      "from=2026-13&to=2027-01",
      "from=2026-03&to=2026-02",
      "from=2020-01&to=2023-01",
      "to=2026-02",
      "from=26-01&to=2026-02",
    ]) {
      const got = await ledger.call("GET", `/v1/reports/finance?${query}`);
      expect(got.status, query).toBe(400);
      expect(got.body.code, query).toBe("invalid_request");
      expect(JSON.stringify(got.body.errors), query).toMatch(/from|to/);
    }
    expect((await ledger.call("GET", "/v1/reports/finance?from=2020-01&to=2022-12")).status).toBe(200);
  });

  it("shows a tenant only its own banks, and nothing without its key", async () => {
    expect((await grant("org:1", 50)).status).toBe(201);
    const other = await ledger.newTenant();
    expect((await grant("org:1", 7, other.apiKey)).status).toBe(201);
    expect((await grant("org:2", 9, other.apiKey)).status).toBe(201);
    const mine = FinanceReport.parse((await ledger.call("GET", "/v1/reports/finance?from=2026-02&to=2026-02")).body);
    expect(mine.rows.map((r) => [r.bank, r.grantedFree])).toEqual([["org:1", 50]]);
    const theirs = FinanceReport.parse((await ledger.call("GET", "/v1/reports/finance?from=2026-02&to=2026-02", { key: other.apiKey })).body);
    expect(theirs.rows.map((r) => [r.bank, r.grantedFree])).toEqual([
      ["org:1", 7],
      ["org:2", 9],
    ]);
    expect((await ledger.call("GET", "/v1/reports/finance?from=2026-02&to=2026-02", { key: null })).status).toBe(401);
  });
});
