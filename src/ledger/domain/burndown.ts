/**
 * Burn-down: which grants a debit draws on, how credits come back, and when a grant lapses.
 * Pure functions over plain data; the storage layer loads grants and writes what these decide.
 *
 * Invariant kept by every function here: the spendable grants' remaining credits add up to
 * max(balance, 0). A negative balance (an overdraft the plan allows) is a debt that incoming
 * credits repay before anything lands on a grant.
 */

export interface GrantState {
  id: string;
  remaining: number;
  paid: boolean;
  expiresAt: Date | null;
  createdAt: Date;
  /** Creation order: breaks ties between grants created in the same millisecond. */
  seq: number;
  /** Voided or expired grants are closed: never spendable again. */
  closed: boolean;
}

export interface Draw {
  grantId: string;
  amount: number;
}

export function isSpendable(grant: GrantState, now: Date): boolean {
  return !grant.closed && grant.remaining > 0 && (grant.expiresAt === null || grant.expiresAt > now);
}

export function isLapsed(grant: GrantState, now: Date): boolean {
  return !grant.closed && grant.expiresAt !== null && grant.expiresAt <= now;
}

/** Soonest expiry first (never-expiring last), then free before paid, then oldest. */
export function burnDownOrder(a: GrantState, b: GrantState): number {
  const aExp = a.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  const bExp = b.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY;
  if (aExp !== bExp) return aExp < bExp ? -1 : 1;
  if (a.paid !== b.paid) return a.paid ? 1 : -1;
  const aAt = a.createdAt.getTime();
  const bAt = b.createdAt.getTime();
  if (aAt !== bAt) return aAt - bAt;
  return a.seq - b.seq;
}

export type DebitPlan =
  { ok: true; draws: Draw[]; overdraft: number; balanceAfter: number } | { ok: false; balance: number; required: number; available: number };

/**
 * Plans a debit of `amount`: draws spendable grants in burn-down order and takes any shortfall as
 * overdraft, refusing when the balance would go below `-overdraftLimit`.
 */
export function planDebit(grants: readonly GrantState[], balance: number, amount: number, overdraftLimit: number, now: Date): DebitPlan {
  const available = balance + overdraftLimit;
  if (amount > available) return { ok: false, balance, required: amount, available };
  const draws: Draw[] = [];
  let left = amount;
  for (const grant of [...grants].filter((g) => isSpendable(g, now)).sort(burnDownOrder)) {
    if (left === 0) break;
    const take = Math.min(left, grant.remaining);
    draws.push({ grantId: grant.id, amount: take });
    left -= take;
  }
  return { ok: true, draws, overdraft: left, balanceAfter: balance - amount };
}

/** Incoming credits first repay a negative balance; what is left lands on the grant. */
export function splitIncomingCredit(balance: number, amount: number): { repaid: number; toGrant: number } {
  const repaid = Math.min(amount, Math.max(0, -balance));
  return { repaid, toGrant: amount - repaid };
}

export interface RefundPlan {
  /** Credits returned to the grants the debit drew on (still open ones). */
  restores: Draw[];
  /** Credits that come back as a new `refund` grant: drawn from grants closed since, or from overdraft. */
  refundGrant: number;
  repaid: number;
  balanceAfter: number;
}

/**
 * Plans the refund of a debit of `total` credits that drew `draws`. Credits go back to the grants
 * they came from while those are open; the rest (lapsed or voided grants, overdraft) becomes a new
 * grant. A negative balance is repaid first, from the new-grant part before the restores.
 */
export function planRefund(total: number, draws: readonly Draw[], grantsById: ReadonlyMap<string, GrantState>, balance: number, now: Date): RefundPlan {
  const restores: Draw[] = [];
  let orphan = total;
  for (const draw of draws) {
    const grant = grantsById.get(draw.grantId);
    if (grant && !grant.closed && (grant.expiresAt === null || grant.expiresAt > now)) {
      restores.push({ ...draw });
      orphan -= draw.amount;
    }
  }
  let debt = Math.max(0, -balance);
  const fromOrphan = Math.min(debt, orphan);
  orphan -= fromOrphan;
  debt -= fromOrphan;
  let repaid = fromOrphan;
  for (const restore of restores) {
    if (debt === 0) break;
    const take = Math.min(debt, restore.amount);
    restore.amount -= take;
    debt -= take;
    repaid += take;
  }
  return {
    restores: restores.filter((r) => r.amount > 0),
    refundGrant: orphan,
    repaid,
    balanceAfter: balance + total,
  };
}

/** Grants whose expiry has passed and that still hold credits: each gets an expiry entry. */
export function lapsedGrants(grants: readonly GrantState[], now: Date): GrantState[] {
  return grants.filter((g) => isLapsed(g, now)).sort(burnDownOrder);
}
