/**
 * Auto-recharge: a bank buys a pack by itself, off-session with its saved card, when it falls
 * below a threshold, within a monthly cap the customer agreed to. Agents read it in the bank's
 * sidebar (`getAutoRecharge`); customers set it on their page.
 */
import { z } from "zod";
import { Currency } from "./config.js";
import { IsoDateTime, Owner, Slug, Text } from "./primitives.js";

/** The product's name for the feature, as customers and agents read it. */
export const AUTO_RECHARGE_WORDS = "Auto-recharge";

export const AutoRecharge = z
  .object({
    owner: Owner,
    /** A card saved for later charges (Stripe Checkout in setup mode), and when. */
    cardSaved: z.boolean(),
    cardSavedAt: IsoDateTime.nullable(),
    enabled: z.boolean(),
    packId: Slug.nullable(),
    /** The pack's credits and price as the charge would be made now; null when the pack is gone. */
    credits: z.int().nullable(),
    price: z.int().nullable(),
    /** Charged when the balance falls below this many credits. */
    threshold: z.int().nullable(),
    /** The most charged in a calendar month (UTC), in the currency's minor unit, and what this month holds of it. */
    monthlyCap: z.int().nullable(),
    currency: Currency.nullable(),
    usedThisMonth: z.int(),
    /** A charge waiting for Stripe's answer. */
    pending: z.boolean(),
    failuresInRow: z.int(),
    lastFailure: z.object({ words: z.string(), at: IsoDateTime }).nullable(),
    /** Why it switched itself off (three failures in a row); null when it is on or the customer stopped it. */
    switchedOffReason: z.string().nullable(),
  })
  .meta({ id: "AutoRecharge" });
export type AutoRecharge = z.infer<typeof AutoRecharge>;

/** The customer page's form: the pack, the threshold, the monthly cap in whole units of the pack's currency, who agrees. */
export const AutoRechargeForm = z.object({
  packId: Slug,
  threshold: z.coerce.number().int("must be a whole number of credits").min(0).max(1_000_000_000),
  capUnits: z.coerce.number().int("must be a whole amount").min(1).max(1_000_000),
  givenBy: Text(120, "type your name to agree"),
  agree: z.literal("yes", { error: "tick the box to agree" }),
});
export type AutoRechargeForm = z.infer<typeof AutoRechargeForm>;

/** A consent the customer gave (or withdrew) on their page, word for word; append-only. */
export const AutoRechargeConsent = z
  .object({
    id: z.string(),
    owner: Owner,
    action: z.enum(["agreed", "stopped"]),
    /** The name the customer typed when agreeing (the link's holder when stopping). */
    givenBy: z.string(),
    /** The exact sentence shown next to the box they ticked. */
    words: z.string(),
    /** The choices agreed to: pack, its credits and price, threshold, monthly cap. */
    settings: z.record(z.string(), z.unknown()),
    at: IsoDateTime,
  })
  .meta({ id: "AutoRechargeConsent" });
export type AutoRechargeConsent = z.infer<typeof AutoRechargeConsent>;

export const AutoRechargeConsentPage = z.object({ consents: z.array(AutoRechargeConsent) }).meta({ id: "AutoRechargeConsentPage" });
