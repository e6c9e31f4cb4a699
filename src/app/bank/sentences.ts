/**
 * The one sentence a sidebar says about a bank's state: who its tickets are charged to and what
 * happens while it has nothing. It follows the ledger's payer rule (src/ledger/domain/payer.ts): a
 * person pays their own tickets only with a plan set on their bank or credits in it; otherwise the
 * organisation's bank pays, and only a person in no organisation falls back on their own bank.
 */
import type { WalletView } from "../api/ledger.js";

/** What the sentence depends on, taken from the bank. */
export interface BankState {
  balance: number;
  /** The bank is on a plan, from any source (set by hand, a rule or the helpdesk default). */
  onPlan: boolean;
  /** The plan was set on this bank by hand: for a person, a plan "of their own". */
  ownPlan: boolean;
  /** Whether it ever held a grant still listed (an empty bank that once had credits is not "new"). */
  hasGrants: boolean;
}

/** Where the sentence is shown, and what that screen knows. */
export type BankScreen =
  /**
   * A person's own bank. `organisation`: the one that pays when they don't; null when they belong to
   * none; "unknown" when Deskpro's context doesn't say (its user context lists no organisations).
   */
  | { screen: "person"; personName: string; organisation: { name: string | null } | null | "unknown" }
  | { screen: "organisation" }
  /** The bank paying for the ticket, as the sidebar names it ("Analytical Engines Ltd's bank"). */
  | { screen: "ticket"; bankName: string };

export function bankStateOf(wallet: Pick<WalletView, "balance" | "plan" | "planSource" | "grants">): BankState {
  return { balance: wallet.balance, onPlan: wallet.plan !== null, ownPlan: wallet.planSource === "wallet", hasGrants: wallet.grants.length > 0 };
}

/** A bank that never had credits or a plan: charging from it is not possible, so nothing is charged. */
export function isUnfunded(state: BankState): boolean {
  return state.balance === 0 && !state.hasGrants && !state.onPlan;
}

/** Whether the person's own bank pays their tickets, by the payer rule. */
export function personPaysOwnTickets(state: BankState): boolean {
  return state.ownPlan || state.balance > 0;
}

const NO_CHARGES = "handled as usual, with no charges";

/**
 * The sentence for a bank in a given state on a given screen, or null when there is nothing the
 * screen doesn't already say (a ticket's paying bank that has credits or a plan).
 */
export function bankSentence(state: BankState, where: BankScreen): string | null {
  const unfunded = isUnfunded(state);
  switch (where.screen) {
    case "ticket":
      return unfunded ? `${where.bankName} has no credits and no plan yet, so this ticket is ${NO_CHARGES}.` : null;
    case "organisation":
      return unfunded
        ? `This bank has no credits and no plan yet, so this organisation's tickets are ${NO_CHARGES}, except those of people with a plan or credits of their own.`
        : "This organisation's tickets are charged here, except those of people with a plan or credits of their own.";
    case "person": {
      const person = where.personName;
      if (personPaysOwnTickets(state)) {
        return `${person}'s tickets are charged to this bank: they have ${state.ownPlan ? "a plan" : "credits"} of their own.`;
      }
      const org = where.organisation;
      if (org === "unknown") {
        return unfunded
          ? `${person} has no plan or credits of their own, so their tickets are charged to their organisation's bank, or ${NO_CHARGES} if they belong to none.`
          : `${person} has no plan or credits of their own, so their tickets are charged to their organisation's bank, or to this bank if they belong to none.`;
      }
      if (org !== null) {
        return `${person} has no plan or credits of their own, so their tickets are charged to ${org.name ? `${org.name}'s bank` : "their organisation's bank"}.`;
      }
      return unfunded
        ? `This bank has no credits and no plan yet, so ${person}'s tickets are ${NO_CHARGES}.`
        : `${person}'s tickets are charged to this bank: they belong to no organisation.`;
    }
  }
}
