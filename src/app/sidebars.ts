// Both sidebars in one chunk, with what they and their forms share: a view then fetches one chunk
// of its own (and a few small ones it shares with the settings page), not three, while its first
// ledger read is on its way.
export { BankSidebar } from "./bank/BankSidebar.js";
export { TicketSidebar } from "./ticket/TicketSidebar.js";
