// Both sidebars in one chunk: a view's chunk is then one request (with what its forms share with
// it), not three, fetched while its first ledger read is on its way.
export { BankSidebar } from "./bank/BankSidebar.js";
export { TicketSidebar } from "./ticket/TicketSidebar.js";
