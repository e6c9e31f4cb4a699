import { z } from "zod";
import { Currency } from "./config.js";
import { IsoDateTime, Owner, Slug } from "./primitives.js";

/**
 * Buying credits by card: Stripe Checkout for the tenant's credit packs, fulfilled from Stripe's
 * webhooks, and a customer balance page reached through a signed, expiring link.
 */

/** A secret or restricted key: `sk_test_…`, `sk_live_…`, `rk_…`. */
export const StripeSecretKey = z
  .string()
  .trim()
  .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{10,250}$/, "use a Stripe secret key (sk_live_… or sk_test_…) or a restricted key (rk_…)");
export const StripeWebhookSecret = z
  .string()
  .trim()
  .regex(/^whsec_[A-Za-z0-9+/=]{10,250}$/, "use the endpoint's signing secret (whsec_…)");

export const StripeConnectionRequest = z
  .strictObject({
    /** Left out: keep the stored key. */
    secretKey: StripeSecretKey.optional(),
    /** Left out: keep the stored secret. */
    webhookSecret: StripeWebhookSecret.optional(),
    /** Stripe works out sales tax and VAT at Checkout (Stripe Tax must be set up in the account). Left out: kept. */
    automaticTax: z.boolean().optional(),
  })
  .meta({ id: "StripeConnectionRequest" });
export type StripeConnectionRequest = z.infer<typeof StripeConnectionRequest>;

/** The last signed event Stripe delivered to the tenant's webhook. */
export const StripeLastEvent = z
  .object({
    id: z.string(),
    type: z.string(),
    receivedAt: IsoDateTime,
    /** A StripeHookResult outcome, or `failed` when the ledger could not handle it (Stripe sends it again). */
    outcome: z.string(),
    detail: z.string().nullable(),
  })
  .meta({ id: "StripeLastEvent" });
export type StripeLastEvent = z.infer<typeof StripeLastEvent>;

/** What the API says about the Stripe connection: never the secrets. */
export const StripeConnection = z
  .object({
    secretKeySet: z.boolean(),
    mode: z.enum(["test", "live"]).nullable(),
    /** The key's last four characters, so an admin can tell keys apart. */
    secretKeyLast4: z.string().nullable(),
    webhookSecretSet: z.boolean(),
    /** Where to point the Stripe webhook endpoint. */
    webhookUrl: z.string(),
    updatedAt: IsoDateTime.nullable(),
    /** Checkout asks Stripe to work out tax (`automatic_tax`). */
    automaticTax: z.boolean(),
    /** The last signed event the webhook received, and what the ledger did with it; null before the first. */
    lastEvent: StripeLastEvent.nullable(),
  })
  .meta({ id: "StripeConnection" });
export type StripeConnection = z.infer<typeof StripeConnection>;

export const CheckoutSessionRequest = z
  .strictObject({
    owner: Owner,
    packId: Slug,
    /** The currency to pay in: the pack's own when left out, else one of its `prices`. */
    currency: Currency.optional(),
  })
  .meta({ id: "CheckoutSessionRequest" });
export type CheckoutSessionRequest = z.infer<typeof CheckoutSessionRequest>;

export const CheckoutSession = z
  .object({
    id: z.string(),
    url: z.url(),
    owner: Owner,
    packId: Slug,
    credits: z.int(),
    amount: z.int(),
    currency: z.string(),
  })
  .meta({ id: "CheckoutSession" });
export type CheckoutSession = z.infer<typeof CheckoutSession>;

export const CustomerLinkRequest = z
  .strictObject({
    /** How long the link works; a month by default. */
    days: z.int().min(1).max(90).default(30),
  })
  .meta({ id: "CustomerLinkRequest" });
export const CustomerLink = z.object({ owner: Owner, url: z.url(), expiresAt: IsoDateTime }).meta({ id: "CustomerLink" });
export type CustomerLink = z.infer<typeof CustomerLink>;

export const PurchaseState = z.enum(["open", "paid", "refunded"]).meta({ id: "PurchaseState" });
export const Purchase = z
  .object({
    sessionId: z.string(),
    owner: Owner,
    packId: Slug,
    credits: z.int(),
    /** In the currency's minor unit. */
    amount: z.int(),
    currency: z.string(),
    state: PurchaseState,
    grantEntryId: z.string().nullable(),
    /** Money refunded so far, in the currency's minor unit (a partial refund leaves the purchase `paid`). */
    amountRefunded: z.int(),
    /** Credits taken back by refunds so far: each refund's share of the pack, or what remained of it if less. */
    creditsReversed: z.int(),
    createdAt: IsoDateTime,
    paidAt: IsoDateTime.nullable(),
    /** The card payment's receipt (Stripe's `receipt_url`), once Stripe has reported it. */
    receiptUrl: z.url().nullable(),
    /** The invoice Checkout made for the purchase (its `hosted_invoice_url`), once Stripe has reported it. */
    invoiceUrl: z.url().nullable(),
  })
  .meta({ id: "Purchase" });
export type Purchase = z.infer<typeof Purchase>;
export const PurchasePage = z.object({ purchases: z.array(Purchase) }).meta({ id: "PurchasePage" });

/** What the webhook endpoint did with an event. */
export const StripeHookResult = z
  .object({
    received: z.literal(true),
    eventId: z.string(),
    type: z.string(),
    /**
     * `refund_recorded`: a refund that came before its payment's event, taken back when the pack is granted.
     * `not_granted`: an invoice voided or marked uncollectible; nothing is granted for it.
     * `document_recorded`: a receipt or invoice address kept for the purchase list.
     */
    outcome: z.enum([
      "granted",
      "already_granted",
      "reversed",
      "already_reversed",
      "not_paid_yet",
      "refund_recorded",
      "document_recorded",
      "ignored",
      "not_granted",
      "card_saved",
      "recharge_failed",
    ]),
    detail: z.string().optional(),
  })
  .meta({ id: "StripeHookResult" });
export type StripeHookResult = z.infer<typeof StripeHookResult>;
