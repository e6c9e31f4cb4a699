/**
 * What every use case of the ledger runs with: the database, the business clock, and the hooks
 * the features registered where the ledger was composed (see `compose.ts`).
 */
import type { LedgerConfig, Plan } from "../../contract/config.js";
import type { Database, Sql } from "../storage/db.js";
import type { LockedWallet } from "../storage/wallets.js";

export type Clock = () => Date;

/**
 * A write's idempotency key, who chose it, and the fingerprint of the request it names. A
 * client's keys (the Idempotency-Key header) and the ledger's own (Stripe fulfilment, portal
 * jobs) live in separate scopes, so no client key can take the place of one of the ledger's.
 */
export interface Idempotency {
  scope: "client" | "ledger";
  key: string;
  requestHash: string;
}

/** What a write answers: its status and body (and the body's JSON text as sent), and whether it is a replay. */
export interface WriteOutcome<T> {
  status: number;
  body: T;
  /** The body exactly as first answered: a replay sends these bytes again. */
  text: string;
  replayed: boolean;
}

/** A wallet whose balance a posting has just moved, inside the posting's transaction. */
export interface Posted {
  tenantId: string;
  wallet: LockedWallet;
  config: LedgerConfig;
  plan: Plan | null;
  /** The balance after everything the posting wrote. */
  balance: number;
  /** The entry that moved it (or `settle:<time>` when only lapses and allocations did), and its ticket. */
  entryId: string;
  ticketId: string | null;
  now: Date;
}

/**
 * Runs in the transaction of every posting that moved a balance, after its entries and before it
 * commits (low-balance alerts are one). What it writes commits or rolls back with the entries.
 */
export type AfterPostHook = (tx: Sql, posted: Posted) => Promise<void>;

export interface LedgerContext {
  db: Database;
  clock: Clock;
  afterPost: readonly AfterPostHook[];
}
