/**
 * Who pays for a ticket: the bank the payer rule picks, until the ticket is pinned. A ticket is
 * pinned to the bank that paid its first charge, and stays with it until an agent changes it, so
 * the payer never moves under a ticket because a bank elsewhere got a plan or credits.
 */

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
