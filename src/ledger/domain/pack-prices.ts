/**
 * A credit pack's prices: its own (`price` in `currency`) and one per further currency. Which
 * currency a customer's page shows, and what a pack costs there.
 */
import type { CreditPack } from "../../contract/config.js";

export interface PackPriceIn {
  currency: string;
  /** In the currency's minor unit. */
  amount: number;
}

/** Every price of the pack, its own first. */
export const packPrices = (pack: CreditPack): PackPriceIn[] => [
  { currency: pack.currency, amount: pack.price },
  ...pack.prices.map((p) => ({ currency: p.currency, amount: p.price })),
];

/** What the pack costs in `currency` (its own price when none is asked for), or null when it isn't sold in that currency. */
export function packPriceIn(pack: CreditPack, currency?: string | null): PackPriceIn | null {
  if (!currency) return { currency: pack.currency, amount: pack.price };
  return packPrices(pack).find((p) => p.currency === currency.toLowerCase()) ?? null;
}

/** The currencies the packs are sold in, the packs' own currencies first (in order of first appearance). */
export function currenciesOf(packs: readonly CreditPack[]): string[] {
  return [...new Set([...packs.map((p) => p.currency), ...packs.flatMap((p) => p.prices.map((x) => x.currency))])];
}
