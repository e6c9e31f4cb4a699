import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Plan, type TimeRate } from "../../src/contract/index.js";
import { lowBalanceState, thresholdsInCredits } from "../../src/ledger/domain/alerts.js";
import { burnDownOrder, lapsedGrants, planDebit, planRefund, splitIncomingCredit, type GrantState } from "../../src/ledger/domain/burndown.js";
import { billableMinutes, creditsForMinutes, priceTimeEntry, tierOffered } from "../../src/ledger/domain/pricing.js";

const minuteRate: TimeRate = { credits: 1, perMinutes: 1, incrementMinutes: 15, minimumMinutes: 0 };
const hourBlocks: TimeRate = { credits: 60, perMinutes: 60, incrementMinutes: 60, minimumMinutes: 0 };
const now = new Date("2026-03-01T00:00:00Z");
const at = (iso: string) => new Date(iso);
let grantSeq = 0;
const grant = (id: string, remaining: number, extra: Partial<GrantState> = {}): GrantState => ({
  seq: ++grantSeq,
  id,
  remaining,
  paid: false,
  expiresAt: null,
  createdAt: at("2026-01-01T00:00:00Z"),
  closed: false,
  ...extra,
});

describe("time pricing", () => {
  it("rounds the ticket's total up to the increment: 27 min → 30 credits at 1 credit/min in 15-min steps", () => {
    expect(billableMinutes(27, minuteRate)).toBe(30);
    expect(priceTimeEntry({ minutes: 0, charged: 0 }, 27, minuteRate)).toEqual({ amount: 30, billedMinutesBefore: 0, billedMinutesAfter: 30 });
  });

  it("rounds on the ticket's total, not per entry: 45 + 45 + 5 minutes in 60-minute blocks is 2 blocks", () => {
    let ticket = { minutes: 0, charged: 0 };
    const charges: number[] = [];
    for (const minutes of [45, 45, 5]) {
      const { amount } = priceTimeEntry(ticket, minutes, hourBlocks);
      charges.push(amount);
      ticket = { minutes: ticket.minutes + minutes, charged: ticket.charged + amount };
    }
    expect(charges).toEqual([60, 60, 0]);
    expect(ticket.charged).toBe(120); // 2 blocks, not 3
  });

  it("applies the minimum billable total and rounds part credits up", () => {
    expect(creditsForMinutes(5, { credits: 1, perMinutes: 1, incrementMinutes: 1, minimumMinutes: 15 })).toBe(15);
    expect(creditsForMinutes(0, { credits: 1, perMinutes: 1, incrementMinutes: 1, minimumMinutes: 15 })).toBe(0);
    // 100 credits per hour, 1-minute steps: 1 minute is 1.67 credits → 2
    expect(creditsForMinutes(1, { credits: 100, perMinutes: 60, incrementMinutes: 1, minimumMinutes: 0 })).toBe(2);
  });

  it("never charges a negative amount after part of the ticket's time was refunded", () => {
    expect(priceTimeEntry({ minutes: 10, charged: 60 }, 5, hourBlocks).amount).toBe(0);
  });

  it("charges in total exactly the price of the total, for any split of the minutes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 20 }),
        fc.record({
          credits: fc.integer({ min: 0, max: 500 }),
          perMinutes: fc.integer({ min: 1, max: 120 }),
          incrementMinutes: fc.integer({ min: 1, max: 120 }),
          minimumMinutes: fc.integer({ min: 0, max: 120 }),
        }),
        (entries, rate) => {
          let ticket = { minutes: 0, charged: 0 };
          for (const minutes of entries) {
            const { amount } = priceTimeEntry(ticket, minutes, rate);
            expect(Number.isInteger(amount)).toBe(true);
            expect(amount).toBeGreaterThanOrEqual(0);
            ticket = { minutes: ticket.minutes + minutes, charged: ticket.charged + amount };
          }
          expect(ticket.charged).toBe(creditsForMinutes(ticket.minutes, rate));
        },
      ),
    );
  });
});

describe("tiers on offer", () => {
  it("offers every tier without a plan or with an empty list, else only the listed ones", () => {
    const plan = {
      key: "gold",
      name: "Gold",
      creditsPerPeriod: 0,
      period: "month",
      rollover: { type: "none" },
      grantLifetimeDays: null,
      overdraftLimit: 0,
      alertLevels: null,
    } as const;
    expect(tierOffered(null, "1-hour")).toBe(true);
    expect(tierOffered({ ...plan, tiers: [] }, "1-hour")).toBe(true);
    expect(tierOffered({ ...plan, tiers: ["4-hour"] }, "1-hour")).toBe(false);
    expect(tierOffered({ ...plan, tiers: ["4-hour"] }, "4-hour")).toBe(true);
  });
});

describe("burn-down order", () => {
  it("draws soonest expiry first, then free before paid, then oldest", () => {
    const grants = [
      grant("never-free-old", 10, { createdAt: at("2025-01-01T00:00:00Z") }),
      grant("june-paid", 10, { paid: true, expiresAt: at("2026-06-30T00:00:00Z") }),
      grant("june-free", 10, { expiresAt: at("2026-06-30T00:00:00Z") }),
      grant("april", 10, { paid: true, expiresAt: at("2026-04-30T00:00:00Z") }),
      grant("never-free-new", 10, { createdAt: at("2026-02-01T00:00:00Z") }),
      grant("never-paid", 10, { paid: true, createdAt: at("2024-01-01T00:00:00Z") }),
    ];
    expect([...grants].sort(burnDownOrder).map((g) => g.id)).toEqual(["april", "june-free", "june-paid", "never-free-old", "never-free-new", "never-paid"]);
  });

  it("splits a debit across grants in that order and records each draw", () => {
    const result = planDebit([grant("b", 50), grant("a", 30, { expiresAt: at("2026-04-01T00:00:00Z") })], 80, 45, 0, now);
    expect(result).toEqual({
      ok: true,
      draws: [
        { grantId: "a", amount: 30 },
        { grantId: "b", amount: 15 },
      ],
      overdraft: 0,
      balanceAfter: 35,
    });
  });

  it("skips expired and closed grants", () => {
    const result = planDebit(
      [grant("expired", 30, { expiresAt: at("2026-02-01T00:00:00Z") }), grant("closed", 30, { closed: true }), grant("ok", 30)],
      30,
      10,
      0,
      now,
    );
    expect(result.ok && result.draws).toEqual([{ grantId: "ok", amount: 10 }]);
  });

  it("refuses a debit beyond balance plus overdraft limit, and takes the allowed shortfall as overdraft", () => {
    expect(planDebit([grant("a", 20)], 20, 30, 0, now)).toEqual({ ok: false, balance: 20, required: 30, available: 20 });
    expect(planDebit([grant("a", 20)], 20, 30, 10, now)).toEqual({ ok: true, draws: [{ grantId: "a", amount: 20 }], overdraft: 10, balanceAfter: -10 });
    expect(planDebit([grant("a", 20)], 20, 31, 10, now).ok).toBe(false);
  });

  it("lists lapsed grants that still hold credits", () => {
    const lapsed = lapsedGrants(
      [
        grant("old", 5, { expiresAt: at("2026-02-01T00:00:00Z") }),
        grant("now", 5, { expiresAt: now }),
        grant("later", 5, { expiresAt: at("2026-05-01T00:00:00Z") }),
      ],
      now,
    );
    expect(lapsed.map((g) => g.id)).toEqual(["old", "now"]);
  });
});

describe("incoming credits and refunds", () => {
  it("repays a negative balance before anything lands on a grant", () => {
    expect(splitIncomingCredit(-30, 100)).toEqual({ repaid: 30, toGrant: 70 });
    expect(splitIncomingCredit(-300, 100)).toEqual({ repaid: 100, toGrant: 0 });
    expect(splitIncomingCredit(50, 100)).toEqual({ repaid: 0, toGrant: 100 });
  });

  it("returns credits to the grants they came from while those are open", () => {
    const grants = new Map([
      ["a", grant("a", 0)],
      ["b", grant("b", 5)],
    ]);
    expect(
      planRefund(
        40,
        [
          { grantId: "a", amount: 30 },
          { grantId: "b", amount: 10 },
        ],
        grants,
        5,
        now,
      ),
    ).toEqual({
      restores: [
        { grantId: "a", amount: 30 },
        { grantId: "b", amount: 10 },
      ],
      refundGrant: 0,
      repaid: 0,
      balanceAfter: 45,
    });
  });

  it("turns credits from lapsed grants and overdraft into a new grant, after repaying debt", () => {
    const grants = new Map([
      ["gone", grant("gone", 0, { expiresAt: at("2026-02-01T00:00:00Z") })],
      ["open", grant("open", 0)],
    ]);
    // debit of 50: 20 from "gone", 10 from "open", 20 overdraft; balance now -20
    const plan = planRefund(
      50,
      [
        { grantId: "gone", amount: 20 },
        { grantId: "open", amount: 10 },
      ],
      grants,
      -20,
      now,
    );
    expect(plan).toEqual({ restores: [{ grantId: "open", amount: 10 }], refundGrant: 20, repaid: 20, balanceAfter: 30 });
  });

  it("keeps the invariant: restored plus new-grant credits equal what the balance gains above zero", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -500, max: 500 }),
        fc.array(fc.record({ amount: fc.integer({ min: 1, max: 100 }), open: fc.boolean() }), { maxLength: 6 }),
        fc.integer({ min: 0, max: 100 }),
        (balance, draws, overdraft) => {
          const named = draws.map((d, i) => ({ grantId: `g${i}`, amount: d.amount }));
          const grants = new Map(draws.map((d, i) => [`g${i}`, grant(`g${i}`, 0, { closed: !d.open })]));
          const total = named.reduce((s, d) => s + d.amount, 0) + overdraft;
          const plan = planRefund(total, named, grants, balance, now);
          const landed = plan.restores.reduce((s, r) => s + r.amount, 0) + plan.refundGrant;
          expect(landed).toBe(Math.max(0, balance + total) - Math.max(0, balance));
          expect(plan.balanceAfter).toBe(balance + total);
        },
      ),
    );
  });
});

describe("low-balance state", () => {
  const plan = Plan.parse({ key: "p", name: "P", creditsPerPeriod: 1000 });
  it("turns percentage levels into credits of the plan's allocation, highest first", () => {
    expect(
      thresholdsInCredits(
        [
          { type: "percent", value: 10 },
          { type: "credits", value: 500 },
          { type: "credits", value: 0 },
        ],
        plan,
      ),
    ).toEqual([500, 100, 0]);
    expect(thresholdsInCredits([{ type: "percent", value: 10 }], null)).toEqual([]);
  });
  it("is depleted at or below zero, low at or below the threshold, else ok", () => {
    expect(lowBalanceState(0, 100)).toBe("depleted");
    expect(lowBalanceState(-5, 100)).toBe("depleted");
    expect(lowBalanceState(100, 100)).toBe("low");
    expect(lowBalanceState(101, 100)).toBe("ok");
    expect(lowBalanceState(5, null)).toBe("ok");
  });
});
