/**
 * The stand-in's pages: hosted Checkout (the pack, its price, the email and billing address tax
 * needs, Pay), a charge's receipt and an invoice's page. Plain HTML, readable at 300 px, every value
 * escaped. Marked as a local simulation throughout so nobody mistakes it for Stripe.
 */
import { formatMoney } from "../../ledger/domain/currency.js";
import type { ChargeObject, CheckoutSessionObject, InvoiceObject } from "./objects.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = `
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1f36; background: #f6f9fc; }
  main { max-width: 28rem; margin: 0 auto; padding: 1rem; }
  .banner { background: #fff4d6; border: 1px solid #e3b341; border-radius: .4rem; padding: .4rem .6rem; font-size: .85rem; margin-bottom: 1rem; }
  .card { background: #fff; border: 1px solid #d8dee4; border-radius: .5rem; padding: 1rem; margin-bottom: 1rem; }
  h1 { font-size: 1.2rem; margin: 0 0 .25rem; } .price { font-size: 1.8rem; font-weight: 700; margin: .25rem 0; }
  .muted { color: #58647a; font-size: .9rem; }
  label { display: block; font-size: .9rem; margin-top: .6rem; }
  input, select { width: 100%; font: inherit; padding: .45rem; border: 1px solid #c0c8d2; border-radius: .35rem; }
  button { width: 100%; font: inherit; font-weight: 600; padding: .65rem; border: 0; border-radius: .4rem; background: #635bff; color: #fff; cursor: pointer; margin-top: 1rem; }
  button.secondary { background: #fff; color: #1a1f36; border: 1px solid #c0c8d2; }
  button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #1a1f36; outline-offset: 2px; }
  .error { color: #b3261e; font-weight: 600; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .25rem .75rem; margin: 0; } dt { color: #58647a; } dd { margin: 0; overflow-wrap: anywhere; }
`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escape(title)}</title><style>${STYLE}</style></head>
<body><main><p class="banner" role="note">Local Stripe simulation (development host): no card is charged.</p>${body}</main></body></html>`;
}

export const notFoundPage = () =>
  page("Not found", `<div class="card"><h1>Not found</h1><p>This page does not exist in the local Stripe simulation.</p></div>`);

const COUNTRIES: [string, string][] = [
  ["US", "United States"],
  ["GB", "United Kingdom"],
  ["DE", "Germany"],
  ["FR", "France"],
  ["NL", "Netherlands"],
  ["AU", "Australia"],
  ["JP", "Japan"],
];

export function checkoutPage(session: CheckoutSessionObject, error: string | null): string {
  const item = session._lineItem;
  const total = formatMoney(session.amount_total, session.currency);
  const address = session.billing_address_collection === "required";
  const field = (name: string, label: string, type = "text", required = false, autocomplete = "") =>
    `<label for="${name}">${escape(label)}${required ? "" : " (optional)"}</label><input id="${name}" name="${name}" type="${type}"${required ? " required" : ""}${autocomplete ? ` autocomplete="${autocomplete}"` : ""}>`;
  const body =
    session.status === "open"
      ? `<form method="post" action="/c/pay/${escape(session.id)}" class="card">
  <h2 style="font-size:1rem;margin:0">Contact and billing</h2>
  ${error ? `<p class="error" role="alert">${escape(error)}</p>` : ""}
  ${field("email", "Email (your receipt goes here)", "email", true, "email")}
  ${field("name", "Name on card", "text", false, "cc-name")}
  <label for="country">Country</label><select id="country" name="country" autocomplete="country">${COUNTRIES.map(([code, name]) => `<option value="${code}">${escape(name)}</option>`).join("")}</select>
  ${address ? `${field("line1", "Address", "text", true, "address-line1")}${field("city", "City", "text", true, "address-level2")}${field("postal_code", "Postal code", "text", true, "postal-code")}` : ""}
  ${session.tax_id_collection.enabled ? field("tax_id", "VAT or tax ID, if you buy as a business") : ""}
  <p class="muted">Card: the simulation takes no card number; Pay succeeds as Stripe's test card 4242 4242 4242 4242 does.</p>
  <button type="submit">Pay ${escape(total)}</button>
</form>
<form method="post" action="/c/cancel/${escape(session.id)}"><button type="submit" class="secondary">Cancel and go back</button></form>`
      : `<div class="card"><p>This checkout is ${session.status === "complete" ? "paid" : "no longer open"}.</p></div>`;
  return page(
    `Pay ${total}`,
    `<div class="card"><h1>${escape(item.name)}</h1><p class="price" data-testid="checkout-total">${escape(total)}</p>
<p class="muted">${item.quantity} × ${escape(formatMoney(item.unitAmount, session.currency))}${session.automatic_tax.enabled ? " · tax worked out by Stripe Tax in a real account (none here)" : ""}</p></div>
${body}`,
  );
}

export function documentPage(doc: { kind: "receipt"; charge: ChargeObject } | { kind: "invoice"; charge: ChargeObject; invoice: InvoiceObject }): string {
  const { charge } = doc;
  const money = (amount: number) => formatMoney(amount, charge.currency);
  const address = charge.billing_details.address;
  const rows: [string, string][] = [
    doc.kind === "invoice" ? ["Invoice", doc.invoice.number] : ["Receipt for", charge.id],
    ["Paid", money(charge.amount)],
    ["Refunded", money(charge.amount_refunded)],
    ["Email", charge.billing_details.email],
    ["Billing address", [address.line1, address.city, address.postal_code, address.country].filter(Boolean).join(", ")],
  ];
  const left = charge.amount - charge.amount_refunded;
  const refund =
    left > 0
      ? `<form method="post" action="/receipts/${escape(charge.id)}/refund" class="card">
  <h2 style="font-size:1rem;margin:0">Refund (simulation only)</h2>
  <p class="muted">As the merchant would from Stripe's Dashboard: Stripe then sends charge.refunded to the ledger.</p>
  <label for="amount">Amount in the currency's smallest unit (empty: all of ${escape(money(left))})</label><input id="amount" name="amount" inputmode="numeric">
  <button type="submit">Refund</button></form>`
      : "";
  return page(
    doc.kind === "invoice" ? `Invoice ${doc.invoice.number}` : "Receipt",
    `<div class="card"><h1>${doc.kind === "invoice" ? "Invoice" : "Receipt"}</h1><dl>${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join("")}</dl></div>${refund}`,
  );
}

/**
 * The simulation's stand-in for Stripe's Dashboard: what an admin copies from Stripe (the secret
 * key, the webhook endpoint's signing secret) and where they give Stripe the ledger's webhook
 * address, so a fresh install can connect card payments from the settings page as with real Stripe.
 */
export function dashboardPage(d: { secretKey: string; endpointUrl: string | null; endpointSecret: string; error: string | null }): string {
  return page(
    "Stripe Dashboard (simulation)",
    `<div class="card"><h1>Developers → API keys</h1>
<p class="muted">Paste into the app's settings page, Card payments, <strong>Secret key</strong>.</p>
<dl><dt>Secret key</dt><dd><code data-testid="secret-key">${escape(d.secretKey)}</code></dd></dl></div>
<div class="card"><h1>Developers → Webhooks</h1>
<form method="post" action="/dashboard/webhook">
<label for="url">Endpoint URL (the settings page's <em>Address to give Stripe for its webhook</em>)</label>
<input id="url" name="url" type="url" required value="${escape(d.endpointUrl ?? "")}" ${d.error ? 'aria-invalid="true" aria-describedby="url-error"' : ""}>
${d.error ? `<p id="url-error" class="error">${escape(d.error)}</p>` : ""}
<button type="submit">${d.endpointUrl ? "Change endpoint" : "Add endpoint"}</button></form>
${
  d.endpointUrl
    ? `<dl style="margin-top:1rem"><dt>Signing secret</dt><dd><code data-testid="signing-secret">${escape(d.endpointSecret)}</code></dd></dl>
<p class="muted">Paste it into the settings page's <strong>Signing secret</strong>. Every event is sent to this endpoint.</p>`
    : `<p class="muted">Add the endpoint to see its signing secret.</p>`
}</div>`,
  );
}
