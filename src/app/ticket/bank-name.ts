import type { AppTarget } from "../deskpro/context.js";

export type TicketTarget = Extract<AppTarget, { kind: "ticket" }>;

/** "Ada Lovelace's own bank", "Analytical Engines Ltd's bank": a bank as agents know it. */
export function bankName(owner: string, target: TicketTarget): string {
  if (owner === `person:${target.personId}`) return `${target.personName}'s own bank`;
  const org = [target.ticketOrg, target.personOrg].find((o) => o !== null && owner === `org:${o.id}`);
  if (org) return org.name ? `${org.name}'s bank` : org === target.ticketOrg ? "The ticket's organisation's bank" : "Their organisation's bank";
  return owner.startsWith("org:") ? `Organisation #${owner.slice(4)}'s bank` : `Person #${owner.slice(7)}'s bank`;
}
