import type { Entry, Plan } from "../../contract/index.js";

const DAY_MS = 86_400_000;

export interface BalancePoint {
  at: number;
  balance: number;
}

/**
 * The balance over the last `days` days, as steps, from statement entries (newest first). Each
 * entry carries the balance right after it, so the line needs no arithmetic beyond the start.
 */
export function balanceSeries(entriesNewestFirst: readonly Entry[], currentBalance: number, now: Date, days = 90): BalancePoint[] {
  const start = now.getTime() - days * DAY_MS;
  const inWindow = entriesNewestFirst.filter((e) => Date.parse(e.createdAt) >= start);
  const before = entriesNewestFirst.find((e) => Date.parse(e.createdAt) < start);
  const oldest = inWindow[inWindow.length - 1];
  const opening = before ? before.balanceAfter : oldest ? oldest.balanceAfter - oldest.amount : currentBalance;
  const points: BalancePoint[] = [{ at: start, balance: opening }];
  for (const entry of [...inWindow].reverse()) points.push({ at: Date.parse(entry.createdAt), balance: entry.balanceAfter });
  points.push({ at: now.getTime(), balance: currentBalance });
  return points;
}

const SPENDING = new Set(["manual", "time", "priority"]);

export type Forecast = { kind: "empty" } | { kind: "no-spending" } | { kind: "runs-out"; perDay: number; days: number };

/** At the last 30 days' pace (spending less refunds), when the balance reaches zero. */
export function forecast(entriesNewestFirst: readonly Entry[], balance: number, now: Date, windowDays = 30): Forecast {
  if (balance <= 0) return { kind: "empty" };
  const since = now.getTime() - windowDays * DAY_MS;
  let spent = 0;
  for (const e of entriesNewestFirst) {
    if (Date.parse(e.createdAt) < since) continue;
    if (SPENDING.has(e.kind)) spent -= e.amount;
    else if (e.kind === "refund") spent -= e.amount;
  }
  const perDay = spent / windowDays;
  if (perDay <= 0) return { kind: "no-spending" };
  return { kind: "runs-out", perDay, days: Math.max(1, Math.round(balance / perDay)) };
}

const PERIOD_WORDS: Record<Plan["period"], string> = { week: "week", month: "month", quarter: "quarter", year: "year" };
export const periodWord = (period: Plan["period"]) => PERIOD_WORDS[period];
