/**
 * A ticket's Billing & Time Log tab as Deskpro's agent guide ("Time log and billing") describes it:
 * a Time or an Amount, a timer with Start and Pause (or time typed in), an optional comment and
 * Add Charge; earlier charges can be edited or deleted. Charges are made as the agent through the
 * host, which keeps them where the REST stand-in serves them (`/api/v2/tickets/{id}/charges`).
 */
import { agentDateTime } from "./message-html.js";

export interface BillingCharge {
  id: number;
  amount: number | null;
  /** Seconds. */
  charge_time: number | null;
  comment: string;
  date_created: string;
  agentName: string | null;
}

type Api = <T>(method: string, path: string, body?: unknown) => Promise<T>;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pad = (n: number) => String(n).padStart(2, "0");
/** "0:25:20": hours, minutes and seconds. */
export const clock = (seconds: number) => `${Math.floor(seconds / 3600)}:${pad(Math.floor((seconds % 3600) / 60))}:${pad(seconds % 60)}`;
const whenOf = (deskproDate: string) => agentDateTime.format(new Date(deskproDate.replace(/([+-]\d{2})(\d{2})$/, "$1:$2")));

/** Whole minutes typed by the agent, or null. */
const minutesIn = (text: string) => (/^\s*\d{1,6}\s*$/.test(text) && Number(text) > 0 ? Number(text) : null);
const amountIn = (text: string) => (/^\s*\d{1,7}(\.\d{1,2})?\s*$/.test(text) && Number(text) > 0 ? Number(text) : null);

export function billingTab(root: HTMLElement, ticketId: number, deps: { api: Api; toast: (text: string, kind?: "success" | "error") => void }) {
  let mode: "time" | "amount" = "time";
  let timer = { running: false, since: 0, elapsedMs: 0 };
  let editing: number | null = null;
  let shown = "";
  let charges: BillingCharge[] = [];

  root.innerHTML = `
    <form class="billing-entry" id="billing-form" aria-label="Add a charge">
      <div class="billing-modes" role="group" aria-label="Charge type">
        <button type="button" data-mode="time" aria-pressed="true">Time</button>
        <button type="button" data-mode="amount" aria-pressed="false">Amount</button>
      </div>
      <div class="billing-time">
        <span class="billing-timer" data-testid="billing-timer">0:00:00</span>
        <button type="button" id="billing-timer-toggle">Start</button>
        <label>or type the time <input name="minutes" inputmode="numeric" size="6" aria-label="Time (minutes)" /> min</label>
      </div>
      <div class="billing-amount" hidden>
        <label>Amount (USD) <input name="amount" inputmode="decimal" size="8" aria-label="Amount (USD)" /></label>
      </div>
      <label>Comment <input name="comment" maxlength="255" size="30" aria-label="Comment" /></label>
      <button class="primary" type="submit">Add Charge</button>
    </form>
    <table class="charges" data-testid="billing-charges">
      <thead><tr><th>Date</th><th>Agent</th><th>Time</th><th>Amount</th><th>Comment</th><th></th></tr></thead>
      <tbody></tbody>
      <tfoot><tr><th colspan="2">Total</th><td data-testid="billing-total-time"></td><td data-testid="billing-total-amount"></td><td colspan="2"></td></tr></tfoot>
    </table>`;
  const form = root.querySelector<HTMLFormElement>("#billing-form")!;
  const field = (name: string) => form.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
  const timerText = root.querySelector<HTMLElement>("[data-testid=billing-timer]")!;
  const toggle = root.querySelector<HTMLButtonElement>("#billing-timer-toggle")!;
  const elapsedSeconds = () => Math.floor((timer.elapsedMs + (timer.running ? Date.now() - timer.since : 0)) / 1000);
  const tick = window.setInterval(() => {
    timerText.textContent = clock(elapsedSeconds());
  }, 500);

  form.querySelectorAll<HTMLButtonElement>("[data-mode]").forEach((button) =>
    button.addEventListener("click", () => {
      mode = button.dataset.mode === "amount" ? "amount" : "time";
      form.querySelectorAll<HTMLButtonElement>("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      form.querySelector<HTMLElement>(".billing-time")!.hidden = mode !== "time";
      form.querySelector<HTMLElement>(".billing-amount")!.hidden = mode !== "amount";
    }),
  );
  toggle.addEventListener("click", () => {
    timer = timer.running
      ? { running: false, since: 0, elapsedMs: timer.elapsedMs + Date.now() - timer.since }
      : { ...timer, running: true, since: Date.now() };
    toggle.textContent = timer.running ? "Pause" : "Start";
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const comment = field("comment").value.trim();
    let body: { seconds: number | null; amount: number | null; comment: string };
    if (mode === "amount") {
      const amount = amountIn(field("amount").value);
      if (amount === null) return deps.toast("Enter the amount, e.g. 25.00", "error");
      body = { seconds: null, amount, comment };
    } else {
      const typed = minutesIn(field("minutes").value);
      const seconds = typed !== null ? typed * 60 : elapsedSeconds();
      if (seconds < 1) return deps.toast("Start the timer or type the time first.", "error");
      body = { seconds, amount: null, comment };
    }
    const { charge } = await deps.api<{ charge: BillingCharge }>("POST", `/tickets/${ticketId}/charges`, body);
    form.reset();
    timer = { running: false, since: 0, elapsedMs: 0 };
    toggle.textContent = "Start";
    deps.toast(`Charge #${charge.id} added to the time log.`);
    await refresh();
  });

  const tbody = root.querySelector("tbody")!;
  tbody.addEventListener("click", async (event) => {
    const button = (event.target as HTMLElement).closest<HTMLButtonElement>("button[data-action]");
    const id = Number(button?.closest<HTMLElement>("tr")?.dataset.chargeId);
    if (!button || !id) return;
    const charge = charges.find((c) => c.id === id);
    if (!charge) return;
    switch (button.dataset.action) {
      case "edit":
        editing = id;
        draw(true);
        break;
      case "cancel":
        editing = null;
        draw(true);
        break;
      case "delete":
        await deps.api("DELETE", `/tickets/${ticketId}/charges/${id}`);
        deps.toast(`Charge #${id} deleted.`);
        await refresh();
        break;
      case "save": {
        const row = button.closest("tr")!;
        const value = (name: string) => row.querySelector<HTMLInputElement>(`input[name=${name}]`)?.value ?? "";
        const minutes = charge.charge_time !== null ? minutesIn(value("minutes")) : null;
        const amount = charge.amount !== null ? amountIn(value("amount")) : null;
        if (charge.charge_time !== null && minutes === null) return deps.toast("Enter whole minutes.", "error");
        if (charge.amount !== null && amount === null) return deps.toast("Enter the amount, e.g. 25.00", "error");
        await deps.api("PUT", `/tickets/${ticketId}/charges/${id}`, {
          seconds: minutes === null ? null : minutes * 60,
          amount,
          comment: value("comment").trim(),
        });
        editing = null;
        deps.toast(`Charge #${id} saved.`);
        await refresh();
        break;
      }
    }
  });

  async function refresh() {
    const data = await deps.api<{ charges: BillingCharge[] }>("GET", `/tickets/${ticketId}`);
    render(data.charges);
  }

  function draw(force = false) {
    const key = JSON.stringify([charges, editing]);
    if (!force && key === shown) return;
    shown = key;
    tbody.innerHTML = charges
      .map((c) => {
        const attrs = `data-testid="billing-charge" data-charge-id="${c.id}"`;
        if (c.id === editing) {
          return `<tr ${attrs}><td>${escapeHtml(whenOf(c.date_created))}</td><td>${escapeHtml(c.agentName ?? "")}</td>
            <td>${c.charge_time !== null ? `<input name="minutes" size="5" aria-label="Edit time (minutes)" value="${Math.round(c.charge_time / 60)}" /> min` : ""}</td>
            <td>${c.amount !== null ? `<input name="amount" size="7" aria-label="Edit amount" value="${c.amount.toFixed(2)}" />` : ""}</td>
            <td><input name="comment" size="24" aria-label="Edit comment" value="${escapeHtml(c.comment)}" /></td>
            <td><button type="button" data-action="save">Save</button> <button type="button" data-action="cancel">Cancel</button></td></tr>`;
        }
        return `<tr ${attrs}><td>${escapeHtml(whenOf(c.date_created))}</td><td>${escapeHtml(c.agentName ?? "")}</td>
          <td>${c.charge_time !== null ? clock(c.charge_time) : ""}</td><td>${c.amount !== null ? c.amount.toFixed(2) : ""}</td>
          <td>${escapeHtml(c.comment)}</td>
          <td><button type="button" data-action="edit" aria-label="Edit charge #${c.id}">Edit</button>
              <button type="button" data-action="delete" aria-label="Delete charge #${c.id}">Delete</button></td></tr>`;
      })
      .join("");
    const seconds = charges.reduce((sum, c) => sum + (c.charge_time ?? 0), 0);
    const amount = charges.reduce((sum, c) => sum + (c.amount ?? 0), 0);
    root.querySelector("[data-testid=billing-total-time]")!.textContent = clock(seconds);
    root.querySelector("[data-testid=billing-total-amount]")!.textContent = amount.toFixed(2);
  }

  /** The tab as Deskpro has it now; while a charge is being edited its inputs stay as typed. */
  function render(next: BillingCharge[]) {
    charges = next;
    if (editing === null) return draw();
    if (!charges.some((c) => c.id === editing)) {
      editing = null;
      draw(true);
    }
  }

  return { render, stop: () => window.clearInterval(tick) };
}
