/**
 * Taking back the refunded share of a pack paid by card, for both kinds of card payment: a
 * purchase through Checkout and an auto-recharge charge. Each kind says where its grant, its
 * credits and its refunded total live; the taking is the same.
 */
import type { StripeHookResult } from "../../contract/stripe.js";
import type { LedgerContext } from "../core/context.js";
import { NothingToReverse } from "../core/errors.js";
import * as core from "../core/wallets.js";
import { formatMoney } from "../domain/currency.js";
import type { Sql } from "../storage/db.js";

/** What the caller answers with: a webhook's result, or just the words when no event is being answered. */
type Result<R> = (outcome: StripeHookResult["outcome"], detail?: string) => R;

/** A paid pack whose charge can be refunded: a Checkout purchase or an auto-recharge attempt. */
export interface RefundablePack {
  /** The ledger's idempotency key for a refunded total is this and the total. */
  keyPrefix: string;
  /** The pack's grant; null until it is granted. */
  grantEntryId: string | null;
  /** The credits bought. */
  credits: number;
  /** The refunded total already acted on, as last read. */
  amountRefunded: number;
  /** How the entry names the payment ("Card payment", "Auto-recharge card payment"). */
  paymentWords: string;
  /** Locks the pack's row in this transaction and reads its refunded total. */
  lockRefunded(tx: Sql): Promise<number>;
  /** Records a higher refunded total and the credits it took back; false when the total was no higher. */
  record(sql: Sql, refund: { amountRefunded: number; creditsTaken: number; refunded: boolean }): Promise<boolean>;
}

/** The credits a refunded amount is worth: the same share of the pack, rounded down (exact integers). */
const creditsWorth = (credits: number, refunded: number, charged: number): number =>
  Number((BigInt(credits) * BigInt(Math.min(refunded, charged))) / BigInt(charged));

/**
 * A refund takes back the refunded share of the pack. Stripe's `amount_refunded` is the charge's
 * running total, so each event takes back only what its total adds to the one already acted on,
 * and never more than remains of the pack's grant. The share is worked out with the wallet locked
 * and the pack's row locked under it, so events arriving together take each share once.
 */
export async function takeBackRefundedShare<R>(
  ctx: LedgerContext,
  tenantId: string,
  pack: RefundablePack,
  charge: { amount: number; amountRefunded: number; currency: string },
  result: Result<R>,
): Promise<R> {
  const grantEntryId = pack.grantEntryId;
  if (!grantEntryId) return result("ignored", "the pack has not been granted");
  const total = Math.min(charge.amountRefunded, charge.amount);
  const full = total >= charge.amount;
  const money = (amount: number) => formatMoney(amount, charge.currency);
  const refundedWords = full
    ? `${pack.paymentWords} refunded in full (${money(total)})`
    : `${pack.paymentWords} partly refunded (${money(total)} of ${money(charge.amount)} so far)`;
  if (total <= pack.amountRefunded) return result("already_reversed");
  const key = `${pack.keyPrefix}:${total}`;
  let owed = 0;
  try {
    const outcome = await core.takeBackGrantCredits(
      ctx,
      tenantId,
      grantEntryId,
      async (tx, remaining) => {
        const before = await pack.lockRefunded(tx);
        owed = total > before ? creditsWorth(pack.credits, total, charge.amount) - creditsWorth(pack.credits, before, charge.amount) : 0;
        const taken = Math.min(owed, remaining);
        const bought = pack.credits.toLocaleString("en");
        return {
          credits: taken,
          reason:
            taken < owed
              ? `${refundedWords}: ${owed.toLocaleString("en")} credits due back but only ${taken.toLocaleString("en")} remained of the ${bought} bought; ${taken.toLocaleString("en")} taken back`
              : `${refundedWords}: ${taken.toLocaleString("en")} of the ${bought} credits bought taken back`,
        };
      },
      { scope: "ledger", key, requestHash: key },
      async (tx, written) => {
        await pack.record(tx, { amountRefunded: total, creditsTaken: -written.entry.amount, refunded: full });
      },
    );
    if (outcome.replayed) return result("already_reversed");
    const taken = -outcome.body.entry.amount;
    const detail =
      taken < owed
        ? `${money(total)} refunded so far, worth ${owed} more credits, but only ${taken} remained of the ${pack.credits} bought: ${taken} credits taken back.`
        : `${money(total)} refunded so far: ${taken} credits taken back.`;
    return result("reversed", detail);
  } catch (error) {
    if (!(error instanceof NothingToReverse)) throw error;
    // Nothing left to take (or already taken by an event that got here first): the money is still recorded.
    const recorded = await pack.record(ctx.db, { amountRefunded: total, creditsTaken: 0, refunded: full });
    if (!recorded) return result("already_reversed");
    return result(
      "reversed",
      owed === 0
        ? `${money(total)} refunded so far, worth less than a credit more: nothing was taken back.`
        : `${money(total)} refunded so far, but none of the ${pack.credits} credits bought remained: nothing was taken back.`,
    );
  }
}
