/**
 * SQL for idempotency keys: a write claims its key inside its own transaction, and completes it
 * with its answer, so a repeat replays the answer and a write that failed (the database went away,
 * an internal error) leaves no key behind. A refusal (insufficient credits, already reversed…) is
 * an answer too: it is recorded against the key after the refused transaction rolled back, unless
 * another attempt answered the key first. Keys live in a scope: a client's keys and the ledger's
 * own can't collide, whatever a client sends.
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

/** A key whose request was refused: what the refusal said, so a repeat is refused the same way. */
export interface StoredRefusal {
  requestHash: string;
  /** The refusal's error code (the API's stable `code`). */
  code: string;
  message: string;
  details: Record<string, unknown>;
}

/** What a key holds once its request was answered. */
export type KeyAnswer = ({ state: "done" } & StoredAnswer) | ({ state: "refused" } & StoredRefusal);

export type IdempotencyClaim = { state: "claimed" } | KeyAnswer;

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
  return (await keyAnswer(sql, tenantId, key)) ?? { state: "claimed" };
}

const keyColumns = "request_hash, status, response, refused_code";
interface KeyRow {
  request_hash: string;
  status: number | null;
  response: string | null;
  refused_code: string | null;
}

function toClaim(row: KeyRow): IdempotencyClaim {
  if (row.refused_code !== null) return { state: "refused", requestHash: row.request_hash, ...parseRefusal(row.refused_code, row.response) };
  if (row.status === null || row.response === null) return { state: "claimed" };
  return { state: "done", requestHash: row.request_hash, status: row.status, text: row.response };
}

/** A stored refusal's code and its `{message, details}` text as a refusal. */
export function parseRefusal(code: string, text: string | null): Omit<StoredRefusal, "requestHash"> {
  const stored = JSON.parse(text ?? "{}") as { message?: unknown; details?: unknown };
  return {
    code,
    message: typeof stored.message === "string" ? stored.message : "",
    details: typeof stored.details === "object" && stored.details !== null ? (stored.details as Record<string, unknown>) : {},
  };
}

/** The key's answer, when a committed request gave it one; else null. */
export async function keyAnswer(sql: Sql, tenantId: string, key: ScopedKey): Promise<KeyAnswer | null> {
  const rows = await sql.query<KeyRow>(`SELECT ${keyColumns} FROM idempotency_keys WHERE tenant_id = $1 AND scope = $2 AND key = $3`, [
    tenantId,
    key.scope,
    key.key,
  ]);
  const claim = rows[0] ? toClaim(rows[0]) : null;
  return claim === null || claim.state === "claimed" ? null : claim;
}

/**
 * Records that the key's request was refused, unless the key has an answer already: a concurrent
 * attempt that holds it makes this wait, then its answer wins. Null when the refusal was recorded
 * (it is the key's answer from now on), else the answer that was there first.
 */
export async function recordRefusal(sql: Sql, tenantId: string, key: ScopedKey, refusal: StoredRefusal, now: Date): Promise<KeyAnswer | null> {
  const inserted = await sql.query(
    `INSERT INTO idempotency_keys (tenant_id, scope, key, request_hash, created_at, refused_code, response) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (tenant_id, scope, key) DO NOTHING RETURNING key`,
    [tenantId, key.scope, key.key, refusal.requestHash, now, refusal.code, JSON.stringify({ message: refusal.message, details: refusal.details })],
  );
  if (inserted.length > 0) return null;
  const first = await existingClaim(sql, tenantId, key);
  // Another transaction's key is visible only once it committed, and it commits with its answer.
  if (first.state === "claimed") throw new Error("an idempotency key was found without its answer");
  return first;
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
