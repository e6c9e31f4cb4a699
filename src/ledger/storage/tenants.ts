/** SQL for tenants and their API keys (stored as hashes only). */
import type { Sql } from "./db.js";

export interface TenantRow {
  id: string;
  name: string;
  createdAt: Date;
  activeKeys: number;
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

export async function revokeApiKeys(sql: Sql, tenantId: string, now: Date): Promise<number> {
  const rows = await sql.query("UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING key_hash", [tenantId, now]);
  return rows.length;
}

export async function findTenantIdByKeyHash(sql: Sql, hash: string): Promise<string | null> {
  const rows = await sql.query<{ tenant_id: string }>("SELECT tenant_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", [hash]);
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

/** Every tenant's id, for the in-process hourly sweep. */
export async function listTenantIds(sql: Sql): Promise<string[]> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM tenants ORDER BY id");
  return rows.map((r) => r.id);
}
