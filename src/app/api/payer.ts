// The contract now carries TicketPayer ("which bank pays for a ticket, and why"); re-exported
// here so app code has one place to import it from.
export { TicketPayer, PayerReason } from "../../contract/index.js";
export type { TicketPayer as TicketPayerT } from "../../contract/index.js";
