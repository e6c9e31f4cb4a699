/**
 * The customer page's "Past purchases": each card purchase with what it cost, its receipt and
 * invoice (Stripe's pages, once Stripe has reported them), and what a refund gave back and took
 * back. Every value is escaped; only web addresses the ledger checked become links.
 */
import type { Purchase } from "../../contract/stripe.js";
import { formatCustomerDate } from "../../contract/words.js";
import { formatPrice } from "../features/payments.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (value: number) => value.toLocaleString("en");

/** What came back of a purchase: nothing, all of it, or part (with what was refunded and taken back). */
function refundWords(p: Purchase): string {
  if (p.amountRefunded <= 0) return "";
  const money = escape(formatPrice(p.amountRefunded, p.currency));
  const taken = `${n(p.creditsReversed)} credit${p.creditsReversed === 1 ? "" : "s"} taken back`;
  return p.state === "refunded" ? `Refunded in full (${money}); ${taken}` : `${money} refunded; ${taken}`;
}

function documentLinks(p: Purchase): string {
  const links = [
    p.receiptUrl ? `<a href="${escape(p.receiptUrl)}" rel="noopener noreferrer" target="_blank">Receipt</a>` : "",
    p.invoiceUrl ? `<a href="${escape(p.invoiceUrl)}" rel="noopener noreferrer" target="_blank">Invoice</a>` : "",
  ].filter(Boolean);
  return links.length > 0 ? links.join(" · ") : `<span class="muted">Receipt on its way</span>`;
}

export function pastPurchasesSection(purchases: Purchase[]): string {
  if (purchases.length === 0) return `<h2>Past purchases</h2>\n<p class="muted">None yet.</p>`;
  const rows = purchases
    .map((p) => {
      const refund = refundWords(p);
      return `<tr data-testid="purchase"><td>${formatCustomerDate(p.paidAt ?? p.createdAt)}</td><td>${n(p.credits)} credits${refund ? `<br><span class="muted">${refund}</span>` : ""}<br>${documentLinks(p)}</td><td class="num">${escape(formatPrice(p.amount, p.currency))}</td></tr>`;
    })
    .join("");
  return `<h2>Past purchases</h2>
<table><thead><tr><th>Date</th><th>Pack</th><th class="num">Paid</th></tr></thead><tbody>${rows}</tbody></table>`;
}
