/** SQL for grants: blocks of credits with a source, paid flag and expiry, drawn on by debits. */
import type { GrantSource } from "../../contract/ledger.js";
import type { Sql } from "./db.js";

export interface GrantRow {
  seq: number;
  id: string;
  owner: string;
  amount: number;
  remaining: number;
  source: GrantSource;
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
  source: GrantSource;
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

/** Whether any open grant of the wallet has passed its expiry: a cheap check before settling on a read. */
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
  const rows = await sql.query<GrantDbRow>(`SELECT ${grantColumns} FROM grants WHERE tenant_id = $1 AND id = ANY($2::text[])`, [tenantId, ids]);
  return rows.map(toGrant);
}

export interface NewGrant {
  id: string;
  tenantId: string;
  owner: string;
  amount: number;
  remaining: number;
  source: GrantSource;
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

export interface ExpiringGrant {
  id: string;
  owner: string;
  source: GrantSource;
  remaining: number;
  expiresAt: Date;
}

/** Open grants that still hold credits and expire within (from, to], a page at a time in id order. */
export async function grantsExpiringBetween(sql: Sql, tenantId: string, from: Date, to: Date, afterId: string, limit: number): Promise<ExpiringGrant[]> {
  const rows = await sql.query<{ id: string; owner: string; source: GrantSource; remaining: string | number; expires_at: Date }>(
    `SELECT id, owner, source, remaining, expires_at FROM grants
     WHERE tenant_id = $1 AND closed_at IS NULL AND remaining > 0 AND expires_at IS NOT NULL
       AND expires_at > $2 AND expires_at <= $3 AND id > $4
     ORDER BY id LIMIT $5`,
    [tenantId, from, to, afterId, limit],
  );
  return rows.map((r) => ({ id: r.id, owner: r.owner, source: r.source, remaining: Number(r.remaining), expiresAt: r.expires_at }));
}
