import type { AlertLevel, LowBalanceState, Plan } from "../../contract/index.js";

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
