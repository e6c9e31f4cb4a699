/**
 * Which bank pays for a ticket, one rule for the ledger's portal charges and the app's sidebar:
 * the person's own bank when they have a plan of their own or credits, else an organisation's —
 * the ticket's organisation when the ticket has one, else the person's primary organisation —
 * else the person's own bank after all. And once a ticket has been charged, it is pinned: the bank
 * that paid its first charge keeps paying until an agent changes it, so the payer never moves under
 * a ticket because a bank elsewhere got a plan or credits.
 */
import type { PayerReason } from "../../contract/ledger.js";

/** Where the paying organisation came from: the ticket, or the person's primary membership. */
export type OrganisationSource = "ticket" | "person";

export interface PayerFacts {
  /** The ticket's organisation, if it has one. */
  ticketOrg: string | null;
  /** The person's primary organisation, if they belong to one. */
  personOrg: string | null;
  /** The person's own bank: whether a plan was set on it by hand, and its balance. */
  personHasOwnPlan: boolean;
  personBalance: number;
}

export interface PayerDecision {
  owner: string;
  reason: PayerReason;
  organisationFrom: OrganisationSource | null;
}

/** The organisation that pays when the person doesn't: the ticket's, else the person's primary one. */
export function payingOrganisation(facts: Pick<PayerFacts, "ticketOrg" | "personOrg">): { id: string; from: OrganisationSource } | null {
  if (facts.ticketOrg !== null) return { id: facts.ticketOrg, from: "ticket" };
  if (facts.personOrg !== null) return { id: facts.personOrg, from: "person" };
  return null;
}

export function choosePayer(personId: string, facts: PayerFacts): PayerDecision {
  const person = `person:${personId}`;
  if (facts.personHasOwnPlan) return { owner: person, reason: "person_has_plan", organisationFrom: null };
  if (facts.personBalance > 0) return { owner: person, reason: "person_has_credits", organisationFrom: null };
  const org = payingOrganisation(facts);
  if (org === null) return { owner: person, reason: "person_no_org", organisationFrom: null };
  return { owner: `org:${org.id}`, reason: "organisation", organisationFrom: org.from };
}

export interface PayerChoice<Reason extends string = string> {
  owner: string;
  reason: Reason;
}

export interface Pin {
  owner: string;
  how: "first_charge" | "agent";
}

/** The paying bank: the pinned one when there is a pin, else the rule's. */
export function payingOwner(rule: PayerChoice, pin: Pin | null): string {
  return pin ? pin.owner : rule.owner;
}

/** A ticket's first charge pins its payer; later charges (to any bank) never move an existing pin. */
export function pinAfterCharge(existing: Pin | null, chargedOwner: string): Pin | null {
  return existing ? null : { owner: chargedOwner, how: "first_charge" };
}
