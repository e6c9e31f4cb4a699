/**
 * The customer page's invoices: each one's amount, what it buys, its state and due date, and
 * Stripe's page to pay it while it awaits payment. Every value is escaped.
 */
import { INVOICE_STATE_WORDS, type Invoice } from "../../contract/invoices.js";
import { formatCustomerDate } from "../../contract/words.js";
import { formatMoney } from "../domain/currency.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Where the invoice stands, as the customer reads it: awaiting payment until a date, paid, voided… */
function stateWords(invoice: Invoice): string {
  const words = INVOICE_STATE_WORDS[invoice.state];
  if (invoice.state === "open" && invoice.dueAt) return `${words} · due ${formatCustomerDate(invoice.dueAt)}`;
  if (invoice.state === "paid" && invoice.paidAt) return `${words} ${formatCustomerDate(invoice.paidAt)}, credits added`;
  if (invoice.state === "void" || invoice.state === "uncollectible") return `${words} · no credits added`;
  return words;
}

/** Nothing when the bank has no invoices: most banks buy by card, or not at all. */
export function invoicesSection(invoices: readonly Invoice[]): string {
  if (invoices.length === 0) return "";
  const rows = invoices
    .map((invoice) => {
      const pay =
        invoice.state === "open" && invoice.hostedInvoiceUrl && /^https?:\/\//.test(invoice.hostedInvoiceUrl)
          ? ` <a href="${escape(invoice.hostedInvoiceUrl)}" rel="noopener noreferrer">View and pay${invoice.number ? ` invoice ${escape(invoice.number)}` : ""}</a>`
          : "";
      return `<tr data-testid="invoice"><td>${formatCustomerDate(invoice.createdAt)}</td><td>${invoice.credits.toLocaleString("en")} credits</td><td class="num">${escape(formatMoney(invoice.amount, invoice.currency))}</td><td>${escape(stateWords(invoice))}${pay}</td></tr>`;
    })
    .join("");
  return `<h2>Invoices</h2>
<p class="muted">Credits bought by invoice are added when the invoice is paid.</p>
<table><thead><tr><th>Date</th><th>Pack</th><th class="num">Amount</th><th>State</th></tr></thead><tbody>${rows}</tbody></table>`;
}
