import type { Tier } from "../../contract/config.js";
import type { OverageChoice as Choice } from "../../contract/overage.js";
import { useConfig, useTicketOverage } from "../api/hooks.js";
import { P5 } from "../deskpro/ui.js";
import { formatCredits, formatDate } from "../format.js";

/** The sentence agents read for the customer's answer to "approve the extra credits?". */
export function overageWords(choice: Choice, tierLabel: string): string {
  const extra = `${formatCredits(choice.shortfall)} extra credits for ${tierLabel}`;
  switch (choice.state) {
    case "pending":
      return `The customer was asked on ${formatDate(choice.askedAt)} whether to approve ${extra}; no answer yet (the link works until ${formatDate(choice.expiresAt)}).`;
    case "approved":
      return `The customer approved ${extra} on ${formatDate(choice.answeredAt ?? choice.askedAt)}: ${formatCredits(choice.price)} credits charged.`;
    case "kept_free":
      return `The customer chose to keep the standard response on ${formatDate(choice.answeredAt ?? choice.askedAt)}; nothing was charged.`;
    case "withdrawn":
      return `The customer was asked whether to approve ${extra}; the ticket changed before they answered, so nothing was charged.`;
    case "expired":
      return `The customer didn't answer whether to approve ${extra} before the link expired on ${formatDate(choice.expiresAt)}; nothing was charged.`;
  }
}

/** One line in the ticket sidebar: whether the customer was asked before overage, and what they chose. */
export function OverageChoice({ ticketId }: { ticketId: string }) {
  const overage = useTicketOverage(ticketId);
  const config = useConfig();
  const choice = overage.data;
  if (!choice) return null; // never asked (or not readable): the declined-tier notice says the rest
  const tier: Tier | undefined = config.data?.config.tiers.find((t) => t.key === choice.tier);
  return (
    <P5 style={{ margin: "4px 0" }} data-testid="overage-choice">
      {overageWords(choice, tier?.label ?? choice.tier)}
    </P5>
  );
}
