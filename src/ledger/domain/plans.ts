/**
 * Plans without I/O: which plan a bank is on, the calendar periods plans allocate in (UTC), how
 * long an allocation lasts and how much of it may roll over.
 */
import type { LedgerConfig, Period, Plan, PlanRule } from "../../contract/config.js";
import type { WalletProfile } from "../../contract/ledger.js";

/** The start of the period that contains `at`: Monday of the week, the 1st of the month, quarter or year. */
export function periodStart(period: Period, at: Date): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  switch (period) {
    case "week": {
      const day = new Date(Date.UTC(y, m, at.getUTCDate()));
      const sinceMonday = (day.getUTCDay() + 6) % 7;
      return new Date(day.getTime() - sinceMonday * 86_400_000);
    }
    case "month":
      return new Date(Date.UTC(y, m, 1));
    case "quarter":
      return new Date(Date.UTC(y, m - (m % 3), 1));
    case "year":
      return new Date(Date.UTC(y, 0, 1));
  }
}

/** The start of the period after the one starting at `start`. */
export function nextPeriodStart(period: Period, start: Date): Date {
  const y = start.getUTCFullYear();
  const m = start.getUTCMonth();
  switch (period) {
    case "week":
      return new Date(start.getTime() + 7 * 86_400_000);
    case "month":
      return new Date(Date.UTC(y, m + 1, 1));
    case "quarter":
      return new Date(Date.UTC(y, m + 3, 1));
    case "year":
      return new Date(Date.UTC(y + 1, 0, 1));
  }
}

/** When a period's allocation stops being spendable: its lifetime from the period's start, else the period's end. */
export function allocationExpiry(plan: Plan, start: Date): Date {
  return plan.grantLifetimeDays !== null ? new Date(start.getTime() + plan.grantLifetimeDays * 86_400_000) : nextPeriodStart(plan.period, start);
}

/** The most of a period's unused allocation that carries into the next period. */
export function rolloverCap(plan: Plan): number {
  switch (plan.rollover.type) {
    case "none":
      return 0;
    case "credits":
      return plan.rollover.max;
    case "percent":
      return Math.floor((plan.creditsPerPeriod * plan.rollover.max) / 100);
  }
}

export type PlanSource = "wallet" | "org_field" | "sla" | "person_field" | "default" | "none";

export interface ResolvedPlan {
  plan: Plan | null;
  source: PlanSource;
  /** The rule in words, for the sidebars. */
  rule: string | null;
}

/** A stored field holds one value per line (a choice's option id and title); a rule matches any of them, ignoring case. */
const same = (stored: string | undefined, wanted: string) =>
  stored !== undefined && stored.split("\n").some((value) => value.trim().toLowerCase() === wanted.trim().toLowerCase());

/**
 * A field rule as people read it: "Support choice: Priority support" when it was picked from
 * Deskpro's lists (their titles are kept with it), else by its ids as typed.
 */
function fieldRuleInWords(kind: "organisation" | "person", rule: { fieldId: string; value: string; fieldTitle: string | null; valueTitle: string | null }) {
  if (rule.fieldTitle !== null) return `${rule.fieldTitle}: ${rule.valueTitle ?? rule.value}`;
  return `${kind} field ${rule.fieldId} is "${rule.valueTitle ?? rule.value}"`;
}

/**
 * First match wins: a plan set by hand on the bank, an organisation field, an SLA, a person field,
 * the default plan. A rule or hand-set key naming a plan that no longer exists is passed over.
 */
export function resolvePlan(config: LedgerConfig, manualKey: string | null, profile: WalletProfile | null): ResolvedPlan {
  const byKey = (key: string | null) => (key === null ? null : (config.plans.find((p) => p.key === key) ?? null));
  const manual = byKey(manualKey);
  if (manual) return { plan: manual, source: "wallet", rule: "set by hand on this bank" };
  const facts: WalletProfile = profile ?? { orgFields: {}, personFields: {}, slaIds: [] };
  const kinds: PlanRule["type"][] = ["org_field", "sla", "person_field"];
  for (const kind of kinds) {
    for (const rule of config.planRules) {
      if (rule.type !== kind) continue;
      const plan = byKey(rule.plan);
      if (!plan) continue;
      if (rule.type === "org_field" && same(facts.orgFields[rule.fieldId], rule.value)) {
        return { plan, source: "org_field", rule: fieldRuleInWords("organisation", rule) };
      }
      if (rule.type === "sla" && facts.slaIds.includes(rule.slaId)) return { plan, source: "sla", rule: rule.slaTitle ?? `SLA ${rule.slaId}` };
      if (rule.type === "person_field" && same(facts.personFields[rule.fieldId], rule.value)) {
        return { plan, source: "person_field", rule: fieldRuleInWords("person", rule) };
      }
    }
  }
  const fallback = byKey(config.defaultPlan);
  return fallback ? { plan: fallback, source: "default", rule: "the default plan" } : { plan: null, source: "none", rule: null };
}

/**
 * The period whose allocation the bank is owed now, or null: a plan that allocates credits, and
 * no allocation yet for the current period. A plan changed mid-period takes effect from the next
 * period once this period's allocation is made (`allocatedFrom` is that period's start).
 */
export function allocationDue(plan: Plan | null, allocatedFrom: Date | null, now: Date): Date | null {
  if (!plan || plan.creditsPerPeriod <= 0) return null;
  const start = periodStart(plan.period, now);
  if (allocatedFrom !== null && allocatedFrom.getTime() >= start.getTime()) return null;
  return start;
}

/** When the plan's next allocation falls due for a wallet allocated up to `allocatedFrom` (null: never). */
export function nextAllocationAt(plan: Plan | null, allocatedFrom: Date | null, now: Date): Date | null {
  if (!plan || plan.creditsPerPeriod <= 0) return null;
  if (allocatedFrom === null) return now;
  return nextPeriodStart(plan.period, periodStart(plan.period, allocatedFrom));
}

/**
 * How much of a grant is really lost when it expires, for the `credits.expiring` notice: an
 * allocation that lasts to its period's end carries its unused credits into the next period up
 * to the plan's rollover cap; anything else loses all it holds.
 */
export function creditsLostAtExpiry(grant: { source: string; remaining: number }, plan: Plan | null): number {
  if (grant.source !== "allocation" || !plan || plan.grantLifetimeDays !== null || plan.creditsPerPeriod <= 0) return grant.remaining;
  return Math.max(0, grant.remaining - rolloverCap(plan));
}

/** Lost and rolled over, for everything that shows a grant's expiry: the sidebars, the customer page and messages. */
export function atExpiry(grant: { source: string; remaining: number; expiresAt: Date | null }, plan: Plan | null): { lost: number; rollsOver: number } | null {
  if (grant.expiresAt === null) return null;
  const lost = creditsLostAtExpiry(grant, plan);
  return { lost, rollsOver: grant.remaining - lost };
}

const DAY_MS = 86_400_000;

/**
 * A first period's allocation pro-rated to the whole days left in it, counting today: a plan
 * assigned on the 21st of a 30-day month gets 10/30 of its credits. Rounded down to whole credits,
 * never more than a full period's.
 */
export function proratedAllocation(plan: Plan, now: Date): number {
  const start = periodStart(plan.period, now);
  const end = nextPeriodStart(plan.period, start);
  const totalDays = Math.round((end.getTime() - start.getTime()) / DAY_MS);
  const today = Math.floor((now.getTime() - start.getTime()) / DAY_MS);
  const daysLeft = Math.max(0, Math.min(totalDays, totalDays - today));
  return Math.floor((plan.creditsPerPeriod * daysLeft) / totalDays);
}

export interface PlanAssignmentOutlook {
  allocatedThisPeriod: boolean;
  creditsNow: number;
  creditsNowExpireAt: Date | null;
  fullPeriodCredits: number;
  proratedCredits: number;
  nextTopUpAt: Date | null;
  nextTopUpCredits: number;
}

/**
 * What putting a bank on `plan` now does. A bank that already had this period's allocation starts
 * the new plan next period (a period is allocated once); otherwise it is allocated at once, a full
 * period's credits or the pro-rated share, expiring as the plan says.
 */
export function planAssignmentOutlook(plan: Plan | null, allocatedFrom: Date | null, firstPeriod: "full" | "prorated", now: Date): PlanAssignmentOutlook {
  if (!plan || plan.creditsPerPeriod <= 0) {
    return {
      allocatedThisPeriod: false,
      creditsNow: 0,
      creditsNowExpireAt: null,
      fullPeriodCredits: 0,
      proratedCredits: 0,
      nextTopUpAt: null,
      nextTopUpCredits: 0,
    };
  }
  const start = periodStart(plan.period, now);
  const due = allocationDue(plan, allocatedFrom, now);
  const prorated = proratedAllocation(plan, now);
  const creditsNow = due === null ? 0 : firstPeriod === "prorated" ? prorated : plan.creditsPerPeriod;
  return {
    allocatedThisPeriod: due === null,
    creditsNow,
    creditsNowExpireAt: creditsNow > 0 ? allocationExpiry(plan, start) : null,
    fullPeriodCredits: plan.creditsPerPeriod,
    proratedCredits: prorated,
    nextTopUpAt: nextPeriodStart(plan.period, start),
    nextTopUpCredits: plan.creditsPerPeriod,
  };
}
