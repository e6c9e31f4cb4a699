/**
 * The page a customer reaches from "asked before overage": their bank can't pay for the response
 * tier they picked, and they choose to approve the extra credits, buy credits, or keep the
 * standard response. Plain server-rendered HTML (the customer page's style), no script; one form
 * whose two buttons are the two answers, and a link to the bank's page for buying.
 */
import type { OverageChoice } from "../../contract/overage.js";
import { formatCustomerDate } from "../../contract/words.js";
import type { OverageOutcome, OverageView } from "../features/overage.js";
import { page } from "./customer-page.js";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const n = (value: number) => value.toLocaleString("en");

const STYLE = `
  .choices { border: 1px solid var(--line); border-radius: .5rem; padding: .75rem; display: grid; gap: .5rem; }
  .choices button { font: inherit; font-weight: 600; padding: .6rem; border: 0; border-radius: .4rem; background: var(--accent); color: var(--on-accent); cursor: pointer; }
  .choices button.secondary { background: transparent; color: var(--fg); border: 1px solid var(--line); }
  .choices button:focus-visible { outline: 3px solid var(--fg); outline-offset: 2px; }
  .choices p { margin: 0; }
`;

const ANSWERED: Record<OverageChoice["state"], string> = {
  pending: "",
  approved: "You approved the extra credits",
  kept_free: "You kept the standard response",
  withdrawn: "This choice no longer applies",
  expired: "This link has expired",
};

function buyParagraph(view: Pick<OverageView, "buyLink">): string {
  return view.buyLink
    ? `<p><a href="${escape(view.buyLink)}">Buy credits</a> on your bank's page, then open this link again to approve.</p>`
    : `<p>Reply to the ticket if you would like to buy credits.</p>`;
}

/** The question, with the answers still open; or what was answered, when it was. */
export function overageQuestionPage(view: OverageView, action: string): string {
  const { choice } = view;
  const ticket = escape(choice.ticketId);
  if (choice.state !== "pending") return answeredPage(choice, view.tierLabel);
  const tier = escape(view.tierLabel);
  const extra = view.shortfallNow;
  const canApprove = extra <= view.limit;
  const approveWords = extra === 0 ? `Approve: charge ${n(choice.price)} credits` : `Approve ${n(extra)} extra credits`;
  const approve = canApprove
    ? `<button type="submit" name="answer" value="approve">${approveWords}</button>
  <p class="muted">Your bank is charged ${n(choice.price)} credits for ${tier}${extra > 0 ? `, ${n(extra)} more than it holds; the next credits it gets pay that back first` : ""}.</p>`
    : `<p class="notice low" role="status">Approving would now take your bank ${n(extra)} credits past its balance; the most allowed on one ticket is ${n(view.limit)}. Buy credits first, or keep the standard response.</p>`;
  return page(
    `Your choice for ticket #${choice.ticketId}`,
    `<h1>Your choice for ticket #${ticket}</h1>
<p>You asked for <strong>${tier}</strong> (${n(choice.price)} credits). Your bank has <strong data-testid="balance">${n(view.balance)}</strong> credits, so it can't pay for it on its own.</p>
<p class="muted">This link works until ${escape(formatCustomerDate(choice.expiresAt))}. Your first answer is the one that counts.</p>
<form method="post" action="${escape(action)}">
<fieldset class="choices"><legend>Choose one</legend>
  ${approve}
  <button type="submit" name="answer" value="keep_free" class="secondary">Keep the standard response (free)</button>
</fieldset>
</form>
<h2>Or buy credits</h2>
${buyParagraph(view)}`,
    STYLE,
  );
}

function answeredPage(choice: OverageChoice, tierLabel: string): string {
  const title = ANSWERED[choice.state];
  const when = choice.answeredAt ? ` on ${escape(formatCustomerDate(choice.answeredAt))}` : "";
  const detail: Record<OverageChoice["state"], string> = {
    pending: "",
    approved: `Your bank was charged ${n(choice.price)} credits for ${escape(tierLabel)}${when}. Nothing more will be charged for this choice.`,
    kept_free: `You chose to keep the standard response${when}. Nothing was charged.`,
    withdrawn: "The ticket changed since we asked (another response time was chosen, or it was charged or closed). Nothing was charged.",
    expired:
      "You didn't answer in time, so the ticket kept the standard response and nothing was charged. Reply to the ticket if you still want a faster response.",
  };
  return page(title, `<h1>${escape(title)}</h1><p>${detail[choice.state]}</p><p class="muted">Ticket #${escape(choice.ticketId)}</p>`);
}

/** The answer to a submitted choice: what happened, or why nothing did. */
export function overageOutcomePage(outcome: OverageOutcome, view: OverageView | null, back?: string): string {
  switch (outcome.kind) {
    case "approved":
      return page(
        "Thank you: approved",
        `<h1>Thank you: approved</h1><p role="status">Your ticket has ${escape(view?.tierLabel ?? "the response tier")}. Your bank's balance is now <strong data-testid="balance">${n(outcome.balance)}</strong> credits.</p>`,
      );
    case "kept_free":
      return page("Thank you", `<h1>Thank you</h1><p role="status">Your ticket keeps the standard response. Nothing was charged.</p>`);
    case "answered_before":
      return page(
        "You already answered",
        `<h1>You already answered</h1><p role="status">${outcome.choice.state === "approved" ? "You approved the extra credits" : "You kept the standard response"}${
          outcome.choice.answeredAt ? ` on ${escape(formatCustomerDate(outcome.choice.answeredAt))}` : ""
        }. Only the first answer counts, so nothing changed now.</p>`,
      );
    case "expired":
      return page(
        "This link has expired",
        `<h1>This link has expired</h1><p role="status">Nothing was charged. Reply to the ticket if you still want a faster response.</p>`,
      );
    case "withdrawn":
      return page(
        "This choice no longer applies",
        `<h1>This choice no longer applies</h1><p role="status">The ticket changed since we asked (another response time was chosen, or it was charged or closed). Nothing was charged.</p>`,
      );
    case "over_limit":
      return page(
        "Over the limit",
        `<h1>Over the limit</h1><p role="status">Approving now would take your bank ${n(outcome.shortfall)} credits past its balance; the most allowed on one ticket is ${n(outcome.limit)}. Nothing was charged.</p>${view ? buyParagraph(view) : ""}${
          back ? `<p><a href="${escape(back)}">Back to your choice</a> (you can keep the standard response there).</p>` : ""
        }`,
      );
    case "not_found":
      return page("This link is not valid", `<h1>This link is not valid</h1><p>Check that the whole link was copied, or reply to the ticket.</p>`);
  }
}
