/**
 * The ticket sidebar's first answer: who pays for the ticket (and that bank's balance) and what the
 * ticket has cost, read together so the sidebar's first paint waits on one request.
 */
import type { TicketSidebar } from "../../contract/sidebar.js";
import type { LedgerContext } from "../core/context.js";
import { getTicketEntries, getTicketPayer } from "../core/wallets.js";

export async function getTicketSidebar(
  ctx: LedgerContext,
  tenantId: string,
  ticketId: string,
  personId: string,
  orgs: { ticketOrg: string | null; personOrg: string | null },
): Promise<TicketSidebar> {
  const [payer, charges] = await Promise.all([getTicketPayer(ctx, tenantId, ticketId, personId, orgs), getTicketEntries(ctx, tenantId, ticketId)]);
  return { payer, charges };
}
