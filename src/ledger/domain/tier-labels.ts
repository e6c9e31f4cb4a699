/**
 * The titles of the portal field's options, which are the only place customers see a tier's price
 * (Deskpro shows them as plain text; no app renders on the portal). One format, written by the
 * ledger for admins to paste (and for creating the field through Deskpro's API later), read back
 * to learn what price a customer was shown.
 */
import type { Tier } from "../../contract/config.js";

/** Made on first use: a NumberFormat loads ICU's number data (about 10 ms), which a cold start needn't spend. */
let credits: Intl.NumberFormat | undefined;

/** "1-hour response — 250 credits", or "Standard response (free)" for a free tier. */
export function tierOptionLabel(tier: Pick<Tier, "label" | "price">): string {
  return tier.price === 0
    ? `${tier.label} (free)`
    : `${tier.label} — ${(credits ??= new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })).format(tier.price)} ${tier.price === 1 ? "credit" : "credits"}`;
}

/**
 * The price an option's title shows: the last "<number> credit(s)" in it ("1,250 credits"; a plain
 * space is not read as a thousands separator, so "Tier 2 250 credits" is 250), 0 for a title that
 * says "free" and names no credits, null when it shows no price at all.
 */
export function priceInLabel(title: string): number | null {
  const amounts = [...title.matchAll(/(\d{1,3}(?:[,.\u00a0\u202f]\d{3})+|\d+)\s*credits?\b/gi)];
  const last = amounts.at(-1);
  if (last) {
    const value = Number(last[1]!.replace(/[^\d]/g, ""));
    return Number.isSafeInteger(value) ? value : null;
  }
  return /\bfree\b/i.test(title) ? 0 : null;
}

/** Titles compared as a person reads them: case, spacing and the kind of dash don't matter. */
export const sameLabel = (a: string, b: string): boolean => normaliseLabel(a) === normaliseLabel(b);

function normaliseLabel(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/[\u2010-\u2015\u2212-]+/g, "-")
    .replace(/\s+/g, " ")
    .trim()
    .toLowerCase();
}

/**
 * What a customer is charged for a tier they picked on the form: its price, but never more than
 * the option's title showed them (a price raised since the title was written waits for the title).
 */
export function chargeablePrice(tierPrice: number, shownPrice: number | null): number {
  return shownPrice === null ? tierPrice : Math.min(tierPrice, shownPrice);
}
