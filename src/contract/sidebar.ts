import { z } from "zod";
import { TicketEntries, TicketPayer } from "./ledger.js";

/**
 * What the ticket sidebar shows first, in one answer: the bank that pays (with its balance) and
 * what the ticket has cost. The same as `GET /v1/tickets/{ticketId}/payer` and
 * `GET /v1/tickets/{ticketId}/entries` answer apart; one request through Deskpro's proxy instead
 * of two before the first paint.
 */
export const TicketSidebar = z
  .object({
    payer: TicketPayer,
    charges: TicketEntries,
  })
  .meta({ id: "TicketSidebar" });
export type TicketSidebar = z.infer<typeof TicketSidebar>;
