import { z } from "zod";
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
  })
  .meta({ id: "StripeConnectionRequest" });
export type StripeConnectionRequest = z.infer<typeof StripeConnectionRequest>;

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
  })
  .meta({ id: "StripeConnection" });
export type StripeConnection = z.infer<typeof StripeConnection>;

export const CheckoutSessionRequest = z.strictObject({ owner: Owner, packId: Slug }).meta({ id: "CheckoutSessionRequest" });
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
    /** `refund_recorded`: a refund that came before its payment's event, taken back when the pack is granted. */
    outcome: z.enum([
      "granted",
      "already_granted",
      "reversed",
      "already_reversed",
      "not_paid_yet",
      "refund_recorded",
      "ignored",
      "card_saved",
      "recharge_failed",
    ]),
    detail: z.string().optional(),
  })
  .meta({ id: "StripeHookResult" });
export type StripeHookResult = z.infer<typeof StripeHookResult>;
