/**
 * SQL for wallets (the banks customers see): the cached balance, plan, Deskpro facts and alert
 * state. JSON columns are parsed with the contract's schemas here and nowhere else.
 */
import { z } from "zod";
import { AlertLevel } from "../../contract/config.js";
import { WalletProfile } from "../../contract/ledger.js";
import { configFromColumns, type LoadedConfig } from "./configs.js";
import type { Sql } from "./db.js";

export interface WalletRow {
  owner: string;
  balance: number;
  planKey: string | null;
  updatedAt: Date;
  /** The start of the last period the plan allocated for. */
  allocatedFrom: Date | null;
  /** Deskpro facts for plan rules (null: none stored, or a shape this version can't read). */
  profile: WalletProfile | null;
  /** Alert levels (credits) the wallet is below and has been told about. */
  alertFired: number[];
  /** The wallet's own alert levels; null follows the plan or the helpdesk. */
  alertLevels: AlertLevel[] | null;
}

export interface LockedWallet extends WalletRow {
  /** The tenant's configuration, read in the same round trip as the lock. */
  config: LoadedConfig;
}

export const walletColumns = "w.owner, w.balance, w.plan_key, w.updated_at, w.allocated_from, w.profile, w.alert_fired, w.alert_levels";
export type WalletDbRow = {
  owner: string;
  balance: number;
  plan_key: string | null;
  updated_at: Date;
  allocated_from: Date | null;
  profile: unknown;
  alert_fired: number[] | null;
  alert_levels: unknown;
};
/** Columns of the tenant's configuration, read beside a locked wallet. */
export const configColumns = "c.config, c.version AS config_version, c.updated_at AS config_updated_at";
export type ConfigDbColumns = { config: unknown; config_version: number | null; config_updated_at: Date | null };

const AlertLevels = z.array(AlertLevel);

export const toWallet = (r: WalletDbRow): WalletRow => ({
  owner: r.owner,
  balance: Number(r.balance),
  planKey: r.plan_key,
  updatedAt: r.updated_at,
  allocatedFrom: r.allocated_from,
  profile: r.profile === null || r.profile === undefined ? null : (WalletProfile.safeParse(r.profile).data ?? null),
  alertFired: (r.alert_fired ?? []).map(Number),
  alertLevels: r.alert_levels === null || r.alert_levels === undefined ? null : (AlertLevels.safeParse(r.alert_levels).data ?? null),
});

export const toLockedWallet = (tenantId: string, r: WalletDbRow & ConfigDbColumns): LockedWallet => ({
  ...toWallet(r),
  config: configFromColumns(tenantId, r.config_version === null ? null : { config: r.config, version: r.config_version, updatedAt: r.config_updated_at! }),
});

/**
 * Creates the wallet if it is new and locks its row until the transaction ends: every write to a
 * wallet goes through here first, so writes to one wallet are serialised and balances can't race.
 */
export async function lockWallet(sql: Sql, tenantId: string, owner: string, now: Date): Promise<LockedWallet> {
  // Existing wallets (the common case) are locked without writing a new row version; a new wallet
  // is created first. Both statements read the config in the same round trip.
  const lock = () =>
    sql.query<WalletDbRow & ConfigDbColumns>(
      `SELECT ${walletColumns}, ${configColumns}
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
  return toLockedWallet(tenantId, rows[0]!);
}

export async function findWallet(sql: Sql, tenantId: string, owner: string): Promise<WalletRow | null> {
  const rows = await sql.query<WalletDbRow>(`SELECT ${walletColumns} FROM wallets w WHERE w.tenant_id = $1 AND w.owner = $2`, [tenantId, owner]);
  return rows[0] ? toWallet(rows[0]) : null;
}

export async function setAllocatedFrom(sql: Sql, tenantId: string, owner: string, periodStart: Date): Promise<void> {
  await sql.query("UPDATE wallets SET allocated_from = $3 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, periodStart]);
}

// Changing the profile, plan or alert levels changes what a single-statement debit may assume
// (plan, overdraft, alert levels): the cached facts are dropped with it (fast_version = NULL).

export async function setProfile(sql: Sql, tenantId: string, owner: string, profile: WalletProfile, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET profile = $3::jsonb, updated_at = $4, fast_version = NULL WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
    JSON.stringify(profile),
    now,
  ]);
}

export async function setPlan(sql: Sql, tenantId: string, owner: string, planKey: string | null, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET plan_key = $3, updated_at = $4, fast_version = NULL WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
    planKey,
    now,
  ]);
}

export async function setAlertLevels(sql: Sql, tenantId: string, owner: string, levels: AlertLevel[] | null, now: Date): Promise<void> {
  await sql.query("UPDATE wallets SET alert_levels = $3::jsonb, updated_at = $4, fast_version = NULL WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
    levels === null ? null : JSON.stringify(levels),
    now,
  ]);
}

/**
 * What the full posting path worked out about a wallet, so that a debit can be one statement
 * (`ledger_post_debit`, storage/schema.sql) until something changes: valid for configuration `version`.
 */
export interface FastDebitFacts {
  version: number;
  /** When the plan's next allocation falls due; null: never. */
  allocationAt: Date | null;
  overdraftLimit: number;
  /** Balances in (low, high] cross no alert level; null: unbounded. */
  alertLow: number | null;
  alertHigh: number | null;
}

/** Stores the facts (or, with null, drops them so the next debit takes the full path). */
export async function setFastDebitFacts(sql: Sql, tenantId: string, owner: string, facts: FastDebitFacts | null): Promise<void> {
  await sql.query(
    `UPDATE wallets SET fast_version = $3, fast_allocation_at = $4, fast_overdraft_limit = $5, fast_alert_low = $6, fast_alert_high = $7
     WHERE tenant_id = $1 AND owner = $2`,
    [tenantId, owner, facts?.version ?? null, facts?.allocationAt ?? null, facts?.overdraftLimit ?? null, facts?.alertLow ?? null, facts?.alertHigh ?? null],
  );
}

export async function setAlertFired(sql: Sql, tenantId: string, owner: string, fired: number[]): Promise<void> {
  await sql.query("UPDATE wallets SET alert_fired = $3::integer[] WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, fired]);
}

/** A page of the tenant's wallets that might be on a plan (every wallet when `all`), in owner order. */
export async function walletsForAllocation(sql: Sql, tenantId: string, after: string, limit: number, all: boolean): Promise<WalletRow[]> {
  const rows = await sql.query<WalletDbRow>(
    `SELECT ${walletColumns} FROM wallets w
     WHERE w.tenant_id = $1 AND w.owner > $2 AND ($4::boolean OR w.plan_key IS NOT NULL OR w.profile IS NOT NULL)
     ORDER BY w.owner LIMIT $3`,
    [tenantId, after, limit, all],
  );
  return rows.map(toWallet);
}

/** The bank's name as Deskpro last gave it, and when it was read. */
export async function findDisplayName(sql: Sql, tenantId: string, owner: string): Promise<{ name: string | null; at: Date | null }> {
  const rows = await sql.query<{ display_name: string | null; display_name_at: Date | null }>(
    "SELECT display_name, display_name_at FROM wallets WHERE tenant_id = $1 AND owner = $2",
    [tenantId, owner],
  );
  return { name: rows[0]?.display_name ?? null, at: rows[0]?.display_name_at ?? null };
}

/** The names Deskpro last gave these banks (those it gave none are left out). */
export async function displayNames(sql: Sql, tenantId: string, owners: string[]): Promise<Map<string, string>> {
  if (owners.length === 0) return new Map();
  const rows = await sql.query<{ owner: string; display_name: string }>(
    "SELECT owner, display_name FROM wallets WHERE tenant_id = $1 AND owner = ANY($2::text[]) AND display_name IS NOT NULL",
    [tenantId, owners],
  );
  return new Map(rows.map((r) => [r.owner, r.display_name]));
}

/** Remembers the name Deskpro gave the bank's organisation or person (a bank that has no row yet gets one). */
export async function setDisplayName(sql: Sql, tenantId: string, owner: string, name: string, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO wallets (tenant_id, owner, balance, created_at, updated_at, display_name, display_name_at) VALUES ($1, $2, 0, $4, $4, $3, $4)
     ON CONFLICT (tenant_id, owner) DO UPDATE SET display_name = $3, display_name_at = $4`,
    [tenantId, owner, name, now],
  );
}

/** A page of the tenant's wallets in owner order (of one kind when `type` is given), with their names. */
export async function listWallets(
  sql: Sql,
  tenantId: string,
  after: string,
  limit: number,
  type: "org" | "person" | null,
): Promise<Array<WalletRow & { displayName: string | null }>> {
  const rows = await sql.query<WalletDbRow & { display_name: string | null }>(
    `SELECT ${walletColumns}, w.display_name FROM wallets w
     WHERE w.tenant_id = $1 AND w.owner > $2 AND ($4::text IS NULL OR w.owner LIKE $4 || ':%')
     ORDER BY w.owner LIMIT $3`,
    [tenantId, after, limit, type],
  );
  return rows.map((r) => ({ ...toWallet(r), displayName: r.display_name }));
}
