import type { LedgerConfig, Plan, Tier, TimeRate } from "../../contract/config.js";

/**
 * Minutes the customer is billed for when a ticket has `totalMinutes` logged: at least the minimum,
 * rounded up to whole increments. Rounding is applied to the ticket's total, never per entry, so
 * 45 + 45 + 5 minutes in 60-minute blocks bills 2 blocks, not 3.
 */
export function billableMinutes(totalMinutes: number, rate: TimeRate): number {
  if (totalMinutes <= 0) return 0;
  const atLeastMinimum = Math.max(totalMinutes, rate.minimumMinutes);
  return Math.ceil(atLeastMinimum / rate.incrementMinutes) * rate.incrementMinutes;
}

/** Credits owed for a ticket's whole logged time. Integer arithmetic; a part credit rounds up. */
export function creditsForMinutes(totalMinutes: number, rate: TimeRate): number {
  const billed = billableMinutes(totalMinutes, rate);
  return Math.ceil((billed * rate.credits) / rate.perMinutes);
}

export interface TicketTime {
  /** Minutes already logged on the ticket and not refunded. */
  minutes: number;
  /** Credits already charged for those minutes and not refunded. */
  charged: number;
}

export interface TimeCharge {
  amount: number;
  billedMinutesBefore: number;
  billedMinutesAfter: number;
}

/**
 * What logging `minutes` more on a ticket costs: the price of the new total less what the ticket
 * has already paid for its time. Never negative: a refund elsewhere on the ticket is not charged back.
 */
export function priceTimeEntry(ticket: TicketTime, minutes: number, rate: TimeRate): TimeCharge {
  const after = ticket.minutes + minutes;
  return {
    amount: Math.max(0, creditsForMinutes(after, rate) - ticket.charged),
    billedMinutesBefore: billableMinutes(ticket.minutes, rate),
    billedMinutesAfter: billableMinutes(after, rate),
  };
}

export function findTier(config: LedgerConfig, key: string): Tier | undefined {
  return config.tiers.find((tier) => tier.key === key);
}

/** A plan's empty tier list means every tier is on offer. */
export function tierOffered(plan: Plan | null, tierKey: string): boolean {
  return plan === null || plan.tiers.length === 0 || plan.tiers.includes(tierKey);
}

export function findPlan(config: LedgerConfig, key: string | null): Plan | null {
  if (key === null) return null;
  return config.plans.find((plan) => plan.key === key) ?? null;
}
