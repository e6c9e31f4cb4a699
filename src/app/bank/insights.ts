import type { Plan } from "../../contract/config.js";
import { CONSUMPTION_KINDS, type Entry } from "../../contract/ledger.js";

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

const CONSUMPTION = new Set<string>(CONSUMPTION_KINDS);

export type Forecast =
  | { kind: "empty" }
  | { kind: "no-spending"; nextTopUpAt: string | null }
  | { kind: "runs-out"; perDay: number; days: number; runsOutAt: number; nextTopUpAt: string | null; lastsUntilTopUp: boolean };

/**
 * At the last 30 days' pace of support used (charges for time, tiers and work, less their refunds;
 * never removals, expiries or voids), when the balance reaches zero, and whether that is before the
 * bank's next top-up.
 */
export function forecast(entriesNewestFirst: readonly Entry[], balance: number, now: Date, nextTopUpAt: string | null = null, windowDays = 30): Forecast {
  if (balance <= 0) return { kind: "empty" };
  const since = now.getTime() - windowDays * DAY_MS;
  const kindOf = new Map(entriesNewestFirst.map((e) => [e.id, e.kind]));
  let used = 0;
  for (const e of entriesNewestFirst) {
    if (Date.parse(e.createdAt) < since) continue;
    if (CONSUMPTION.has(e.kind)) used -= e.amount;
    else if (e.kind === "refund") {
      // A refund gives back usage only when it reverses usage (not a removal undone).
      const original = e.reversesEntryId ? kindOf.get(e.reversesEntryId) : undefined;
      if (original ? CONSUMPTION.has(original) : e.ticketId !== null) used -= e.amount;
    }
  }
  const perDay = used / windowDays;
  if (perDay <= 0) return { kind: "no-spending", nextTopUpAt };
  const days = Math.max(1, Math.round(balance / perDay));
  const runsOutAt = now.getTime() + (balance / perDay) * DAY_MS;
  return { kind: "runs-out", perDay, days, runsOutAt, nextTopUpAt, lastsUntilTopUp: nextTopUpAt !== null && runsOutAt >= Date.parse(nextTopUpAt) };
}

const PERIOD_WORDS: Record<Plan["period"], string> = { week: "week", month: "month", quarter: "quarter", year: "year" };
export const periodWord = (period: Plan["period"]) => PERIOD_WORDS[period];
