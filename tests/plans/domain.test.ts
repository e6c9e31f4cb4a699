import { describe, expect, it } from "vitest";
import { LedgerConfig, Plan } from "../../src/contract/index.js";
import { allocationDue, allocationExpiry, creditsLostAtExpiry, nextPeriodStart, periodStart, resolvePlan, rolloverCap } from "../../src/ledger/domain/plans.js";

const d = (iso: string) => new Date(iso);

describe("plan periods, in UTC", () => {
  it("starts weeks on Monday, and months, quarters and years on their first day", () => {
    const at = d("2026-11-25T15:30:00Z"); // a Wednesday
    expect(periodStart("week", at).toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(periodStart("week", d("2026-11-23T00:00:00Z")).toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(periodStart("week", d("2026-11-29T23:59:59Z")).toISOString()).toBe("2026-11-23T00:00:00.000Z");
    expect(periodStart("month", at).toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(periodStart("quarter", at).toISOString()).toBe("2026-10-01T00:00:00.000Z");
    expect(periodStart("year", at).toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("steps to the next period across year ends", () => {
    expect(nextPeriodStart("month", d("2026-12-01T00:00:00Z")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(nextPeriodStart("quarter", d("2026-10-01T00:00:00Z")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(nextPeriodStart("week", d("2026-12-28T00:00:00Z")).toISOString()).toBe("2027-01-04T00:00:00.000Z");
    expect(nextPeriodStart("year", d("2026-01-01T00:00:00Z")).toISOString()).toBe("2027-01-01T00:00:00.000Z");
  });
});

describe("allocation and rollover", () => {
  const plan = (over: object) => Plan.parse({ key: "p", name: "P", creditsPerPeriod: 1000, ...over });

  it("caps rollover in credits or as a share of the allocation", () => {
    expect(rolloverCap(plan({}))).toBe(0);
    expect(rolloverCap(plan({ rollover: { type: "credits", max: 300 } }))).toBe(300);
    expect(rolloverCap(plan({ rollover: { type: "percent", max: 25 } }))).toBe(250);
    expect(rolloverCap(plan({ creditsPerPeriod: 333, rollover: { type: "percent", max: 50 } }))).toBe(166);
  });

  it("ends an allocation with its period unless the plan gives grants a lifetime", () => {
    expect(allocationExpiry(plan({}), d("2026-02-01T00:00:00Z")).toISOString()).toBe("2026-03-01T00:00:00.000Z");
    expect(allocationExpiry(plan({ grantLifetimeDays: 90 }), d("2026-02-01T00:00:00Z")).toISOString()).toBe("2026-05-02T00:00:00.000Z");
  });

  it("is due once per period, and never for a plan without credits", () => {
    const now = d("2026-11-25T10:00:00Z");
    expect(allocationDue(plan({}), null, now)?.toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(allocationDue(plan({}), d("2026-10-01T00:00:00Z"), now)?.toISOString()).toBe("2026-11-01T00:00:00.000Z");
    expect(allocationDue(plan({}), d("2026-11-01T00:00:00Z"), now)).toBeNull();
    expect(allocationDue(plan({ creditsPerPeriod: 0 }), null, now)).toBeNull();
    expect(allocationDue(null, null, now)).toBeNull();
  });
});

describe("which plan a bank is on", () => {
  const config = LedgerConfig.parse({
    plans: [
      { key: "a", name: "A" },
      { key: "b", name: "B" },
      { key: "c", name: "C" },
      { key: "d", name: "D" },
    ],
    planRules: [
      { type: "person_field", fieldId: "choice", value: "credits", plan: "c" },
      { type: "sla", slaId: "3", plan: "b" },
      { type: "org_field", fieldId: "level", value: "Gold", plan: "a" },
    ],
    defaultPlan: "d",
  });
  const facts = (over: object) => ({ orgFields: {}, personFields: {}, slaIds: [], ...over });

  it("takes the hand-set plan, then organisation field, SLA, person field, default", () => {
    const everything = facts({ orgFields: { level: " gold " }, slaIds: ["3"], personFields: { choice: "credits" } });
    expect(resolvePlan(config, "c", everything)).toMatchObject({ source: "wallet", plan: { key: "c" } });
    expect(resolvePlan(config, null, everything)).toMatchObject({ source: "org_field", plan: { key: "a" } });
    expect(resolvePlan(config, null, facts({ slaIds: ["3"], personFields: { choice: "credits" } }))).toMatchObject({ source: "sla", plan: { key: "b" } });
    expect(resolvePlan(config, null, facts({ personFields: { choice: "credits" } }))).toMatchObject({ source: "person_field", plan: { key: "c" } });
    expect(resolvePlan(config, null, null)).toMatchObject({ source: "default", plan: { key: "d" } });
    expect(resolvePlan(config, "gone", null)).toMatchObject({ source: "default" });
    expect(resolvePlan(LedgerConfig.parse({}), null, null)).toEqual({ plan: null, source: "none", rule: null });
  });

  it("says a rule picked from Deskpro's lists in words, and a typed one by its ids", () => {
    const named = LedgerConfig.parse({
      plans: [{ key: "c", name: "C" }],
      planRules: [
        { type: "person_field", fieldId: "21", value: "212", plan: "c", fieldTitle: "Support choice", valueTitle: "Priority support" },
        { type: "sla", slaId: "3", plan: "c", slaTitle: "First response within a business day" },
      ],
    });
    // A choice field's stored value holds the option's id and title, one per line.
    expect(resolvePlan(named, null, facts({ personFields: { "21": "212\nPriority support" } })).rule).toBe("Support choice: Priority support");
    expect(resolvePlan(named, null, facts({ slaIds: ["3"] })).rule).toBe("First response within a business day");
    expect(resolvePlan(config, null, facts({ personFields: { choice: "credits" } })).rule).toBe('person field choice is "credits"');
  });

  it("refuses rules naming a plan that does not exist", () => {
    const bad = LedgerConfig.safeParse({ planRules: [{ type: "sla", slaId: "1", plan: "nope" }] });
    expect(bad.success).toBe(false);
  });
});

describe("credits lost at expiry (what credits.expiring announces)", () => {
  const plan = (over: object) => Plan.parse({ key: "p", name: "P", creditsPerPeriod: 100, rollover: { type: "credits", max: 50 }, ...over });
  it("leaves out what an allocation rolls over, and announces all of anything else", () => {
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 80 }, plan({}))).toBe(30);
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 40 }, plan({}))).toBe(0);
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 80 }, plan({ rollover: { type: "percent", max: 10 } }))).toBe(70);
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 80 }, plan({ rollover: { type: "none" } }))).toBe(80);
    // An allocation with its own lifetime lapses mid-period, before any rollover.
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 80 }, plan({ grantLifetimeDays: 10 }))).toBe(80);
    expect(creditsLostAtExpiry({ source: "rollover", remaining: 40 }, plan({}))).toBe(40);
    expect(creditsLostAtExpiry({ source: "promo", remaining: 40 }, plan({}))).toBe(40);
    expect(creditsLostAtExpiry({ source: "allocation", remaining: 80 }, null)).toBe(80);
  });
});
