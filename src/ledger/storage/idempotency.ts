/**
 * SQL for idempotency keys: a write claims its key inside its own transaction, and completes it
 * with its answer, so a repeat replays the answer and a failed write leaves no key behind. Keys
 * live in a scope: a client's keys and the ledger's own can't collide, whatever a client sends.
 */
import type { Sql } from "./db.js";
import { configColumns, toLockedWallet, walletColumns, lockWallet, type ConfigDbColumns, type LockedWallet, type WalletDbRow } from "./wallets.js";

/** Who chose the key: a client (the Idempotency-Key header) or the ledger itself (Stripe fulfilment, portal jobs). */
export type KeyScope = "client" | "ledger";

/** A key as stored: its scope and its text. */
export interface ScopedKey {
  scope: KeyScope;
  key: string;
}

/** A completed key's answer: the status, and the body exactly as first sent. */
export interface StoredAnswer {
  requestHash: string;
  status: number;
  /** The answer's JSON text, byte for byte. */
  text: string;
}

export type IdempotencyClaim = { state: "claimed" } | ({ state: "done" } & StoredAnswer);

/**
 * Claims an idempotency key for this transaction. If another transaction holds it, PostgreSQL
 * makes this wait until that one ends: committed → its answer is replayed; rolled back → claimed here.
 */
export async function claimIdempotencyKey(sql: Sql, tenantId: string, key: ScopedKey, requestHash: string, now: Date): Promise<IdempotencyClaim> {
  const inserted = await sql.query(
    `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, scope, key) DO NOTHING RETURNING key`,
    [tenantId, key.scope, key.key, requestHash, now],
  );
  if (inserted.length > 0) return { state: "claimed" };
  return existingClaim(sql, tenantId, key);
}

/**
 * Claims the key and locks the wallet in one round trip (the write path's first statement): the
 * claim may wait for a concurrent holder of the key, then the wallet's row is locked. A wallet that
 * doesn't exist yet is created and locked in a second step.
 */
export async function claimKeyAndLockWallet(
  sql: Sql,
  tenantId: string,
  key: ScopedKey,
  requestHash: string,
  now: Date,
  owner: string,
): Promise<{ claim: IdempotencyClaim; wallet: LockedWallet | null }> {
  const rows = await sql.query<WalletDbRow & ConfigDbColumns & { claimed: number }>(
    `WITH claim AS (
       INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at) VALUES ($1, $3, $4, $5, $6)
       ON CONFLICT (tenant_id, scope, key) DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*) FROM claim)::int AS claimed,
            ${walletColumns}, ${configColumns}
     FROM wallets w LEFT JOIN tenant_configs c ON c.tenant_id = w.tenant_id
     WHERE w.tenant_id = $1 AND w.owner = $2
     FOR UPDATE OF w`,
    [tenantId, owner, key.scope, key.key, requestHash, now],
  );
  const row = rows[0];
  if (row) {
    if (row.claimed === 0) return { claim: await existingClaim(sql, tenantId, key), wallet: null };
    return { claim: { state: "claimed" }, wallet: toLockedWallet(tenantId, row) };
  }
  // A new wallet: the statement claimed (or found) the key but had no row to lock.
  const existing = await existingClaim(sql, tenantId, key);
  if (existing.state === "done") return { claim: existing, wallet: null };
  return { claim: existing, wallet: await lockWallet(sql, tenantId, owner, now) };
}

/**
 * The key's record. One without an answer can only be this transaction's own claim: another
 * transaction's claim is invisible until it commits, and it commits with its answer.
 */
async function existingClaim(sql: Sql, tenantId: string, key: ScopedKey): Promise<IdempotencyClaim> {
  const rows = await sql.query<{ request_hash: string; status: number | null; response: string | null }>(
    "SELECT request_hash, status, response FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3",
    [tenantId, key.scope, key.key],
  );
  const row = rows[0]!;
  if (row.status === null || row.response === null) return { state: "claimed" };
  return { state: "done", requestHash: row.request_hash, status: row.status, text: row.response };
}

/** Completes a claimed key when the write is not an entry (plan assignment). */
export async function completeIdempotencyKey(sql: Sql, tenantId: string, key: ScopedKey, status: number, text: string): Promise<void> {
  await sql.query("UPDATE idempotency_keys SET status = $4, response = $5 WHERE tenant_id = $1 AND scope = $2 AND key = $3", [
    tenantId,
    key.scope,
    key.key,
    status,
    text,
  ]);
}
