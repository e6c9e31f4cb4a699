/** SQL for tenants and their API keys (stored as hashes only). */
import type { Sql } from "./db.js";

export interface TenantRow {
  id: string;
  name: string;
  createdAt: Date;
  activeKeys: number;
  /** When an operator suspended the tenant; null while it is active. */
  suspendedAt: Date | null;
}

export async function insertTenant(sql: Sql, tenant: { id: string; name: string; now: Date; helpdeskOrigin?: string }): Promise<void> {
  await sql.query("INSERT INTO tenants (id, name, created_at, helpdesk_origin) VALUES ($1, $2, $3, $4)", [
    tenant.id,
    tenant.name,
    tenant.now,
    tenant.helpdeskOrigin ?? null,
  ]);
}

/** Holds the helpdesk's sign-up lock until the transaction ends: one sign-up per helpdesk at a time. */
export async function lockHelpdesk(sql: Sql, helpdeskOrigin: string): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock(7270010, hashtext($1))", [helpdeskOrigin]);
}

export async function findTenantIdByHelpdesk(sql: Sql, helpdeskOrigin: string): Promise<string | null> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM tenants WHERE helpdesk_origin = $1", [helpdeskOrigin]);
  return rows[0]?.id ?? null;
}

export async function tenantNameTaken(sql: Sql, name: string): Promise<boolean> {
  return (await sql.query("SELECT 1 FROM tenants WHERE name = $1", [name])).length > 0;
}

export async function insertApiKey(sql: Sql, key: { hash: string; tenantId: string; prefix: string; now: Date }): Promise<void> {
  await sql.query("INSERT INTO api_keys (key_hash, tenant_id, key_prefix, created_at) VALUES ($1, $2, $3, $4)", [key.hash, key.tenantId, key.prefix, key.now]);
}

/** Revokes the tenant's keys from `at` (now, or later: keys keep working until then; one ending sooner keeps its end). */
export async function revokeApiKeys(sql: Sql, tenantId: string, at: Date): Promise<number> {
  const rows = await sql.query("UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND (revoked_at IS NULL OR revoked_at > $2) RETURNING key_hash", [
    tenantId,
    at,
  ]);
  return rows.length;
}

/** The tenant of a key not revoked at `now`, and whether the tenant is suspended (one lookup for both). */
export async function findTenantByKeyHash(sql: Sql, hash: string, now: Date): Promise<{ tenantId: string; suspended: boolean } | null> {
  const rows = await sql.query<{ tenant_id: string; suspended: boolean }>(
    `SELECT k.tenant_id, (t.suspended_at IS NOT NULL) AS suspended
     FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
     WHERE k.key_hash = $1 AND (k.revoked_at IS NULL OR k.revoked_at > $2)`,
    [hash, now],
  );
  return rows[0] ? { tenantId: rows[0].tenant_id, suspended: rows[0].suspended } : null;
}

/** Whether the tenant is suspended; false for a tenant that doesn't exist (its callers refuse those on their own terms). */
export async function isTenantSuspended(sql: Sql, tenantId: string): Promise<boolean> {
  const rows = await sql.query("SELECT 1 FROM tenants WHERE id = $1 AND suspended_at IS NOT NULL", [tenantId]);
  return rows.length > 0;
}

/** Suspends the tenant from `at` (keeping an earlier suspension's time); false when it already was. */
export async function suspendTenant(sql: Sql, tenantId: string, at: Date): Promise<boolean> {
  const rows = await sql.query("UPDATE tenants SET suspended_at = $2 WHERE id = $1 AND suspended_at IS NULL RETURNING id", [tenantId, at]);
  return rows.length > 0;
}

/** Lifts the tenant's suspension; false when it wasn't suspended. */
export async function resumeTenant(sql: Sql, tenantId: string): Promise<boolean> {
  const rows = await sql.query("UPDATE tenants SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL RETURNING id", [tenantId]);
  return rows.length > 0;
}

const tenantColumns = `t.id, t.name, t.created_at, t.suspended_at,
  (SELECT count(*) FROM api_keys k WHERE k.tenant_id = t.id AND (k.revoked_at IS NULL OR k.revoked_at > now()))::int AS active_keys`;
type TenantDbRow = { id: string; name: string; created_at: Date; suspended_at: Date | null; active_keys: number };
const toTenant = (r: TenantDbRow): TenantRow => ({
  id: r.id,
  name: r.name,
  createdAt: r.created_at,
  activeKeys: r.active_keys,
  suspendedAt: r.suspended_at,
});

export async function listTenants(sql: Sql): Promise<TenantRow[]> {
  return (await sql.query<TenantDbRow>(`SELECT ${tenantColumns} FROM tenants t ORDER BY t.created_at, t.id`)).map(toTenant);
}

export async function findTenant(sql: Sql, idOrName: string): Promise<TenantRow | null> {
  const rows = await sql.query<TenantDbRow>(`SELECT ${tenantColumns} FROM tenants t WHERE t.id = $1 OR t.name = $1`, [idOrName]);
  return rows[0] ? toTenant(rows[0]) : null;
}

/** Every active (not suspended) tenant's id, for the hourly sweep. */
export async function listTenantIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM tenants WHERE suspended_at IS NULL ORDER BY id");
  return rows.map((r) => r.id);
}
