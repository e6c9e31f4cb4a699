/**
 * Every SQL statement the ledger runs lives here. Functions take an `Sql` (the database or an open
 * transaction) and speak in plain rows; the service decides what to write, this module writes it.
 */
import type { Sql } from "./db.js";

// ---------------------------------------------------------------------------------------------
// Tenants and API keys
// ---------------------------------------------------------------------------------------------

export interface TenantRow {
  id: string;
  name: string;
  createdAt: Date;
  activeKeys: number;
}

export async function insertTenant(sql: Sql, tenant: { id: string; name: string; now: Date }): Promise<void> {
  await sql.query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)", [tenant.id, tenant.name, tenant.now]);
}

export async function insertApiKey(sql: Sql, key: { hash: string; tenantId: string; prefix: string; now: Date }): Promise<void> {
  await sql.query("INSERT INTO api_keys (key_hash, tenant_id, key_prefix, created_at) VALUES ($1, $2, $3, $4)", [
    key.hash,
    key.tenantId,
    key.prefix,
    key.now,
  ]);
}

export async function revokeApiKeys(sql: Sql, tenantId: string, now: Date): Promise<number> {
  const rows = await sql.query(
    "UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING key_hash",
    [tenantId, now],
  );
  return rows.length;
}

export async function findTenantIdByKeyHash(sql: Sql, hash: string): Promise<string | null> {
  const rows = await sql.query<{ tenant_id: string }>(
    "SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    [hash],
  );
  return rows[0]?.tenant_id ?? null;
}

const tenantColumns = `t.id, t.name, t.created_at,
  (SELECT count(*) FROM api_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL)::int AS active_keys`;
type TenantDbRow = { id: string; name: string; created_at: Date; active_keys: number };
const toTenant = (r: TenantDbRow): TenantRow => ({ id: r.id, name: r.name, createdAt: r.created_at, activeKeys: r.active_keys });

export async function listTenants(sql: Sql): Promise<TenantRow[]> {
  return (await sql.query<TenantDbRow>(`SELECT ${tenantColumns} FROM tenants t ORDER BY t.created_at, t.id`)).map(toTenant);
}

export async function findTenant(sql: Sql, idOrName: string): Promise<TenantRow | null> {
  const rows = await sql.query<TenantDbRow>(`SELECT ${tenantColumns} FROM tenants t WHERE t.id = $1 OR t.name = $1`, [idOrName]);
  return rows[0] ? toTenant(rows[0]) : null;
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

export interface ConfigRow {
  config: unknown;
  version: number;
  updatedAt: Date;
}

export async function getConfig(sql: Sql, tenantId: string): Promise<ConfigRow | null> {
  const rows = await sql.query<{ config: unknown; version: number; updated_at: Date }>(
    "SELECT config, version, updated_at FROM tenant_configs WHERE tenant_id = $1",
    [tenantId],
  );
  const row = rows[0];
  return row ? { config: row.config, version: row.version, updatedAt: row.updated_at } : null;
}

/** Replaces the configuration and bumps its version; returns null when `expectedVersion` is stale. */
export async function putConfig(
  sql: Sql,
  tenantId: string,
  config: unknown,
  now: Date,
  expectedVersion: number | null,
): Promise<ConfigRow | null> {
  type Row = { config: unknown; version: number; updated_at: Date };
  const params = [tenantId, JSON.stringify(config), now];
  // null: write whatever is there; 0: only when the tenant has never saved; n: only over version n.
  const rows =
    expectedVersion === null || expectedVersion === 0
      ? await sql.query<Row>(
          `INSERT INTO tenant_configs AS c (tenant_id, config, version, updated_at) VALUES ($1, $2::jsonb, 1, $3)
           ON CONFLICT (tenant_id) DO UPDATE SET config = EXCLUDED.config, version = c.version + 1, updated_at = EXCLUDED.updated_at
             WHERE $4::boolean
           RETURNING config, version, updated_at`,
          [...params, expectedVersion === null],
        )
      : await sql.query<Row>(
          `UPDATE tenant_configs SET config = $2::jsonb, version = version + 1, updated_at = $3
           WHERE tenant_id = $1 AND version = $4::int
           RETURNING config, version, updated_at`,
          [...params, expectedVersion],
        );
  const row = rows[0];
  return row ? { config: row.config, version: row.version, updatedAt: row.updated_at } : null;
}

// ---------------------------------------------------------------------------------------------
// Wallets
// ---------------------------------------------------------------------------------------------

export interface WalletRow {
  owner: string;
  balance: number;
  planKey: string | null;
  updatedAt: Date;
  /** The start of the last period the plan allocated for. */
  allocatedFrom: Date | null;
  /** Deskpro facts for plan rules, as stored (parse before use). */
  profile: unknown;
  /** Alert levels (credits) the bank is below and has been told about. */
  alertFired: number[];
  /** The bank's own alert levels, as stored (parse before use); null follows the plan or the helpdesk. */
  alertLevels: unknown;
}

export interface LockedWallet extends WalletRow {
  /** The tenant's stored configuration, read in the same round trip (null: never saved). */
  config: ConfigRow | null;
}
type WalletDbRow = { owner: string; balance: number; plan_key: string | null; updated_at: Date; allocated_from: Date | null; profile: unknown; alert_fired?: number[] | null; alert_levels?: unknown };
const toWallet = (r: WalletDbRow): WalletRow => ({
  owner: r.owner,
  balance: Number(r.balance),
  planKey: r.plan_key,
  updatedAt: r.updated_at,
  allocatedFrom: r.allocated_from,
  profile: r.profile ?? null,
  alertFired: (r.alert_fired ?? []).map(Number),
  alertLevels: r.alert_levels ?? null,
});

/**
 * Creates the bank if it is new and locks its row until the transaction ends: every write to a
 * bank goes through here first, so writes to one bank are serialised and balances can't race.
 */
export async function lockWallet(sql: Sql, tenantId: string, owner: string, now: Date): Promise<LockedWallet> {
  // Existing banks (the common case) are locked without writing a new row version; a new bank is
  // created first. Both statements read the config in the same round trip.
  const lock = () =>
    sql.query<WalletDbRow & { config: unknown; config_version: number | null; config_updated_at: Date | null }>(
      `SELECT w.owner, w.balance, w.plan_key, w.updated_at, w.allocated_from, w.profile, w.alert_fired, w.alert_levels, c.config, c.version AS config_version, c.updated_at AS config_updated_at
       FROM wallets w LEFT JOIN tenant_configs c ON c.tenant_id = w.tenant_id
       WHERE w.tenant_id = $1 AND w.owner = $2
       FOR UPDATE OF w`,
      [tenantId, owner],
    );
  let rows = await lock();
  if (rows.length === 0) {
    await sql.query(
      `INSERT INTO wallets (tenant_id, owner, balance, created_at, updated_at) VALUES ($1, $2, 0, $3, $3)
       ON CONFLICT (tenant_id, owner) DO NOTHING`,
      [tenantId, owner, now],
    );
    rows = await lock();
  }
  const row = rows[0]!;
  return {
    ...toWallet(row),
    config: row.config_version === null ? null : { config: row.config, version: row.config_version, updatedAt: row.config_updated_at! },
  };
}

export async function findWallet(sql: Sql, tenantId: string, owner: string): Promise<WalletRow | null> {
  const rows = await sql.query<WalletDbRow>(
    "SELECT owner, balance, plan_key, updated_at, allocated_from, profile, alert_fired, alert_levels FROM wallets WHERE tenant_id = $1 AND owner = $2",
    [tenantId, owner],
  );
  return rows[0] ? toWallet(rows[0]) : null;
}

export async function setAllocatedFrom(sql: Sql, tenantId: string, owner: string, periodStart: Date): Promise<void> {
  await sql.query("UPDATE wallets SET allocated_from = $3 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, periodStart]);
}

export async function setWalletProfile(sql: Sql, tenantId: string, owner: string, profile: unknown, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET profile = $3::jsonb, updated_at = $4 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, JSON.stringify(profile), now]);
}

/** A page of the tenant's banks that might be on a plan (every bank when `all`), in owner order. */
export async function walletsForAllocation(sql: Sql, tenantId: string, after: string, limit: number, all: boolean): Promise<WalletRow[]> {
  const rows = await sql.query<WalletDbRow>(
    `SELECT owner, balance, plan_key, updated_at, allocated_from, profile FROM wallets
     WHERE tenant_id = $1 AND owner > $2 AND ($4::boolean OR plan_key IS NOT NULL OR profile IS NOT NULL)
     ORDER BY owner LIMIT $3`,
    [tenantId, after, limit, all],
  );
  return rows.map(toWallet);
}

/** Every tenant's id, for the in-process hourly sweep. */
export async function listTenantIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM tenants ORDER BY id");
  return rows.map((r) => r.id);
}

export async function setAlertLevels(sql: Sql, tenantId: string, owner: string, levels: unknown, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET alert_levels = $3::jsonb, updated_at = $4 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, levels === null ? null : JSON.stringify(levels), now]);
}

export interface ExpiringGrant {
  id: string;
  owner: string;
  source: string;
  remaining: number;
  expiresAt: Date;
}

/** Open grants that still hold credits and expire within (from, to], a page at a time in id order. */
export async function grantsExpiringBetween(sql: Sql, tenantId: string, from: Date, to: Date, afterId: string, limit: number): Promise<ExpiringGrant[]> {
  const rows = await sql.query<{ id: string; owner: string; source: string; remaining: string | number; expires_at: Date }>(
    `SELECT id, owner, source, remaining, expires_at FROM grants
     WHERE tenant_id = $1 AND closed_at IS NULL AND remaining > 0 AND expires_at IS NOT NULL
       AND expires_at > $2 AND expires_at <= $3 AND id > $4
     ORDER BY id LIMIT $5`,
    [tenantId, from, to, afterId, limit],
  );
  return rows.map((r) => ({ id: r.id, owner: r.owner, source: r.source, remaining: Number(r.remaining), expiresAt: r.expires_at }));
}

export async function setAlertFired(sql: Sql, tenantId: string, owner: string, fired: number[]): Promise<void> {
  await sql.query("UPDATE wallets SET alert_fired = $3::integer[] WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, fired]);
}

export async function getAlertSettings(sql: Sql, tenantId: string): Promise<unknown | null> {
  const rows = await sql.query<{ settings: unknown }>("SELECT settings FROM alert_settings WHERE tenant_id = $1", [tenantId]);
  return rows[0]?.settings ?? null;
}

export async function putAlertSettings(sql: Sql, tenantId: string, settings: unknown, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO alert_settings (tenant_id, settings, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at`,
    [tenantId, JSON.stringify(settings), now],
  );
}

export async function setWalletPlan(sql: Sql, tenantId: string, owner: string, planKey: string | null, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET plan_key = $3, updated_at = $4 WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
    planKey,
    now,
  ]);
}

// ---------------------------------------------------------------------------------------------
// Grants
// ---------------------------------------------------------------------------------------------

export interface GrantRow {
  seq: number;
  id: string;
  owner: string;
  amount: number;
  remaining: number;
  source: string;
  paid: boolean;
  startsAt: Date;
  expiresAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
}
type GrantDbRow = {
  seq: number;
  id: string;
  owner: string;
  amount: number;
  remaining: number;
  source: string;
  paid: boolean;
  starts_at: Date;
  expires_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
};
const grantColumns = "seq, id, owner, amount, remaining, source, paid, starts_at, expires_at, closed_at, created_at";
const toGrant = (r: GrantDbRow): GrantRow => ({
  seq: r.seq,
  id: r.id,
  owner: r.owner,
  amount: r.amount,
  remaining: r.remaining,
  source: r.source,
  paid: r.paid,
  startsAt: r.starts_at,
  expiresAt: r.expires_at,
  closedAt: r.closed_at,
  createdAt: r.created_at,
});

/** Grants that still hold credits and are not closed (some may have passed their expiry). */
export async function openGrantsWithCredits(sql: Sql, tenantId: string, owner: string): Promise<GrantRow[]> {
  const rows = await sql.query<GrantDbRow>(
    `SELECT ${grantColumns} FROM grants
     WHERE tenant_id = $1 AND owner = $2 AND closed_at IS NULL AND remaining > 0`,
    [tenantId, owner],
  );
  return rows.map(toGrant);
}

/** Whether any open grant of the bank has passed its expiry: a cheap check before settling on a read. */
export async function hasLapsedGrants(sql: Sql, tenantId: string, owner: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM grants WHERE tenant_id = $1 AND owner = $2 AND closed_at IS NULL AND remaining > 0
       AND expires_at <= $3 LIMIT 1`,
    [tenantId, owner, now],
  );
  return rows.length > 0;
}

export async function grantsByIds(sql: Sql, tenantId: string, ids: readonly string[]): Promise<GrantRow[]> {
  if (ids.length === 0) return [];
  const rows = await sql.query<GrantDbRow>(`SELECT ${grantColumns} FROM grants WHERE tenant_id = $1 AND id = ANY($2::text[])`, [
    tenantId,
    ids,
  ]);
  return rows.map(toGrant);
}

export interface NewGrant {
  id: string;
  tenantId: string;
  owner: string;
  amount: number;
  remaining: number;
  source: string;
  paid: boolean;
  startsAt: Date;
  expiresAt: Date | null;
  createdAt: Date;
}

export async function insertGrant(sql: Sql, grant: NewGrant): Promise<void> {
  await sql.query(
    `INSERT INTO grants (id, tenant_id, owner, amount, remaining, source, paid, starts_at, expires_at, closed_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)`,
    [grant.id, grant.tenantId, grant.owner, grant.amount, grant.remaining, grant.source, grant.paid, grant.startsAt, grant.expiresAt, grant.createdAt],
  );
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/** A journal entry as stored: what was written, its place in the journal and its draws. */
export type EntryRow = Omit<NewEntry, "tenantId"> & { seq: number; draws: { grantId: string; amount: number }[] };
type EntryDbRow = {
  seq: number;
  id: string;
  owner: string;
  kind: string;
  amount: number;
  balance_after: number;
  reason: string | null;
  ticket_id: string | null;
  agent: string | null;
  minutes: number | null;
  tier: string | null;
  grant_id: string | null;
  reverses_entry_id: string | null;
  created_at: Date;
  draws: { grantId: string; amount: number }[] | null;
};
// Draws come along as a JSON array, so a statement page is one query however many entries it has.
const entryColumns = `e.seq, e.id, e.owner, e.kind, e.amount, e.balance_after, e.reason, e.ticket_id, e.agent, e.minutes,
  e.tier, e.grant_id, e.reverses_entry_id, e.created_at,
  (SELECT json_agg(json_build_object('grantId', d.grant_id, 'amount', d.amount) ORDER BY d.grant_id)
     FROM entry_draws d WHERE d.entry_id = e.id) AS draws`;
const toEntry = (r: EntryDbRow): EntryRow => ({
  seq: r.seq,
  id: r.id,
  owner: r.owner,
  kind: r.kind,
  amount: r.amount,
  balanceAfter: r.balance_after,
  reason: r.reason,
  ticketId: r.ticket_id,
  agent: r.agent,
  minutes: r.minutes,
  tier: r.tier,
  grantId: r.grant_id,
  reversesEntryId: r.reverses_entry_id,
  createdAt: r.created_at,
  draws: (r.draws ?? []).map((d) => ({ grantId: d.grantId, amount: Number(d.amount) })),
});

export interface NewEntry {
  id: string;
  tenantId: string;
  owner: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  reason: string | null;
  ticketId: string | null;
  agent: string | null;
  minutes: number | null;
  tier: string | null;
  grantId: string | null;
  reversesEntryId: string | null;
  createdAt: Date;
}

export interface EntryWrite {
  entry: NewEntry;
  /** Signed changes to grants' remaining credits, recorded as the entry's draws. */
  draws: readonly { grantId: string; amount: number }[];
  /** Grants this entry closes (voided or expired). */
  closeGrantIds?: readonly string[];
  /** The idempotency record to complete with this write's answer. */
  idempotency?: { key: string; status: number; response: unknown };
}

/**
 * Appends one journal entry with everything that must change with it, in one statement: the
 * entry, its draws, the grants' remaining credits, the bank's cached balance and the idempotency
 * record. Runs inside the caller's transaction, after `lockWallet`.
 */
export async function appendEntry(sql: Sql, write: EntryWrite): Promise<void> {
  const e = write.entry;
  const grantIds = write.draws.map((d) => d.grantId);
  const grantDeltas = write.draws.map((d) => d.amount);
  await sql.query(
    `WITH new_entry AS (
       INSERT INTO entries (id, tenant_id, owner, kind, amount, balance_after, reason, ticket_id, agent, minutes, tier,
                            grant_id, reverses_entry_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING id
     ), new_draws AS (
       INSERT INTO entry_draws (entry_id, grant_id, amount)
       SELECT $1, d.grant_id, d.amount FROM unnest($15::text[], $16::bigint[]) AS d(grant_id, amount)
     ), changed_grants AS (
       UPDATE grants g SET remaining = g.remaining + d.amount,
                           closed_at = CASE WHEN g.id = ANY($17::text[]) THEN $14 ELSE g.closed_at END
       FROM (SELECT grant_id, sum(amount) AS amount FROM (
               SELECT * FROM unnest($15::text[], $16::bigint[]) AS x(grant_id, amount)
               UNION ALL SELECT unnest($17::text[]), 0) u GROUP BY grant_id) d
       WHERE g.tenant_id = $2 AND g.id = d.grant_id
     ), changed_wallet AS (
       UPDATE wallets SET balance = $6, updated_at = $14 WHERE tenant_id = $2 AND owner = $3
     ), completed_key AS (
       UPDATE idempotency_keys SET status = $19, response = $20 WHERE tenant_id = $2 AND key = $18
     )
     SELECT id FROM new_entry`,
    [
      e.id,
      e.tenantId,
      e.owner,
      e.kind,
      e.amount,
      e.balanceAfter,
      e.reason,
      e.ticketId,
      e.agent,
      e.minutes,
      e.tier,
      e.grantId,
      e.reversesEntryId,
      e.createdAt,
      grantIds,
      grantDeltas,
      write.closeGrantIds ?? [],
      write.idempotency?.key ?? null,
      write.idempotency?.status ?? null,
      write.idempotency ? JSON.stringify(write.idempotency.response) : null,
    ],
  );
}

export async function findEntry(sql: Sql, tenantId: string, id: string): Promise<EntryRow | null> {
  const rows = await sql.query<EntryDbRow>(`SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.id = $2`, [tenantId, id]);
  return rows[0] ? toEntry(rows[0]) : null;
}

export async function findReversalOf(sql: Sql, entryId: string): Promise<string | null> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM entries WHERE reverses_entry_id = $1", [entryId]);
  return rows[0]?.id ?? null;
}

/** One statement page, newest first, strictly older than `beforeSeq`. Index-only walk: cost is flat in history size. */
export async function statementPage(
  sql: Sql,
  tenantId: string,
  owner: string,
  limit: number,
  beforeSeq: number | null,
): Promise<EntryRow[]> {
  // Two statements rather than `($3 IS NULL OR seq < $3)`: a prepared statement's generic plan
  // can't use that as an index bound, and a deep page would then scan everything newer than it.
  const rows =
    beforeSeq === null
      ? await sql.query<EntryDbRow>(
          `SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.owner = $2 ORDER BY e.seq DESC LIMIT $3`,
          [tenantId, owner, limit],
        )
      : await sql.query<EntryDbRow>(
          `SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.owner = $2 AND e.seq < $3 ORDER BY e.seq DESC LIMIT $4`,
          [tenantId, owner, beforeSeq, limit],
        );
  return rows.map(toEntry);
}

export async function ticketEntries(sql: Sql, tenantId: string, ticketId: string, limit: number): Promise<EntryRow[]> {
  const rows = await sql.query<EntryDbRow>(
    `SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.ticket_id = $2 ORDER BY e.seq LIMIT $3`,
    [tenantId, ticketId, limit],
  );
  return rows.map(toEntry);
}

/** Minutes logged on a ticket and credits charged for them, net of refunds (refunds carry negative minutes). */
export async function ticketTime(sql: Sql, tenantId: string, ticketId: string): Promise<{ minutes: number; charged: number }> {
  const rows = await sql.query<{ minutes: number; charged: number }>(
    `SELECT coalesce(sum(minutes), 0)::bigint AS minutes, coalesce(-sum(amount), 0)::bigint AS charged
     FROM entries WHERE tenant_id = $1 AND ticket_id = $2 AND minutes IS NOT NULL`,
    [tenantId, ticketId],
  );
  return rows[0] ?? { minutes: 0, charged: 0 };
}

/** The ticket's tier charge that has not been refunded, if any. */
export async function activePriorityCharge(sql: Sql, tenantId: string, ticketId: string): Promise<EntryRow | null> {
  const rows = await sql.query<EntryDbRow>(
    `SELECT ${entryColumns} FROM entries e
     WHERE e.tenant_id = $1 AND e.ticket_id = $2 AND e.kind = 'priority'
       AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses_entry_id = e.id)
     ORDER BY e.seq DESC LIMIT 1`,
    [tenantId, ticketId],
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

/** Serialises work on one ticket across banks (time totals and tier charges are per ticket). */
export async function lockTicket(sql: Sql, tenantId: string, ticketId: string): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`ticket:${tenantId}:${ticketId}`]);
}

export async function sumOfEntries(sql: Sql, tenantId: string, owner: string): Promise<number> {
  const rows = await sql.query<{ total: number }>(
    "SELECT coalesce(sum(amount), 0)::bigint AS total FROM entries WHERE tenant_id = $1 AND owner = $2",
    [tenantId, owner],
  );
  return rows[0]?.total ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

export type IdempotencyClaim =
  | { state: "claimed" }
  | { state: "done"; requestHash: string; status: number; response: unknown };

/**
 * Claims an idempotency key for this transaction. If another transaction holds it, PostgreSQL
 * makes this wait until that one ends: committed → its answer is replayed; rolled back → claimed here.
 */
export async function claimIdempotencyKey(
  sql: Sql,
  tenantId: string,
  key: string,
  requestHash: string,
  now: Date,
): Promise<IdempotencyClaim> {
  const inserted = await sql.query(
    `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, key) DO NOTHING RETURNING key`,
    [tenantId, key, requestHash, now],
  );
  if (inserted.length > 0) return { state: "claimed" };
  return existingClaim(sql, tenantId, key);
}

/**
 * Claims the key and locks the bank in one round trip (the write path's first statement): the
 * claim may wait for a concurrent holder of the key, then the bank's row is locked. A bank that
 * doesn't exist yet is created and locked in a second step.
 */
export async function claimKeyAndLockWallet(
  sql: Sql,
  tenantId: string,
  key: string,
  requestHash: string,
  now: Date,
  owner: string,
): Promise<{ claim: IdempotencyClaim; wallet: LockedWallet | null }> {
  const rows = await sql.query<WalletDbRow & { claimed: number; config: unknown; config_version: number | null; config_updated_at: Date | null }>(
    `WITH claim AS (
       INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES ($1, $3, $4, $5)
       ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1
     )
     SELECT (SELECT count(*) FROM claim)::int AS claimed,
            w.owner, w.balance, w.plan_key, w.updated_at, w.allocated_from, w.profile, w.alert_fired, w.alert_levels, c.config, c.version AS config_version, c.updated_at AS config_updated_at
     FROM wallets w LEFT JOIN tenant_configs c ON c.tenant_id = w.tenant_id
     WHERE w.tenant_id = $1 AND w.owner = $2
     FOR UPDATE OF w`,
    [tenantId, owner, key, requestHash, now],
  );
  const row = rows[0];
  if (row) {
    if (row.claimed === 0) return { claim: await existingClaim(sql, tenantId, key), wallet: null };
    return {
      claim: { state: "claimed" },
      wallet: {
        ...toWallet(row),
        config: row.config_version === null ? null : { config: row.config, version: row.config_version, updatedAt: row.config_updated_at! },
      },
    };
  }
  // A new bank: the statement claimed (or found) the key but had no row to lock.
  const existing = await existingClaim(sql, tenantId, key);
  if (existing.state === "done") return { claim: existing, wallet: null };
  return { claim: existing, wallet: await lockWallet(sql, tenantId, owner, now) };
}

/**
 * The key's record. One without an answer can only be this transaction's own claim: another
 * transaction's claim is invisible until it commits, and it commits with its answer.
 */
async function existingClaim(sql: Sql, tenantId: string, key: string): Promise<IdempotencyClaim> {
  const rows = await sql.query<{ request_hash: string; status: number | null; response: string | null }>(
    "SELECT request_hash, status, response FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
    [tenantId, key],
  );
  const row = rows[0]!;
  if (row.status === null || row.response === null) return { state: "claimed" };
  return { state: "done", requestHash: row.request_hash, status: row.status, response: JSON.parse(row.response) };
}

/** Completes a claimed key when the write is not an entry (plan assignment, config). */
export async function completeIdempotencyKey(sql: Sql, tenantId: string, key: string, status: number, response: unknown): Promise<void> {
  await sql.query("UPDATE idempotency_keys SET status = $3, response = $4 WHERE tenant_id = $1 AND key = $2", [
    tenantId,
    key,
    status,
    JSON.stringify(response),
  ]);
}
