/**
 * Buying credits by card with Stripe Checkout. A session is created for one bank and one pack
 * and recorded; Stripe's webhooks fulfil it. The grant for a session is written once however
 * often and in whatever order its events arrive: its idempotency key is the session id, and the
 * purchase row is locked and updated in the grant's own transaction. A refund takes back the
 * refunded share of the pack from that grant, as far as it remains.
 */
import { createHash } from "node:crypto";
import type Stripe from "stripe";
import type { CreditPack } from "../../contract/config.js";
import type { CheckoutSession, CheckoutSessionRequest, Purchase, StripeConnection, StripeConnectionRequest, StripeHookResult } from "../../contract/stripe.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../core/context.js";
import { IdempotencyKeyReused, LedgerError } from "../core/errors.js";
import { replayOf } from "../core/posting.js";
import { openSecret, sealSecret } from "../core/secrets.js";
import * as core from "../core/wallets.js";
import { formatMoney } from "../domain/currency.js";
import { isStripeError, newStripeClient, type StripeApiAddress } from "../integrations/stripe/client.js";
import { packPriceIn, packPrices } from "../domain/pack-prices.js";
import type { Sql } from "../storage/db.js";
import * as idempotencyKeys from "../storage/idempotency.js";
import * as store from "../storage/payments.js";
import { customerLink } from "./customer-links.js";
import { handleInvoiceEvent } from "./invoice-events.js";
import * as receipts from "./stripe-receipts.js";
import * as recharge from "./recharge.js";
import { takeBackRefundedShare, type RefundablePack } from "./refunds.js";

export type { StripeApiAddress };

const binding = (tenantId: string, name: string) => `${tenantId}:stripe.${name}`;

export class PaymentsNotConnected extends LedgerError {
  readonly code = "payments_not_connected";
  constructor() {
    super("Set the tenant's Stripe keys first (PUT /v1/integrations/stripe).");
  }
}

export class UnknownPack extends LedgerError {
  readonly code = "unknown_pack";
}

/** Stripe refused or failed; the message says what failed, never what Stripe said (it can name the account). */
export class PaymentProviderError extends LedgerError {
  readonly code = "payment_provider_error";
}

export class InvalidSignature extends LedgerError {
  readonly code = "invalid_signature";
  constructor() {
    super("The Stripe-Signature header does not match this endpoint's signing secret.");
  }
}

export interface PaymentsOptions {
  /** The ledger's public address, for links and Stripe's return URLs. */
  publicUrl: string;
  /** Another Stripe API address (LEDGER_STRIPE_API_URL): a local simulation or a test double. */
  stripeApi?: StripeApiAddress;
}

// ---------------------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------------------

export async function getStripeConnection(sql: Sql, tenantId: string, options: PaymentsOptions): Promise<StripeConnection> {
  const row = await store.getStripeConnection(sql, tenantId);
  return {
    secretKeySet: row?.secretKeyCiphertext != null,
    mode: row?.mode ?? null,
    secretKeyLast4: row?.secretKeyLast4 ?? null,
    webhookSecretSet: row?.webhookSecretCiphertext != null,
    webhookUrl: `${options.publicUrl}/hooks/stripe/${tenantId}`,
    updatedAt: row?.updatedAt.toISOString() ?? null,
    automaticTax: await receipts.automaticTaxOf(sql, tenantId),
    lastEvent: await receipts.lastEvent(sql, tenantId),
  };
}

export async function putStripeConnection(
  ctx: LedgerContext,
  tenantId: string,
  request: StripeConnectionRequest,
  options: PaymentsOptions,
): Promise<StripeConnection> {
  await store.putStripeConnection(ctx.db, tenantId, {
    secretKeyCiphertext: request.secretKey ? sealSecret(request.secretKey, binding(tenantId, "secretKey")) : null,
    secretKeyLast4: request.secretKey ? request.secretKey.slice(-4) : null,
    mode: request.secretKey ? (request.secretKey.includes("_live_") ? "live" : "test") : null,
    webhookSecretCiphertext: request.webhookSecret ? sealSecret(request.webhookSecret, binding(tenantId, "webhookSecret")) : null,
    now: ctx.clock(),
  });
  if (request.automaticTax !== undefined) await receipts.setAutomaticTax(ctx.db, tenantId, request.automaticTax);
  return getStripeConnection(ctx.db, tenantId, options);
}

export async function stripeFor(sql: Sql, tenantId: string, api: StripeApiAddress | undefined): Promise<Stripe> {
  const row = await store.getStripeConnection(sql, tenantId);
  if (!row?.secretKeyCiphertext) throw new PaymentsNotConnected();
  return stripeClient(tenantId, row.secretKeyCiphertext, api);
}

const stripeClient = (tenantId: string, secretKeyCiphertext: string, api?: StripeApiAddress): Promise<Stripe> =>
  newStripeClient(openSecret(secretKeyCiphertext, binding(tenantId, "secretKey")), api);

/**
 * The idempotency key Stripe gets for a checkout: a digest of the tenant and the ledger's key, so
 * it is the same on every retry, can't meet another tenant's on a shared Stripe account, and is 73
 * characters whatever the ledger's key (Stripe takes keys up to 255).
 */
export const stripeCheckoutKey = (tenantId: string, key: Pick<Idempotency, "scope" | "key">): string =>
  `checkout_${createHash("sha256").update(`${tenantId}\n${key.scope}\n${key.key}`).digest("hex")}`;

// ---------------------------------------------------------------------------------------------
// Links and checkout
// ---------------------------------------------------------------------------------------------

/** An amount in the currency's minor unit, as people read it (see domain/currency.ts). */
export const formatPrice = formatMoney;

async function findPack(ctx: LedgerContext, tenantId: string, packId: string): Promise<CreditPack> {
  const { config } = await core.loadConfig(ctx.db, tenantId);
  const pack = config.packs.find((p) => p.id === packId);
  if (!pack) throw new UnknownPack(`No credit pack "${packId}"; the packs are ${config.packs.map((p) => p.id).join(", ") || "not set up"}.`);
  return pack;
}

/**
 * Creates a Checkout Session for one pack and one bank, once per idempotency key. The first
 * attempt's moment is recorded before Stripe is called: every retry signs its return links at that
 * moment and sends Stripe the same key, so Stripe answers with the same session (Stripe compares a
 * retry's parameters with the first request's and refuses any difference). The answer is recorded
 * against the key like any other write's, so a retry replays it and the key used for another
 * request (another pack, another bank, another route) is refused with `idempotency_key_reused`.
 */
export async function createCheckoutSession(
  ctx: LedgerContext,
  tenantId: string,
  request: CheckoutSessionRequest,
  idempotency: Idempotency,
  options: PaymentsOptions & { returnUrl?: string },
): Promise<WriteOutcome<CheckoutSession>> {
  const answered = await idempotencyKeys.keyAnswer(ctx.db, tenantId, idempotency);
  if (answered) return replayOf<CheckoutSession>(answered, idempotency);
  const pack = await findPack(ctx, tenantId, request.packId);
  const price = packPriceIn(pack, request.currency);
  if (!price)
    throw new UnknownPack(
      `Pack "${pack.id}" has no price in ${request.currency!.toUpperCase()}; it is sold in ${packPrices(pack)
        .map((p) => p.currency.toUpperCase())
        .join(", ")}.`,
    );
  const stripe = await stripeFor(ctx.db, tenantId, options.stripeApi);
  const started = await store.startCheckoutRequest(ctx.db, tenantId, idempotency, idempotency.requestHash, ctx.clock());
  if (started.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReused();
  const automaticTax = await receipts.automaticTaxOf(ctx.db, tenantId);
  const back = options.returnUrl ?? customerLink(tenantId, request.owner, started.startedAt, 30, options).url;
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        line_items: [{ quantity: 1, price_data: { currency: price.currency, unit_amount: price.amount, product_data: { name: `${pack.label} of support` } } }],
        client_reference_id: request.owner,
        metadata: { tenant_id: tenantId, owner: request.owner, pack_id: pack.id, credits: String(pack.credits) },
        payment_intent_data: { metadata: { tenant_id: tenantId, owner: request.owner, pack_id: pack.id } },
        ...receipts.checkoutTaxParams(automaticTax, { tenant_id: tenantId, owner: request.owner, pack_id: pack.id }),
        success_url: `${back}?checkout=success`,
        cancel_url: `${back}?checkout=cancelled`,
      },
      { idempotencyKey: stripeCheckoutKey(tenantId, idempotency) },
    );
  } catch (error) {
    // Stripe's message can name the account; say what failed, not what Stripe said.
    if (isStripeError(error, "StripeIdempotencyError"))
      throw new PaymentProviderError(
        "Stripe refused this Idempotency-Key's retry because what it would buy changed since the first attempt (the pack was edited); use a new key.",
      );
    const status = (error as { statusCode?: number })?.statusCode;
    throw new PaymentProviderError(`Stripe did not create the checkout session${status ? ` (HTTP ${status})` : ""}; check the tenant's Stripe keys.`);
  }
  if (!session.url) throw new PaymentProviderError("Stripe returned a session without a URL.");
  const body: CheckoutSession = {
    id: session.id,
    url: session.url,
    owner: request.owner,
    packId: pack.id,
    credits: pack.credits,
    amount: price.amount,
    currency: price.currency,
  };
  const text = JSON.stringify(body);
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    await store.insertPurchase(tx, tenantId, {
      sessionId: session.id,
      owner: request.owner,
      packId: pack.id,
      credits: pack.credits,
      amount: price.amount,
      currency: price.currency,
      now,
    });
    // Two attempts at once both get the session from Stripe; the second to get here replays the first's answer.
    const claim = await idempotencyKeys.claimIdempotencyKey(tx, tenantId, idempotency, idempotency.requestHash, now);
    if (claim.state !== "claimed") return replayOf<CheckoutSession>(claim, idempotency);
    await idempotencyKeys.completeIdempotencyKey(tx, tenantId, idempotency, 201, text);
    return { status: 201, body, text, replayed: false };
  });
}

export const toApiPurchase = (p: store.PurchaseRow): Omit<Purchase, "receiptUrl" | "invoiceUrl"> => ({
  sessionId: p.sessionId,
  owner: p.owner,
  packId: p.packId,
  credits: p.credits,
  amount: p.amount,
  currency: p.currency,
  state: p.state,
  grantEntryId: p.grantEntryId,
  amountRefunded: p.amountRefunded,
  creditsReversed: p.creditsReversed,
  createdAt: p.createdAt.toISOString(),
  paidAt: p.paidAt?.toISOString() ?? null,
});

export async function listPurchases(ctx: LedgerContext, tenantId: string, owner: string, limit = 20): Promise<Purchase[]> {
  return receipts.withDocuments(ctx.db, tenantId, (await store.listPurchases(ctx.db, tenantId, owner, limit)).map(toApiPurchase));
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : (value?.id ?? null));

/** Checks the signature on the raw body and does what the event asks, once. */
export async function handleStripeEvent(ctx: LedgerContext, tenantId: string, rawBody: string, signature: string | undefined): Promise<StripeHookResult> {
  const badSignature = () => new InvalidSignature();
  const row = await store.getStripeConnection(ctx.db, tenantId);
  if (!row?.secretKeyCiphertext || !row.webhookSecretCiphertext || !signature) throw badSignature();
  const stripe = await stripeClient(tenantId, row.secretKeyCiphertext);
  const webhookSecret = openSecret(row.webhookSecretCiphertext, binding(tenantId, "webhookSecret"));
  let event: Stripe.Event;
  try {
    event = await stripe.webhooks.constructEventAsync(rawBody, signature, webhookSecret);
  } catch {
    throw badSignature();
  }
  const result = (outcome: StripeHookResult["outcome"], detail?: string): StripeHookResult => ({
    received: true,
    eventId: event.id,
    type: event.type,
    outcome,
    ...(detail ? { detail } : {}),
  });

  // The last signed event and its outcome, for the settings page (whether card payments work).
  const receivedAt = ctx.clock();
  try {
    const handled = await actOn(ctx, tenantId, event, result);
    await receipts.recordLastEvent(ctx.db, tenantId, event, handled.outcome, handled.detail ?? null, receivedAt);
    return handled;
  } catch (error) {
    await receipts
      .recordLastEvent(ctx.db, tenantId, event, "failed", "the ledger could not handle it; Stripe sends it again", receivedAt)
      .catch(() => undefined);
    throw error;
  }
}

async function actOn(
  ctx: LedgerContext,
  tenantId: string,
  event: Stripe.Event,
  result: (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult,
): Promise<StripeHookResult> {
  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      if (session.metadata?.tenant_id !== tenantId) return result("ignored", "the session belongs to another tenant or was not made by the ledger");
      await receipts.noteSessionInvoice(ctx, tenantId, session);
      if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required")
        return result("not_paid_yet", "waiting for checkout.session.async_payment_succeeded");
      return fulfil(ctx, tenantId, session, result);
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const paymentIntent = idOf(charge.payment_intent);
      if (!paymentIntent) return result("ignored", "the charge has no payment intent");
      if (charge.metadata?.recharge_attempt) return recharge.handleRechargeRefund(ctx, tenantId, paymentIntent, charge, result);
      await receipts.noteChargeReceipt(ctx, tenantId, charge);
      return refundCharge(ctx, tenantId, paymentIntent, charge, result);
    }
    case "charge.succeeded":
      return receipts.chargeSucceeded(ctx, tenantId, event.data.object, result);
    case "invoice.paid":
    case "invoice.voided":
    case "invoice.marked_uncollectible":
    case "invoice.finalized": {
      // An invoice the ledger issued for a pack (buying by invoice) names its ledger id; any other
      // of the tenant's invoices is the receipt invoice Checkout made for a card purchase.
      const invoice = event.data.object;
      if (invoice.metadata?.ledger_invoice_id) return handleInvoiceEvent(ctx, tenantId, event.type, invoice, result);
      if (event.type === "invoice.paid" || event.type === "invoice.finalized") return receipts.invoiceReported(ctx, tenantId, invoice, result);
      return result("ignored", "not an invoice the ledger issued");
    }
    case "setup_intent.succeeded":
      return recharge.handleCardSaved(ctx, tenantId, event.data.object, result);
    case "payment_intent.succeeded":
    case "payment_intent.payment_failed":
      return recharge.handleRechargeEvent(ctx, tenantId, event, result);
    default:
      return result("ignored");
  }
}

async function fulfil(
  ctx: LedgerContext,
  tenantId: string,
  session: Stripe.Checkout.Session,
  result: (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult,
): Promise<StripeHookResult> {
  const purchase = await store.lockPurchase(ctx.db, tenantId, session.id);
  if (!purchase) return result("ignored", "no checkout session with this id was created by the ledger");
  const reason = `Bought ${purchase.credits.toLocaleString("en")} credits (${purchase.packId}) for ${formatPrice(purchase.amount, purchase.currency)} by card`;
  const outcome = await core.grantCredits(
    ctx,
    tenantId,
    purchase.owner,
    { amount: purchase.credits, reason, source: "purchase", paid: true },
    // Both events of one session carry the same key and body: the second is a replay.
    { scope: "ledger", key: `stripe:checkout:${session.id}`, requestHash: `stripe:checkout:${session.id}` },
    async (tx, written, now) => {
      const locked = await store.lockPurchase(tx, tenantId, session.id);
      if (locked?.state === "open")
        await store.markPurchasePaid(tx, tenantId, session.id, { paymentIntentId: idOf(session.payment_intent), grantEntryId: written.entry.id, now });
    },
  );
  const granted = outcome.replayed ? result("already_granted") : result("granted", `${purchase.credits} credits granted to ${purchase.owner}`);
  // A refund that came before this event (or while it was being handled) is taken back now. The
  // purchase was marked paid before this look, and a refund notes itself before looking for the
  // purchase, so one of the two always sees the other; taking a refund's share twice is impossible.
  const paymentIntentId = idOf(session.payment_intent);
  const early = paymentIntentId ? await store.findEarlyRefund(ctx.db, tenantId, paymentIntentId) : null;
  if (!early) return granted;
  const paid = await store.findPurchaseByPaymentIntent(ctx.db, tenantId, early.paymentIntentId);
  if (!paid?.grantEntryId || early.amountRefunded <= paid.amountRefunded) return granted;
  const taken = await refund(ctx, tenantId, paid, { amount: early.chargeAmount, amountRefunded: early.amountRefunded, currency: early.currency }, result);
  return {
    ...granted,
    detail: [granted.detail, `a refund reported before this payment's event: ${taken.detail ?? "nothing more to take back"}`].filter(Boolean).join("; "),
  };
}

/**
 * `charge.refunded` for a charge of a purchase. Stripe doesn't deliver events in order, and retries
 * only those it got no 2xx for, so the refund can arrive while the payment's own event is still
 * being retried: the purchase isn't known by this payment intent yet (the intent is learnt from
 * the session when it is paid). The charge's metadata, copied from the payment intent the ledger
 * described at checkout, says it is one of this tenant's purchases; its refund is then kept and
 * taken back when the payment's event grants the pack. Charges the ledger didn't make are ignored.
 */
async function refundCharge(
  ctx: LedgerContext,
  tenantId: string,
  paymentIntentId: string,
  charge: Stripe.Charge,
  result: (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult,
): Promise<StripeHookResult> {
  if (charge.amount <= 0) return result("ignored", "the charge has no amount");
  const refunded = { amount: charge.amount, amountRefunded: charge.amount_refunded, currency: charge.currency };
  const purchase = await store.findPurchaseByPaymentIntent(ctx.db, tenantId, paymentIntentId);
  if (purchase?.grantEntryId) return refund(ctx, tenantId, purchase, refunded, result);
  if (charge.metadata?.tenant_id !== tenantId) return result("ignored", "no purchase paid with this payment intent");
  await store.recordEarlyRefund(ctx.db, tenantId, {
    paymentIntentId,
    chargeAmount: charge.amount,
    amountRefunded: Math.min(charge.amount_refunded, charge.amount),
    currency: charge.currency,
    now: ctx.clock(),
  });
  // The payment's event may have granted the pack since the look above, and missed this refund.
  const granted = await store.findPurchaseByPaymentIntent(ctx.db, tenantId, paymentIntentId);
  if (granted?.grantEntryId) return refund(ctx, tenantId, granted, refunded, result);
  return result(
    "refund_recorded",
    `${formatPrice(Math.min(charge.amount_refunded, charge.amount), charge.currency)} refunded before the payment's own event arrived; its share of the pack is taken back when the pack is granted.`,
  );
}

/** A Checkout purchase as a refundable pack: its row in `stripe_purchases`, keyed by its session. */
const purchasePack = (tenantId: string, purchase: store.PurchaseRow): RefundablePack => ({
  keyPrefix: `stripe:refund:${purchase.sessionId}`,
  grantEntryId: purchase.grantEntryId,
  credits: purchase.credits,
  amountRefunded: purchase.amountRefunded,
  paymentWords: "Card payment",
  lockRefunded: async (tx) => (await store.lockPurchase(tx, tenantId, purchase.sessionId))!.amountRefunded,
  record: (sql, refund) => store.recordRefund(sql, tenantId, purchase.sessionId, refund),
});

const refund = (
  ctx: LedgerContext,
  tenantId: string,
  purchase: store.PurchaseRow,
  charge: { amount: number; amountRefunded: number; currency: string },
  result: (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult,
): Promise<StripeHookResult> => takeBackRefundedShare(ctx, tenantId, purchasePack(tenantId, purchase), charge, result);
