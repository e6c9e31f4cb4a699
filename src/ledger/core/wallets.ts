/**
 * The ledger's use cases on wallets: reads, and every write through the one posting path
 * (`posting.ts`). Business errors are typed (`errors.ts`); no SQL (storage/) and no HTTP (http/).
 * Each part is in `wallets/`, in a file named for what it does; this file gives them one address.
 */
export { getWallet, listWallets, loadConfig } from "./wallets/reads.js";
export { getStatement, getTicketEntries, statementPages } from "./wallets/statements.js";
export { changeTicketPayer, getTicketPayer } from "./wallets/payers.js";
export { quote } from "./wallets/quotes.js";
export { grantCredits, takeBackGrantCredits } from "./wallets/grants.js";
export { debitCredits, debitPath } from "./wallets/debits.js";
export { reverseEntry } from "./wallets/reversals.js";
export { assignPlan, putConfig, quotePlan } from "./wallets/plans.js";
export { setWalletAlertLevels, setWalletProfile } from "./wallets/bank-settings.js";
export { allocateAll } from "./wallets/allocation.js";
export type { AlsoInTransaction } from "./posting.js";
// Exported as before the split, though nothing imports them yet (knip counts only imported re-exports).
/** @public */
export { MAX_TICKET_ENTRIES, type StatementFilter } from "./wallets/statements.js";
/** @public */
export type { GrantTakeBack } from "./wallets/grants.js";
/** @public */
export type { DebitOptions, DebitPath } from "./wallets/debits.js";
