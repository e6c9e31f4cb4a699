/**
 * The customer's balance page: plain server-rendered HTML with inline CSS, no script, readable on
 * a phone and by a screen reader. Every value from the ledger is escaped.
 */
import type { CreditPack } from "../../contract/config.js";
import type { Invoice } from "../../contract/invoices.js";
import type { Entry, Wallet } from "../../contract/ledger.js";
import type { Purchase } from "../../contract/stripe.js";
import { ENTRY_KIND_WORDS, formatCustomerDate, grantWords } from "../../contract/words.js";
import type { BankNames } from "../features/bank-names.js";
import { buyCreditsSection } from "./customer-page-packs.js";
import { invoicesSection } from "./customer-page-invoices.js";
import { pastPurchasesSection } from "./customer-purchases.js";
import { autoRechargeSection, type AutoRechargeSectionData } from "./customer-page-recharge.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (value: number) => value.toLocaleString("en");
const day = formatCustomerDate;

const STYLE = `
  :root { color-scheme: light dark; --fg: #1c2b36; --muted: #5b6b78; --line: #d5dbe0; --ok: #2e7d32; --low: #b26a00; --empty: #b3261e; --bg: #fff; --accent: #1f6feb; --on-accent: #fff; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e8edf2; --muted: #a9b5c0; --line: #3a4650; --bg: #12181d; --accent: #58a6ff; --on-accent: #12181d; } }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
  main { max-width: 40rem; margin: 0 auto; padding: 1.25rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; } h2 { font-size: 1.1rem; margin: 1.75rem 0 .5rem; }
  .muted { color: var(--muted); } .balance { font-size: 2.5rem; font-weight: 700; margin: .5rem 0 0; }
  meter { width: 100%; height: 1rem; }
  table { width: 100%; border-collapse: collapse; } th, td { text-align: left; padding: .4rem .25rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  td.num, th.num { text-align: right; white-space: nowrap; }
  .packs { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); }
  .pack { border: 1px solid var(--line); border-radius: .5rem; padding: .75rem; }
  .pack button { width: 100%; font: inherit; font-weight: 600; padding: .6rem; border: 0; border-radius: .4rem; background: var(--accent); color: var(--on-accent); cursor: pointer; margin-top: .5rem; }
  .pack button:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
  .notice { border-left: 4px solid var(--accent); padding: .5rem .75rem; margin: 1rem 0; }
  .notice.low { border-color: var(--low); } .notice.empty { border-color: var(--empty); }
`;

export function page(title: string, body: string, extraStyle = ""): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><meta name="referrer" content="no-referrer"><title>${escape(title)}</title><style>${STYLE}${extraStyle}</style></head>
<body><main>${body}</main></body></html>`;
}

export function errorPage(title: string, message: string): string {
  return page(title, `<h1>${escape(title)}</h1><p>${escape(message)}</p>`);
}

export interface CustomerPageData {
  /** The bank's and the helpdesk's names, from Deskpro (or wording that needs none). */
  names: BankNames;
  wallet: Wallet;
  entries: Entry[];
  purchases: Purchase[];
  /** Invoices issued to the bank (buying by invoice); left out: none shown. */
  invoices?: Invoice[];
  packs: CreditPack[];
  /** The currency the packs are shown in (chosen on the page); the packs' first when left out. */
  currency?: string | null;
  paymentsEnabled: boolean;
  /** The form posts here to start a checkout. */
  checkoutAction: string;
  checkout: "success" | "cancelled" | null;
  expiresAt: string;
  /** The auto-recharge section (customer-page-recharge.ts); left out when card payments are off. */
  autoRecharge?: AutoRechargeSectionData | null;
}

export function customerPage(data: CustomerPageData): string {
  const { wallet } = data;
  const state = wallet.lowBalance.state;
  const capacity = Math.max(wallet.plan?.creditsPerPeriod ?? 0, ...wallet.grants.map((g) => g.amount), wallet.balance, 1);
  // What expiry really takes: credits that roll over into the next period are not lost.
  const expiry = (g: Wallet["grants"][number]) =>
    !g.expiresAt || !g.atExpiry
      ? "no expiry"
      : g.atExpiry.rollsOver === 0
        ? `expires ${day(g.expiresAt)}`
        : g.atExpiry.lost === 0
          ? `rolls over on ${day(g.expiresAt)}`
          : `${n(g.atExpiry.lost)} expire ${day(g.expiresAt)}, ${n(g.atExpiry.rollsOver)} roll over`;
  const grants = wallet.grants
    .map((g) => `<tr><td>${escape(grantWords(g))}</td><td class="num">${n(g.remaining)} of ${n(g.amount)}</td><td>${escape(expiry(g))}</td></tr>`)
    .join("");
  const usage = data.entries
    .map(
      (e) =>
        `<tr><td>${day(e.createdAt)}</td><td>${escape(ENTRY_KIND_WORDS[e.kind])}${e.ticketId ? ` · ticket #${escape(e.ticketId)}` : ""}</td><td class="num">${e.amount > 0 ? "+" : "−"}${n(Math.abs(e.amount))}</td></tr>`,
    )
    .join("");
  const notice =
    data.checkout === "success"
      ? `<p class="notice" role="status">Thank you — your payment went through. The credits appear here as soon as the payment is confirmed.</p>`
      : data.checkout === "cancelled"
        ? `<p class="notice" role="status">The payment was cancelled; nothing was charged.</p>`
        : state === "depleted"
          ? `<p class="notice empty" role="status">Your credits have run out.</p>`
          : state === "low"
            ? `<p class="notice low" role="status">Your credits are running low.</p>`
            : "";
  const { names } = data;
  const whose = names.known ? names.bank : names.bank.replace(/^your /, "Your ");
  const from = names.helpdesk ? ` · from ${escape(names.helpdesk)}` : "";
  return page(
    names.known ? `Support credits — ${names.bank}` : "Your support credits",
    `<h1>Support credits</h1><p class="muted" data-testid="bank-name">${escape(whose)}${wallet.plan ? ` · ${escape(wallet.plan.name)} plan` : ""}${from}</p>
${notice}
<p class="balance" data-testid="balance">${n(wallet.balance)} <span class="muted" style="font-size:1rem;font-weight:400">credits</span></p>
<label for="meter" class="muted">Credits left</label>
<meter id="meter" min="0" max="${capacity}" low="${Math.max(1, wallet.lowBalance.threshold ?? 0)}" optimum="${capacity}" value="${Math.max(0, wallet.balance)}">${n(wallet.balance)} credits</meter>
<h2>Buy credits</h2>
${buyCreditsSection(data)}
${data.paymentsEnabled && data.autoRecharge ? autoRechargeSection(data.autoRecharge) : ""}
<h2>Your credits</h2>
${grants ? `<table><thead><tr><th>From</th><th class="num">Left</th><th>Expiry</th></tr></thead><tbody>${grants}</tbody></table>` : `<p class="muted">No credits yet.</p>`}
<h2>Recent usage</h2>
${usage ? `<table><thead><tr><th>Date</th><th>What</th><th class="num">Credits</th></tr></thead><tbody>${usage}</tbody></table>` : `<p class="muted">Nothing yet.</p>`}
${pastPurchasesSection(data.purchases)}
${invoicesSection(data.invoices ?? [])}
<p class="muted" style="margin-top:2rem;font-size:.85rem">This page is a private link for ${escape(names.bank)}${names.helpdesk ? ` from ${escape(names.helpdesk)}` : ""}; it works until ${day(data.expiresAt)}.</p>`,
  );
}
