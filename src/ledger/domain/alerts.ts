import type { AlertEventType } from "../../contract/alerts.js";
import type { AlertLevel, Plan } from "../../contract/config.js";
import type { LowBalanceState } from "../../contract/ledger.js";

export type AlertLevelsFrom = "bank" | "plan" | "helpdesk";

/** The levels a bank is held to: its own override, else its plan's, else the helpdesk's. */
export function alertLevelsFor(
  bankLevels: readonly AlertLevel[] | null,
  plan: Plan | null,
  helpdeskLevels: readonly AlertLevel[],
): { levels: AlertLevel[]; from: AlertLevelsFrom } {
  if (bankLevels !== null) return { levels: [...bankLevels], from: "bank" };
  if (plan?.alertLevels) return { levels: [...plan.alertLevels], from: "plan" };
  return { levels: [...helpdeskLevels], from: "helpdesk" };
}

/** Turns configured levels into credit thresholds, highest first; percentages are of the plan's allocation. */
export function thresholdsInCredits(levels: readonly AlertLevel[], plan: Plan | null): number[] {
  const credits = levels.flatMap((level) => {
    if (level.type === "credits") return [level.value];
    if (!plan || plan.creditsPerPeriod === 0) return [];
    return [Math.floor((plan.creditsPerPeriod * level.value) / 100)];
  });
  return [...new Set(credits)].sort((a, b) => b - a);
}

/** The bank's state against its highest threshold: depleted at or below zero, low at or below the threshold. */
export function lowBalanceState(balance: number, threshold: number | null): LowBalanceState {
  if (balance <= 0) return "depleted";
  if (threshold !== null && balance <= threshold) return "low";
  return "ok";
}

export interface AlertEvent {
  type: AlertEventType;
  /** The level crossed, in credits (0 for depleted; the highest recovered level for recovered). */
  level: number;
}

/**
 * Which alerts a new balance fires, given the levels already fired. Going down past a level fires
 * once; the level fires again only after the balance has recovered above it. When the last fired
 * level is recovered, `balance.recovered` fires once. 0 is always a level (depleted).
 */
export function alertTransitions(thresholds: readonly number[], fired: readonly number[], balance: number): { events: AlertEvent[]; fired: number[] } {
  const levels = [...new Set([...thresholds.filter((t) => t > 0), 0])].sort((a, b) => b - a);
  const before = new Set(fired.filter((l) => levels.includes(l)));
  const after = new Set<number>();
  const events: AlertEvent[] = [];
  for (const level of levels) {
    const below = balance <= level;
    if (below) after.add(level);
    if (below && !before.has(level)) events.push({ type: level === 0 ? "balance.depleted" : "balance.low", level });
  }
  if (before.size > 0 && after.size === 0) events.push({ type: "balance.recovered", level: Math.max(...before) });
  return { events, fired: [...after].sort((a, b) => b - a) };
}

/**
 * The balances around `balance` that cross no level: any balance in (low, high] fires and re-arms
 * exactly what `balance` does (null: unbounded on that side). A debit that stays inside needs no
 * alert evaluation, which lets the common debit be one statement.
 */
export function alertBand(thresholds: readonly number[], balance: number): { low: number | null; high: number | null } {
  const levels = [...new Set([...thresholds.filter((t) => t > 0), 0])];
  const below = levels.filter((l) => l < balance);
  const atOrAbove = levels.filter((l) => l >= balance);
  return { low: below.length > 0 ? Math.max(...below) : null, high: atOrAbove.length > 0 ? Math.min(...atOrAbove) : null };
}
