/**
 * The customer page's auto-recharge section, and the page where the customer reviews the exact
 * sentence they agree to. Plain HTML and forms, no script, like the rest of the customer page.
 */
import type { CreditPack } from "../../contract/config.js";
import { AUTO_RECHARGE_WORDS, type AutoRecharge } from "../../contract/recharge.js";
import { formatCustomerDate } from "../../contract/words.js";
import { formatMoney, minorUnitDigits } from "../domain/currency.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (value: number) => value.toLocaleString("en");
const monthName = (at: Date) => new Intl.DateTimeFormat("en-GB", { month: "long", timeZone: "UTC" }).format(at);

export interface AutoRechargeSectionData {
  recharge: AutoRecharge;
  packs: CreditPack[];
  /** Where the section's forms post (the page's own path + `/auto-recharge…`). */
  action: string;
  /** What came back from Stripe or a form: `card=saved|cancelled`, `recharge=on|off`. */
  notice: "card-saved" | "card-cancelled" | "on" | "off" | null;
  now: Date;
}

const BUTTON = `style="font:inherit;font-weight:600;padding:.5rem .9rem;border:0;border-radius:.4rem;background:var(--accent);color:var(--on-accent);cursor:pointer"`;
const FIELD = `style="display:block;margin:.5rem 0"`;

const notices: Record<NonNullable<AutoRechargeSectionData["notice"]>, string> = {
  "card-saved": "Thank you — your card is being saved. It shows here as soon as the payment provider confirms it.",
  "card-cancelled": "Saving the card was cancelled; nothing changed.",
  on: `${AUTO_RECHARGE_WORDS} is on.`,
  off: `${AUTO_RECHARGE_WORDS} is off; nothing will be charged automatically.`,
};

/** The section: save a card, choose (or change) pack, threshold and monthly limit, or stop. */
export function autoRechargeSection(data: AutoRechargeSectionData): string {
  const { recharge: r, packs } = data;
  if (packs.length === 0) return "";
  const notice = data.notice ? `<p class="notice" role="status">${escape(notices[data.notice])}</p>` : "";
  const cardForm = (label: string) =>
    `<form method="post" action="${escape(data.action)}/card" style="display:inline"><button type="submit" ${BUTTON}>${escape(label)}</button></form>`;
  const intro = `<p class="muted">Top up automatically when your credits run low: save a card, then choose a pack, when to buy it and the most to spend in a month.</p>`;
  if (!r.cardSaved) return `<h2>${AUTO_RECHARGE_WORDS}</h2>${notice}${intro}${cardForm("Save a card")}`;
  const price = (amount: number | null) => (amount === null || r.currency === null ? "" : formatMoney(amount, r.currency));
  const status = r.enabled
    ? `<p data-testid="auto-recharge-status"><strong>On:</strong> buys ${n(r.credits ?? 0)} credits for ${escape(price(r.price))} when your credits fall below ${n(r.threshold ?? 0)}; at most ${escape(price(r.monthlyCap))} a month (${escape(price(r.usedThisMonth))} so far in ${monthName(data.now)}).${r.pending ? " A payment is under way." : ""}</p>`
    : `<p data-testid="auto-recharge-status"><strong>Off.</strong>${r.switchedOffReason ? ` It ${escape(r.switchedOffReason)}.` : ""}</p>`;
  const failure =
    r.lastFailure && r.failuresInRow > 0
      ? `<p class="notice low" role="status">The last automatic payment failed on ${formatCustomerDate(r.lastFailure.at)}: ${escape(r.lastFailure.words)}.</p>`
      : "";
  const options = packs
    .map(
      (p) =>
        `<option value="${escape(p.id)}"${p.id === r.packId ? " selected" : ""}>${escape(p.label)} — ${n(p.credits)} credits, ${escape(formatMoney(p.price, p.currency))}</option>`,
    )
    .join("");
  const currencies = [...new Set(packs.map((p) => p.currency.toUpperCase()))];
  const capUnits = r.monthlyCap !== null && r.currency ? Math.floor(r.monthlyCap / 10 ** minorUnitDigits(r.currency)) : "";
  const choose = `<form method="post" action="${escape(data.action)}/review">
<label ${FIELD}>Pack to buy <select name="packId" required>${options}</select></label>
<label ${FIELD}>Buy it when my credits fall below <input type="number" name="threshold" min="0" step="1" required value="${r.threshold ?? ""}" style="width:8rem"> credits</label>
<label ${FIELD}>Spend at most <input type="number" name="capUnits" min="1" step="1" required value="${capUnits}" style="width:8rem"> ${escape(currencies.length === 1 ? currencies[0]! : "in the pack's currency")} a month</label>
<button type="submit" ${BUTTON}>${r.enabled ? "Review changes" : "Review and agree"}</button></form>`;
  const stop = r.enabled
    ? `<form method="post" action="${escape(data.action)}/stop" style="margin-top:.75rem"><button type="submit" ${BUTTON}>Stop ${AUTO_RECHARGE_WORDS.toLowerCase()}</button></form>`
    : "";
  const saved = r.cardSavedAt ? `<p class="muted">Card saved on ${formatCustomerDate(r.cardSavedAt)}. ${cardForm("Use another card")}</p>` : "";
  return `<h2>${AUTO_RECHARGE_WORDS}</h2>${notice}${status}${failure}${saved}${choose}${stop}`;
}

/** The sentence, the name and the box: the customer agrees to exactly these words. */
export function reviewBody(data: { words: string; action: string; packId: string; threshold: number; capUnits: number; back: string }): string {
  const hidden = (name: string, value: string | number) => `<input type="hidden" name="${name}" value="${escape(String(value))}">`;
  return `<h1>${AUTO_RECHARGE_WORDS}</h1>
<form method="post" action="${escape(data.action)}">
${hidden("packId", data.packId)}${hidden("threshold", data.threshold)}${hidden("capUnits", data.capUnits)}${hidden("words", data.words)}
<p><label><input type="checkbox" name="agree" value="yes" required> <span data-testid="consent-words">${escape(data.words)}</span></label></p>
<label ${FIELD}>Your name <input type="text" name="givenBy" required maxlength="120" autocomplete="name"></label>
<button type="submit" ${BUTTON}>Turn on ${AUTO_RECHARGE_WORDS.toLowerCase()}</button></form>
<p><a href="${escape(data.back)}">Back without changing anything</a></p>`;
}
