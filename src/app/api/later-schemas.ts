// The answers' schemas of the sidebar's calls that its first paint doesn't wait on (the portal's
// record of the ticket, the overage question, Deskpro's time log, the buy link, a bank's
// auto-recharge): one chunk that LedgerApi loads on the first such call, beside the request, rather
// than in the first bundle.
export { TicketDeskproBilling } from "../../contract/deskpro-billing.js";
export { TicketOverage } from "../../contract/overage.js";
export { PortalTicket } from "../../contract/portal.js";
export { CustomerLink } from "../../contract/stripe.js";
export { AutoRecharge } from "../../contract/recharge.js";
