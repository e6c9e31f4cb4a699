/**
 * The customer page's "Buy credits" part: the packs in one currency, with links to the other
 * currencies the packs are sold in (plain links to the same page: it has no script), and a form per pack
 * that starts a checkout in that currency.
 */
import type { CreditPack } from "../../contract/config.js";
import { formatMoney } from "../domain/currency.js";
import { currenciesOf, packPriceIn } from "../domain/pack-prices.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (value: number) => value.toLocaleString("en");

/** The currency's name in English ("euro"), or its code where unknown. */
function currencyName(code: string): string {
  try {
    return new Intl.DisplayNames("en", { type: "currency" }).of(code.toUpperCase()) ?? code.toUpperCase();
  } catch {
    return code.toUpperCase();
  }
}

export interface BuyCreditsInput {
  packs: readonly CreditPack[];
  /** The currency chosen on the page; ignored when no pack is sold in it. */
  currency?: string | null;
  paymentsEnabled: boolean;
  checkoutAction: string;
}

export function buyCreditsSection(input: BuyCreditsInput): string {
  // A currency chosen that packs are sold in: those packs in it. None chosen: every pack at its own price.
  const offered = currenciesOf(input.packs);
  const wanted = input.currency?.toLowerCase();
  const currency = wanted && offered.includes(wanted) ? wanted : null;
  const shown = input.packs.flatMap((pack) => {
    const price = packPriceIn(pack, currency);
    return price ? [{ pack, price }] : [];
  });
  if (!input.paymentsEnabled || shown.length === 0)
    return `<p class="muted">Buying by card is not available here; reply to any of your support tickets to buy credits.</p>`;
  const chooser =
    offered.length > 1
      ? `<nav aria-label="Currency" class="muted" data-testid="currencies">Prices in: ${offered
          .map((code) =>
            code === currency
              ? `<strong aria-current="true">${escape(code.toUpperCase())}</strong>`
              : `<a href="?currency=${escape(code)}" title="${escape(currencyName(code))}">${escape(code.toUpperCase())}</a>`,
          )
          .join(" · ")}</nav>`
      : "";
  const forms = shown
    .map(
      ({ pack, price }) => `<form class="pack" method="post" action="${escape(input.checkoutAction)}">
  <input type="hidden" name="packId" value="${escape(pack.id)}"><input type="hidden" name="currency" value="${escape(price.currency)}">
  <div><strong>${escape(pack.label)}</strong></div><div class="muted">${n(pack.credits)} credits · ${escape(formatMoney(price.amount, price.currency))}</div>
  <button type="submit">Buy ${escape(pack.label)}</button></form>`,
    )
    .join("");
  return `${chooser}<div class="packs">${forms}</div>`;
}
