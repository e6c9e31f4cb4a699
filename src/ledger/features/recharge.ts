/**
 * Auto-recharge: when a bank falls below the threshold its customer chose, the ledger charges the
 * card they saved (Stripe Checkout in setup mode) for the pack they chose, off-session, within the
 * monthly cap they agreed to, and grants the pack when Stripe says the payment succeeded.
 *
 * Exactly one charge per crossing: the after-post hook runs with the wallet locked and starts an
 * attempt only when none is pending (a unique index backs this), and the attempt's id makes both
 * Stripe's idempotency key and the ledger's grant key, so retries of the outbox job and replays of
 * Stripe's webhook reach the same PaymentIntent and the same grant. A decline or a card that
 * needs its holder (`authentication_required`) ends the attempt, tells the customer and the agents,
 * waits a day before trying again, and three failures in a row switch auto-recharge off.
 */
import { createHash, randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { z } from "zod";
import type { CreditPack } from "../../contract/config.js";
import { Owner } from "../../contract/primitives.js";
import type { AutoRecharge, AutoRechargeForm } from "../../contract/recharge.js";
import type { StripeHookResult } from "../../contract/stripe.js";
import { formatCustomerDate } from "../../contract/words.js";
import type { AfterPostHook, LedgerContext } from "../core/context.js";
import { enqueueJob, handle, MAX_ATTEMPTS, outboxKind, type DeliveryContext, type OutboxHandler } from "../core/outbox.js";
import * as core from "../core/wallets.js";
import { formatMoney, minorUnitDigits } from "../domain/currency.js";
import type { DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { deskproForDelivery, DeskproNotConnected } from "../integrations/deskpro/connection.js";
import { isOpenStatus } from "../integrations/deskpro/statuses.js";
import { deliverDeskproMessage, messageMarker, startTicketOnce } from "../integrations/deskpro/writes.js";
import { isStripeError, newStripeClient, type StripeApiAddress } from "../integrations/stripe/client.js";
import * as store from "../storage/recharge.js";
import { buyLinkFor } from "./customer-links.js";
import { openSecret } from "../core/secrets.js";
import { LedgerError } from "../core/errors.js";
import * as payments from "../storage/payments.js";
import { takeBackRefundedShare, type RefundablePack } from "./refunds.js";

/** Failures in a row that switch auto-recharge off. */
export const FAILURES_TO_SWITCH_OFF = 3;
/** After a failed charge the next waits this long: a card is not hammered while its holder is told. */
export const WAIT_AFTER_FAILURE_MS = 24 * 60 * 60 * 1000;

/** Stripe refused or failed; the message says what failed, never what Stripe said (it can name the account). */
export class RechargeProviderError extends LedgerError {
  readonly code = "payment_provider_error";
}

/**
 * The tenant's Stripe client, as payments.ts makes it (the same sealed key and binding), or null
 * when card payments are off. Not payments.ts's own: that module calls this one from its webhook switch.
 */
async function stripeOf(ctx: LedgerContext, tenantId: string, api: StripeApiAddress | undefined): Promise<Stripe | null> {
  const row = await payments.getStripeConnection(ctx.db, tenantId);
  if (!row?.secretKeyCiphertext) return null;
  return newStripeClient(openSecret(row.secretKeyCiphertext, `${tenantId}:stripe.secretKey`), api);
}

const monthOf = (at: Date) => at.toISOString().slice(0, 7);

/** Stripe's idempotency key for an attempt's charge: the same on every retry, and never another tenant's. */
export const rechargeStripeKey = (tenantId: string, attemptId: string): string =>
  `recharge_${createHash("sha256").update(`${tenantId}\n${attemptId}`).digest("hex")}`;

/** The ledger's own key for an attempt's grant: one grant however often Stripe says it succeeded. */
const grantKey = (attemptId: string) => ({ scope: "ledger" as const, key: `stripe:recharge:${attemptId}`, requestHash: `stripe:recharge:${attemptId}` });

/** Charges one attempt with the saved card. */
export const rechargeChargeJob = outboxKind("recharge.charge", z.object({ attemptId: z.string(), owner: Owner }), "stripe");
/** Tells the customer (a message) and the agents (a note) that a charge failed. */
export const rechargeNoticeJob = outboxKind(
  "recharge.notice",
  z.object({ owner: Owner, attemptId: z.string(), words: z.string(), authentication: z.boolean(), switchedOff: z.boolean() }),
  "helpdesk",
);

// ---------------------------------------------------------------------------------------------
// The crossing
// ---------------------------------------------------------------------------------------------

/** After every posting that moved a balance: below the threshold, start one charge (if none is under way and the cap allows). */
export const checkAutoRecharge: AfterPostHook = async (tx, posted) => {
  const { tenantId, wallet, now } = posted;
  const settings = await store.getSettings(tx, tenantId, wallet.owner);
  if (!settings?.enabled || settings.threshold === null || settings.monthlyCap === null || posted.balance >= settings.threshold) return;
  if (settings.failuresInRow > 0 && settings.lastFailureAt && now.getTime() - settings.lastFailureAt.getTime() < WAIT_AFTER_FAILURE_MS) return;
  const pack = posted.config.packs.find((p) => p.id === settings.packId);
  // The pack was removed, or now costs another currency than the cap agreed to: nothing is charged.
  if (!pack || pack.currency !== settings.capCurrency) return;
  if (await store.pendingAttempt(tx, tenantId, wallet.owner)) return;
  const month = monthOf(now);
  if ((await store.usedThisMonth(tx, tenantId, wallet.owner, month, pack.currency)) + pack.price > settings.monthlyCap) return;
  const id = `rca_${randomUUID().replaceAll("-", "")}`;
  const started = await store.startAttempt(tx, tenantId, {
    id,
    owner: wallet.owner,
    packId: pack.id,
    credits: pack.credits,
    amount: pack.price,
    currency: pack.currency,
    month,
    createdAt: now,
  });
  if (started) await enqueueJob(tx, rechargeChargeJob, { tenantId, dedupeKey: `recharge:${id}`, payload: { attemptId: id, owner: wallet.owner }, now });
};

// ---------------------------------------------------------------------------------------------
// The charge
// ---------------------------------------------------------------------------------------------

/** What a Stripe error code means to the customer and the agents (https://docs.stripe.com/declines/codes). */
function failureWords(code: string, declineCode: string | null): string {
  if (code === "authentication_required") return "the card's bank wants the cardholder to confirm the payment, which can't be done while they are away";
  if (code === "expired_card") return "the card has expired";
  const reason = declineCode ?? (code === "card_declined" ? null : code);
  return `the card was declined${reason ? ` (${reason.replaceAll("_", " ")})` : ""}`;
}

async function chargeAttempt(payload: { attemptId: string; owner: string }, context: DeliveryContext, stripeApi: StripeApiAddress | undefined): Promise<void> {
  const { ledger: ctx, tenantId } = context;
  const attempt = await store.getAttempt(ctx.db, tenantId, payload.attemptId);
  if (!attempt || attempt.state !== "pending") return;
  const settings = await store.getSettings(ctx.db, tenantId, attempt.owner);
  if (!settings?.enabled || !settings.paymentMethodId || !settings.stripeCustomerId) {
    // Stopped (or the card removed) between the crossing and the charge: nothing is charged.
    await store.endAttempt(ctx.db, tenantId, attempt.id, { state: "cancelled", failureCode: "switched_off", paymentIntentId: null, now: context.now });
    return;
  }
  const stripe = await stripeOf(ctx, tenantId, stripeApi);
  if (!stripe) {
    await store.endAttempt(ctx.db, tenantId, attempt.id, {
      state: "cancelled",
      failureCode: "payments_not_connected",
      paymentIntentId: null,
      now: context.now,
    });
    return;
  }
  let intent: Stripe.PaymentIntent;
  try {
    intent = await stripe.paymentIntents.create(
      {
        amount: attempt.amount,
        currency: attempt.currency,
        customer: settings.stripeCustomerId,
        payment_method: settings.paymentMethodId,
        off_session: true,
        confirm: true,
        description: `Auto-recharge: ${attempt.credits.toLocaleString("en")} credits of support`,
        metadata: { tenant_id: tenantId, owner: attempt.owner, recharge_attempt: attempt.id, pack_id: attempt.packId },
      },
      { idempotencyKey: rechargeStripeKey(tenantId, attempt.id) },
    );
  } catch (error) {
    if (isStripeError(error, "StripeCardError")) {
      const code = error.code ?? "card_declined";
      await failAttempt(ctx, tenantId, attempt, code, failureWords(code, error.decline_code ?? null), error.payment_intent?.id ?? null, context.now);
      return;
    }
    if (isStripeError(error, "StripeInvalidRequestError") || isStripeError(error, "StripeIdempotencyError")) {
      // The saved card is gone or unusable: a failure like a decline, without Stripe's words (they can name the account).
      await failAttempt(ctx, tenantId, attempt, "invalid_request", "Stripe refused the charge with the saved card; save the card again", null, context.now);
      return;
    }
    // Stripe unreachable or busy: the outbox retries, with the same idempotency key (Stripe keeps keys
    // for at least a day; the outbox's retries end within hours). At the last retry the attempt is
    // given up, so that the bank isn't left with a pending attempt forever; should Stripe have
    // charged after all, its payment_intent.succeeded still grants the pack.
    if (context.row.attempts >= MAX_ATTEMPTS)
      await store.endAttempt(ctx.db, tenantId, attempt.id, { state: "cancelled", failureCode: "stripe_unavailable", paymentIntentId: null, now: context.now });
    const status = (error as { statusCode?: number })?.statusCode;
    throw new RechargeProviderError(`Stripe did not answer the auto-recharge charge${status ? ` (HTTP ${status})` : ""}`);
  }
  if (intent.status === "succeeded") await grantRecharge(ctx, tenantId, attempt.id, intent.id);
  else if (intent.status === "processing") await store.notePaymentIntent(ctx.db, tenantId, attempt.id, intent.id);
  else if (intent.status === "requires_action")
    await failAttempt(ctx, tenantId, attempt, "authentication_required", failureWords("authentication_required", null), intent.id, context.now);
  else await failAttempt(ctx, tenantId, attempt, "card_declined", failureWords("card_declined", null), intent.id, context.now);
}

/** Ends the attempt as failed (once), counts the failure, switches off at three, and tells people. */
async function failAttempt(
  ctx: LedgerContext,
  tenantId: string,
  attempt: store.AttemptRow,
  code: string,
  words: string,
  paymentIntentId: string | null,
  now: Date,
): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    if (!(await store.endAttempt(tx, tenantId, attempt.id, { state: "failed", failureCode: code, paymentIntentId, now }))) return false;
    const failures = await store.countFailure(tx, tenantId, attempt.owner, {
      words,
      now,
      switchOffAt: FAILURES_TO_SWITCH_OFF,
      reason: `switched off after ${FAILURES_TO_SWITCH_OFF} failed charges in a row`,
    });
    await enqueueJob(tx, rechargeNoticeJob, {
      tenantId,
      dedupeKey: `recharge:notice:${attempt.id}`,
      payload: {
        owner: attempt.owner,
        attemptId: attempt.id,
        words,
        authentication: code === "authentication_required",
        switchedOff: failures >= FAILURES_TO_SWITCH_OFF,
      },
      now,
    });
    return true;
  });
}

/** Grants the attempt's pack, once (the grant's key is the attempt's), and resets the failures. */
async function grantRecharge(
  ctx: LedgerContext,
  tenantId: string,
  attemptId: string,
  paymentIntentId: string,
): Promise<{ outcome: "granted" | "already_granted" | "unknown"; earlyRefund: string | null }> {
  const attempt = await store.getAttempt(ctx.db, tenantId, attemptId);
  if (!attempt) return { outcome: "unknown", earlyRefund: null };
  const outcome = await core.grantCredits(
    ctx,
    tenantId,
    attempt.owner,
    {
      amount: attempt.credits,
      reason: `Auto-recharge: bought ${attempt.credits.toLocaleString("en")} credits (${attempt.packId}) for ${formatMoney(attempt.amount, attempt.currency)} by card`,
      source: "purchase",
      paid: true,
    },
    grantKey(attemptId),
    async (tx, written, now) => {
      await store.markSucceeded(tx, tenantId, attemptId, { paymentIntentId, grantEntryId: written.entry.id, now });
      await store.resetFailures(tx, tenantId, attempt.owner);
    },
  );
  // A refund that came before the grant (kept by handleRechargeRefund) is taken back now. The attempt
  // was marked granted before this look, and a refund notes itself before looking at the attempt, so
  // one of the two always sees the other; the share is taken once whichever does.
  const earlyRefund = await takeBackEarlyRefund(ctx, tenantId, attemptId, paymentIntentId);
  return { outcome: outcome.replayed ? "already_granted" : "granted", earlyRefund };
}

// ---------------------------------------------------------------------------------------------
// Stripe's events
// ---------------------------------------------------------------------------------------------

type Result = (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult;

/** `payment_intent.succeeded` and `payment_intent.payment_failed` of an auto-recharge charge. */
export async function handleRechargeEvent(
  ctx: LedgerContext,
  tenantId: string,
  event: Stripe.PaymentIntentSucceededEvent | Stripe.PaymentIntentPaymentFailedEvent,
  result: Result,
): Promise<StripeHookResult> {
  const intent = event.data.object;
  const attemptId = intent.metadata?.recharge_attempt;
  if (intent.metadata?.tenant_id !== tenantId || !attemptId) return result("ignored", "not an auto-recharge charge of this tenant");
  const attempt = await store.getAttempt(ctx.db, tenantId, attemptId);
  if (!attempt || attempt.owner !== intent.metadata.owner) return result("ignored", "no auto-recharge attempt with this id was made by the ledger");
  if (intent.amount !== attempt.amount || intent.currency !== attempt.currency) return result("ignored", "the payment's amount is not the attempt's");
  if (event.type === "payment_intent.succeeded") {
    const granted = await grantRecharge(ctx, tenantId, attemptId, intent.id);
    const refunded = granted.earlyRefund ? `a refund reported before this payment's event: ${granted.earlyRefund}` : undefined;
    return granted.outcome === "granted"
      ? result("granted", [`${attempt.credits} credits granted to ${attempt.owner} by auto-recharge`, refunded].filter(Boolean).join("; "))
      : result("already_granted", refunded);
  }
  const error = intent.last_payment_error;
  const code = error?.code ?? "card_declined";
  const failed = await failAttempt(ctx, tenantId, attempt, code, failureWords(code, error?.decline_code ?? null), intent.id, ctx.clock());
  return result(failed ? "recharge_failed" : "ignored", failed ? `auto-recharge charge failed: ${code}` : "the attempt had ended already");
}

/** An attempt as a refundable pack: its row in `recharge_attempts`, keyed by the attempt. */
const attemptPack = (tenantId: string, attempt: store.AttemptRow): RefundablePack => ({
  keyPrefix: `stripe:recharge-refund:${attempt.id}`,
  grantEntryId: attempt.grantEntryId,
  credits: attempt.credits,
  amountRefunded: attempt.amountRefunded,
  paymentWords: "Auto-recharge card payment",
  lockRefunded: async (tx) => (await store.getAttempt(tx, tenantId, attempt.id, true))!.amountRefunded,
  record: (sql, refund) => store.recordAttemptRefund(sql, tenantId, attempt.id, refund),
});

/**
 * `charge.refunded` of an auto-recharge charge (the PaymentIntent's metadata is copied onto its
 * charge): its refunded share of the pack is taken back, as for a purchase through Checkout. A
 * refund that comes before the attempt's grant (Stripe's answer or its payment_intent.succeeded
 * still on the way) is kept, keyed by the payment intent, and taken back when the pack is granted.
 */
export async function handleRechargeRefund(
  ctx: LedgerContext,
  tenantId: string,
  paymentIntentId: string,
  charge: Stripe.Charge,
  result: Result,
): Promise<StripeHookResult> {
  const attemptId = charge.metadata?.recharge_attempt;
  if (charge.metadata?.tenant_id !== tenantId || !attemptId) return result("ignored", "not an auto-recharge charge of this tenant");
  const attempt = await store.getAttempt(ctx.db, tenantId, attemptId);
  if (!attempt || attempt.owner !== charge.metadata.owner) return result("ignored", "no auto-recharge attempt with this id was made by the ledger");
  if (charge.amount !== attempt.amount || charge.currency !== attempt.currency) return result("ignored", "the charge's amount is not the attempt's");
  if (attempt.paymentIntentId !== null && attempt.paymentIntentId !== paymentIntentId)
    return result("ignored", "the charge's payment intent is not the attempt's");
  const refunded = { amount: charge.amount, amountRefunded: charge.amount_refunded, currency: charge.currency };
  if (attempt.grantEntryId) return takeBackRefundedShare(ctx, tenantId, attemptPack(tenantId, attempt), refunded, result);
  // Noted before looking again; the grant marks the attempt before it looks for refunds: one of the two sees the other.
  await payments.recordEarlyRefund(ctx.db, tenantId, {
    paymentIntentId,
    chargeAmount: charge.amount,
    amountRefunded: Math.min(charge.amount_refunded, charge.amount),
    currency: charge.currency,
    now: ctx.clock(),
  });
  const granted = await store.getAttempt(ctx.db, tenantId, attemptId);
  if (granted?.grantEntryId && granted.paymentIntentId === paymentIntentId)
    return takeBackRefundedShare(ctx, tenantId, attemptPack(tenantId, granted), refunded, result);
  return result(
    "refund_recorded",
    `${formatMoney(Math.min(charge.amount_refunded, charge.amount), charge.currency)} of an auto-recharge charge refunded before its payment was confirmed; its share of the pack is taken back when the pack is granted.`,
  );
}

/** After an attempt's grant: a refund kept because it came first is taken back now; says what it took (null when none). */
async function takeBackEarlyRefund(ctx: LedgerContext, tenantId: string, attemptId: string, paymentIntentId: string): Promise<string | null> {
  const early = await payments.findEarlyRefund(ctx.db, tenantId, paymentIntentId);
  if (!early) return null;
  const attempt = await store.getAttempt(ctx.db, tenantId, attemptId);
  if (!attempt?.grantEntryId || attempt.paymentIntentId !== paymentIntentId || early.amountRefunded <= attempt.amountRefunded) return null;
  return takeBackRefundedShare(
    ctx,
    tenantId,
    attemptPack(tenantId, attempt),
    { amount: early.chargeAmount, amountRefunded: early.amountRefunded, currency: early.currency },
    (_outcome, detail) => detail ?? "nothing more to take back",
  );
}

/**
 * `setup_intent.succeeded` of a setup-mode Checkout Session the ledger started: the card the
 * customer saved for auto-recharge (the intent names its customer and payment method).
 */
export async function handleCardSaved(ctx: LedgerContext, tenantId: string, intent: Stripe.SetupIntent, result: Result): Promise<StripeHookResult> {
  const owner = Owner.safeParse(intent.metadata?.owner);
  if (intent.metadata?.tenant_id !== tenantId || intent.metadata?.purpose !== "auto_recharge" || !owner.success)
    return result("ignored", "the setup intent belongs to another tenant or was not made by the ledger");
  const paymentMethodId = typeof intent.payment_method === "string" ? intent.payment_method : (intent.payment_method?.id ?? null);
  const customerId = typeof intent.customer === "string" ? intent.customer : (intent.customer?.id ?? null);
  const settings = await store.getSettings(ctx.db, tenantId, owner.data);
  if (!customerId || customerId !== settings?.stripeCustomerId) return result("ignored", "the setup intent's customer is not the bank's");
  if (!paymentMethodId) return result("ignored", "the setup intent has no payment method");
  await store.saveCard(ctx.db, tenantId, owner.data, { customerId, paymentMethodId, now: ctx.clock() });
  return result("card_saved", `a card was saved for ${owner.data}'s auto-recharge`);
}

// ---------------------------------------------------------------------------------------------
// The customer's choices
// ---------------------------------------------------------------------------------------------

/**
 * Starts Checkout in setup mode for the bank's Stripe customer (made once, with an idempotency key
 * of the tenant and the bank). The session's setup intent is read back when it completes.
 */
export async function startCardSetup(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  back: string,
  stripeApi: StripeApiAddress | undefined,
): Promise<string> {
  const stripe = await stripeOf(ctx, tenantId, stripeApi);
  if (!stripe) throw new RechargeNotReady("Card payments are not set up.");
  const digest = createHash("sha256").update(`${tenantId}\n${owner}`).digest("hex");
  let customerId = (await store.getSettings(ctx.db, tenantId, owner))?.stripeCustomerId ?? null;
  try {
    if (!customerId) {
      const customer = await stripe.customers.create({ metadata: { tenant_id: tenantId, owner } }, { idempotencyKey: `recharge_customer_${digest}` });
      customerId = await store.setCustomer(ctx.db, tenantId, owner, customer.id, ctx.clock());
    }
    const session = await stripe.checkout.sessions.create({
      mode: "setup",
      customer: customerId,
      allowed_payment_method_types: ["card"],
      metadata: { tenant_id: tenantId, owner, purpose: "auto_recharge" },
      setup_intent_data: { metadata: { tenant_id: tenantId, owner, purpose: "auto_recharge" } },
      success_url: `${back}?card=saved`,
      cancel_url: `${back}?card=cancelled`,
    });
    if (!session.url) throw new Error("no url");
    return session.url;
  } catch (error) {
    const status = (error as { statusCode?: number })?.statusCode;
    throw new RechargeProviderError(`Stripe did not start saving a card${status ? ` (HTTP ${status})` : ""}; check the tenant's Stripe keys.`);
  }
}

/** The sentence the customer agrees to, with their choices in it: recorded word for word. */
export function consentWords(helpdesk: string | null, pack: CreditPack, threshold: number, cap: number): string {
  const who = helpdesk ?? "the support team";
  return (
    `I agree that ${who} may charge my saved card ${formatMoney(pack.price, pack.currency)} for ${pack.credits.toLocaleString("en")} credits, without asking me each time, ` +
    `whenever my support credits fall below ${threshold.toLocaleString("en")}, and no more than ${formatMoney(cap, pack.currency)} in any calendar month, ` +
    `until I stop auto-recharge on this page.`
  );
}

/** The whole units a customer types for the cap, in the currency's minor unit (¥500 is 500; $500 is 50000). */
export const capInMinorUnits = (units: number, currency: string): number => units * 10 ** minorUnitDigits(currency);

/** The customer's choices can't be taken as they are (no saved card, a pack gone, a cap below the price). */
export class RechargeNotReady extends LedgerError {
  readonly code = "invalid_request";
}

/** Turns auto-recharge on (or changes it) with the customer's consent, recorded word for word. */
export async function agreeToAutoRecharge(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  form: AutoRechargeForm,
  helpdesk: string | null,
): Promise<{ words: string }> {
  const { config } = await core.loadConfig(ctx.db, tenantId);
  const pack = config.packs.find((p) => p.id === form.packId);
  if (!pack) throw new RechargeNotReady("That pack is not available; pick one of the packs on the page.");
  const cap = capInMinorUnits(form.capUnits, pack.currency);
  if (cap < pack.price) throw new RechargeNotReady(`The monthly limit must be at least the pack's price (${formatMoney(pack.price, pack.currency)}).`);
  const words = consentWords(helpdesk, pack, form.threshold, cap);
  const now = ctx.clock();
  await ctx.db.transaction(async (tx) => {
    const settings = await store.getSettings(tx, tenantId, owner, true);
    if (!settings?.paymentMethodId) throw new RechargeNotReady("Save a card first.");
    await store.putChoices(
      tx,
      tenantId,
      owner,
      { enabled: true, packId: pack.id, threshold: form.threshold, monthlyCap: cap, capCurrency: pack.currency },
      now,
    );
    await store.recordConsent(tx, tenantId, {
      id: `rcc_${randomUUID().replaceAll("-", "")}`,
      owner,
      action: "agreed",
      givenBy: form.givenBy,
      words,
      settings: { packId: pack.id, credits: pack.credits, price: pack.price, currency: pack.currency, threshold: form.threshold, monthlyCap: cap },
      at: now,
    });
  });
  return { words };
}

/** The customer stops auto-recharge; recorded like the consent. */
export async function stopAutoRecharge(ctx: LedgerContext, tenantId: string, owner: string, givenBy: string): Promise<void> {
  const now = ctx.clock();
  await ctx.db.transaction(async (tx) => {
    const settings = await store.getSettings(tx, tenantId, owner, true);
    if (!settings) return;
    await store.putChoices(tx, tenantId, owner, { enabled: false, reason: null }, now);
    await store.recordConsent(tx, tenantId, {
      id: `rcc_${randomUUID().replaceAll("-", "")}`,
      owner,
      action: "stopped",
      givenBy,
      words: "Stop auto-recharge",
      settings: { enabled: false },
      at: now,
    });
  });
}

/** Auto-recharge as agents and the customer page read it. */
export async function getAutoRecharge(ctx: LedgerContext, tenantId: string, owner: string): Promise<AutoRecharge> {
  const [settings, { config }, pending] = await Promise.all([
    store.getSettings(ctx.db, tenantId, owner),
    core.loadConfig(ctx.db, tenantId),
    store.pendingAttempt(ctx.db, tenantId, owner),
  ]);
  const pack = config.packs.find((p) => p.id === settings?.packId) ?? null;
  const currency = settings?.capCurrency ?? null;
  return {
    owner,
    cardSaved: settings?.paymentMethodId != null,
    cardSavedAt: settings?.cardSavedAt?.toISOString() ?? null,
    enabled: settings?.enabled ?? false,
    packId: settings?.packId ?? null,
    credits: pack?.credits ?? null,
    price: pack?.price ?? null,
    threshold: settings?.threshold ?? null,
    monthlyCap: settings?.monthlyCap ?? null,
    currency,
    usedThisMonth: currency ? await store.usedThisMonth(ctx.db, tenantId, owner, monthOf(ctx.clock()), currency) : 0,
    pending: pending !== null,
    failuresInRow: settings?.failuresInRow ?? 0,
    lastFailure: settings?.lastFailure && settings.lastFailureAt ? { words: settings.lastFailure, at: settings.lastFailureAt.toISOString() } : null,
    switchedOffReason: settings?.switchedOffReason ?? null,
  };
}

export const listConsents = store.listConsents;

// ---------------------------------------------------------------------------------------------
// Telling people
// ---------------------------------------------------------------------------------------------

async function deliverNotice(
  payload: { owner: string; attemptId: string; words: string; authentication: boolean; switchedOff: boolean },
  context: DeliveryContext,
  deskproClients: DeskproClientFactory,
): Promise<void> {
  let client;
  try {
    client = await deskproForDelivery(context, deskproClients);
  } catch (error) {
    if (error instanceof DeskproNotConnected) return; // no helpdesk to tell: the sidebar still shows it
    throw error;
  }
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const link = buyLinkFor(context.tenantId, payload.owner, context.now, null);
  const what = payload.authentication
    ? "Please open your credits page and save your card again, confirming it with your bank."
    : "Please open your credits page and save another card, or buy credits there.";
  const after = payload.switchedOff ? " After three failed payments in a row auto-recharge has been switched off; you can turn it on again there." : "";
  const customerHtml = `<p>We tried to top up your support credits automatically on ${formatCustomerDate(context.now)}, but ${escape(payload.words)}.</p><p>${what}${after}</p>${
    link ? `<p><a href="${escape(link)}">Your support credits</a></p>` : ""
  }`;
  const noteHtml = `<p>Auto-recharge failed: ${escape(payload.words)}.${payload.switchedOff ? " It has switched itself off after three failures in a row." : ""} The customer was asked to update their card.</p>`;
  const [type, id] = payload.owner.split(":") as ["org" | "person", string];
  const tickets = await client.listTicketsOf({ type, id });
  const open = tickets.find((t) => isOpenStatus(t.status));
  const marker = (who: string) => messageMarker(`${context.tenantId}|${context.row.dedupeKey}|${who}`);
  let ticketId: string;
  if (open) ticketId = String(open.id);
  else {
    const personId = type === "person" ? Number(id) : (tickets[0]?.person ?? null);
    if (personId === null) return;
    ticketId = String(
      await startTicketOnce(client, { personId, subject: "Auto-recharge of your support credits failed", html: customerHtml, marker: marker("customer") }),
    );
  }
  await deliverDeskproMessage({ ticketId, html: noteHtml, note: true, marker: marker("note") }, client);
  await deliverDeskproMessage({ ticketId, html: customerHtml, note: false, marker: marker("customer") }, client);
}

/** The outbox kinds of auto-recharge: the charge (Stripe) and the notice of a failure (the helpdesk). */
export const rechargeHandlers = (deps: { deskproClients: DeskproClientFactory; stripeApi?: StripeApiAddress }): OutboxHandler[] => [
  handle(rechargeChargeJob, (payload, context) => chargeAttempt(payload, context, deps.stripeApi)),
  handle(rechargeNoticeJob, (payload, context) => deliverNotice(payload, context, deps.deskproClients)),
];
