/**
 * Buying credits by card with Stripe Checkout. A session is created for one bank and one pack
 * and recorded; Stripe's webhooks fulfil it. The grant for a session is written once however
 * often and in whatever order its events arrive: its idempotency key is the session id, and the
 * purchase row is locked and updated in the grant's own transaction. A refund takes back the
 * refunded share of the pack from that grant, as far as it remains.
 */
import Stripe from "stripe";
import {
  type CheckoutSession,
  type CheckoutSessionRequest,
  type CreditPack,
  type Purchase,
  type StripeConnection,
  type StripeConnectionRequest,
  type StripeHookResult,
} from "../../contract/index.js";
import type { LedgerContext } from "../core/context.js";
import { LedgerError, NothingToReverse } from "../core/errors.js";
import { openSecret, sealSecret } from "../core/secrets.js";
import * as core from "../core/wallets.js";
import type { Sql } from "../storage/db.js";
import * as store from "../storage/payments.js";
import { customerLink } from "./customer-links.js";

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

/** A refund overtook the payment's own event: answered non-2xx so that Stripe delivers it again later. */
export class PurchaseNotGrantedYet extends LedgerError {
  readonly code = "purchase_not_granted_yet";
  constructor() {
    super("The purchase has not been granted yet; Stripe will retry this event.");
  }
}

export interface PaymentsOptions {
  /** The ledger's public address, for links and Stripe's return URLs. */
  publicUrl: string;
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
  return getStripeConnection(ctx.db, tenantId, options);
}

async function stripeFor(sql: Sql, tenantId: string): Promise<Stripe> {
  const row = await store.getStripeConnection(sql, tenantId);
  if (!row?.secretKeyCiphertext) throw new PaymentsNotConnected();
  return stripeClient(tenantId, row.secretKeyCiphertext);
}

function stripeClient(tenantId: string, secretKeyCiphertext: string): Stripe {
  // Stripe's fetch client: the same code on Node and serverless hosts; retries are Stripe's own,
  // with its idempotency keys.
  return new Stripe(openSecret(secretKeyCiphertext, binding(tenantId, "secretKey")), {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 2,
    timeout: 15_000,
  });
}

// ---------------------------------------------------------------------------------------------
// Links and checkout
// ---------------------------------------------------------------------------------------------

export function formatPrice(amount: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency: currency.toUpperCase() }).format(amount / 100);
  } catch {
    return `${(amount / 100).toFixed(2)} ${currency.toUpperCase()}`;
  }
}

async function findPack(ctx: LedgerContext, tenantId: string, packId: string): Promise<CreditPack> {
  const { config } = await core.loadConfig(ctx.db, tenantId);
  const pack = config.packs.find((p) => p.id === packId);
  if (!pack) throw new UnknownPack(`No credit pack "${packId}"; the packs are ${config.packs.map((p) => p.id).join(", ") || "not set up"}.`);
  return pack;
}

/**
 * Creates a Checkout Session for one pack and one bank. `idempotencyKey` goes to Stripe, so a
 * retried request gets the same session back instead of a second one.
 */
export async function createCheckoutSession(
  ctx: LedgerContext,
  tenantId: string,
  request: CheckoutSessionRequest,
  idempotencyKey: string,
  options: PaymentsOptions & { returnUrl?: string },
): Promise<CheckoutSession> {
  const pack = await findPack(ctx, tenantId, request.packId);
  const stripe = await stripeFor(ctx.db, tenantId);
  const now = ctx.clock();
  const back = options.returnUrl ?? customerLink(tenantId, request.owner, now, 30, options).url;
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.create(
      {
        mode: "payment",
        line_items: [{ quantity: 1, price_data: { currency: pack.currency, unit_amount: pack.price, product_data: { name: `${pack.label} of support` } } }],
        client_reference_id: request.owner,
        metadata: { tenant_id: tenantId, owner: request.owner, pack_id: pack.id, credits: String(pack.credits) },
        payment_intent_data: { metadata: { tenant_id: tenantId, owner: request.owner, pack_id: pack.id } },
        success_url: `${back}?checkout=success`,
        cancel_url: `${back}?checkout=cancelled`,
      },
      { idempotencyKey: `checkout:${tenantId}:${idempotencyKey}` },
    );
  } catch (error) {
    // Stripe's message can name the account; say what failed, not what Stripe said.
    const status = (error as { statusCode?: number })?.statusCode;
    throw new PaymentProviderError(`Stripe did not create the checkout session${status ? ` (HTTP ${status})` : ""}; check the tenant's Stripe keys.`);
  }
  if (!session.url) throw new PaymentProviderError("Stripe returned a session without a URL.");
  await store.insertPurchase(ctx.db, tenantId, {
    sessionId: session.id,
    owner: request.owner,
    packId: pack.id,
    credits: pack.credits,
    amount: pack.price,
    currency: pack.currency,
    now,
  });
  return { id: session.id, url: session.url, owner: request.owner, packId: pack.id, credits: pack.credits, amount: pack.price, currency: pack.currency };
}

export const toApiPurchase = (p: store.PurchaseRow): Purchase => ({
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
  return (await store.listPurchases(ctx.db, tenantId, owner, limit)).map(toApiPurchase);
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
  const stripe = stripeClient(tenantId, row.secretKeyCiphertext);
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

  switch (event.type) {
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded": {
      const session = event.data.object;
      if (session.metadata?.tenant_id !== tenantId) return result("ignored", "the session belongs to another tenant or was not made by the ledger");
      if (session.payment_status !== "paid" && session.payment_status !== "no_payment_required")
        return result("not_paid_yet", "waiting for checkout.session.async_payment_succeeded");
      return fulfil(ctx, tenantId, session, result);
    }
    case "charge.refunded": {
      const charge = event.data.object;
      const paymentIntent = idOf(charge.payment_intent);
      if (!paymentIntent) return result("ignored", "the charge has no payment intent");
      return refund(ctx, tenantId, paymentIntent, charge, result);
    }
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
  return outcome.replayed ? result("already_granted") : result("granted", `${purchase.credits} credits granted to ${purchase.owner}`);
}

/** The credits a refunded amount is worth: the same share of the pack, rounded down (exact integers). */
const creditsWorth = (purchase: store.PurchaseRow, refunded: number, charged: number): number =>
  Number((BigInt(purchase.credits) * BigInt(Math.min(refunded, charged))) / BigInt(charged));

/**
 * A refund takes back the refunded share of the pack. Stripe's `amount_refunded` is the charge's
 * running total, so each event takes back only what its total adds to the one already acted on,
 * and never more than remains of the pack's grant. The share is worked out with the wallet locked
 * and the purchase row locked under it, so events arriving together take each share once.
 */
async function refund(
  ctx: LedgerContext,
  tenantId: string,
  paymentIntentId: string,
  charge: Stripe.Charge,
  result: (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult,
): Promise<StripeHookResult> {
  const purchase = await store.findPurchaseByPaymentIntent(ctx.db, tenantId, paymentIntentId);
  if (!purchase) return result("ignored", "no purchase paid with this payment intent");
  if (purchase.state === "open" || !purchase.grantEntryId) throw new PurchaseNotGrantedYet();
  if (charge.amount <= 0) return result("ignored", "the charge has no amount");
  const total = Math.min(charge.amount_refunded, charge.amount);
  const full = total >= charge.amount;
  const money = (amount: number) => formatPrice(amount, charge.currency);
  const refundedWords = full
    ? `Card payment refunded in full (${money(total)})`
    : `Card payment partly refunded (${money(total)} of ${money(charge.amount)} so far)`;
  if (total <= purchase.amountRefunded) return result("already_reversed");
  let owed = 0;
  try {
    const outcome = await core.takeBackGrantCredits(
      ctx,
      tenantId,
      purchase.grantEntryId,
      async (tx, remaining) => {
        const before = (await store.lockPurchase(tx, tenantId, purchase.sessionId))!.amountRefunded;
        owed = total > before ? creditsWorth(purchase, total, charge.amount) - creditsWorth(purchase, before, charge.amount) : 0;
        const taken = Math.min(owed, remaining);
        const bought = purchase.credits.toLocaleString("en");
        return {
          credits: taken,
          reason:
            taken < owed
              ? `${refundedWords}: ${owed.toLocaleString("en")} credits due back but only ${taken.toLocaleString("en")} remained of the ${bought} bought; ${taken.toLocaleString("en")} taken back`
              : `${refundedWords}: ${taken.toLocaleString("en")} of the ${bought} credits bought taken back`,
        };
      },
      { scope: "ledger", key: `stripe:refund:${purchase.sessionId}:${total}`, requestHash: `stripe:refund:${purchase.sessionId}:${total}` },
      async (tx, written) => {
        await store.recordRefund(tx, tenantId, purchase.sessionId, { amountRefunded: total, creditsTaken: -written.entry.amount, refunded: full });
      },
    );
    if (outcome.replayed) return result("already_reversed");
    const taken = -outcome.body.entry.amount;
    const detail =
      taken < owed
        ? `${money(total)} refunded so far, worth ${owed} more credits, but only ${taken} remained of the ${purchase.credits} bought: ${taken} credits taken back.`
        : `${money(total)} refunded so far: ${taken} credits taken back.`;
    return result("reversed", detail);
  } catch (error) {
    if (!(error instanceof NothingToReverse)) throw error;
    // Nothing left to take (or already taken by an event that got here first): the money is still recorded.
    const recorded = await store.recordRefund(ctx.db, tenantId, purchase.sessionId, { amountRefunded: total, creditsTaken: 0, refunded: full });
    if (!recorded) return result("already_reversed");
    return result(
      "reversed",
      owed === 0
        ? `${money(total)} refunded so far, worth less than a credit more: nothing was taken back.`
        : `${money(total)} refunded so far, but none of the ${purchase.credits} credits bought remained: nothing was taken back.`,
    );
  }
}
