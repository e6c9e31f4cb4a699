/**
 * SQL for each tenant's configuration (tiers, plans, packs, time rate, alert levels). The stored
 * JSON is parsed with the contract's schema here, once per tenant and version: parsing applies
 * defaults added since it was saved, so every reader sees a complete configuration.
 */
import { DEFAULT_CONFIG, LedgerConfig } from "../../contract/config.js";
import type { Sql } from "./db.js";

export interface LoadedConfig {
  config: LedgerConfig;
  /** 0 when the tenant has never saved one (the defaults apply). */
  version: number;
  updatedAt: Date | null;
}

const parsed = new Map<string, LoadedConfig>();

/** A stored configuration as read from its columns (null: never saved). */
export function configFromColumns(tenantId: string, row: { config: unknown; version: number; updatedAt: Date } | null): LoadedConfig {
  if (!row) {
    const defaults = { config: DEFAULT_CONFIG, version: 0, updatedAt: null };
    parsed.set(tenantId, defaults);
    return defaults;
  }
  const cached = parsed.get(tenantId);
  if (cached && cached.version === row.version) return cached;
  const loaded = { config: LedgerConfig.parse(row.config), version: row.version, updatedAt: row.updatedAt };
  parsed.set(tenantId, loaded);
  return loaded;
}

/** The configuration this process last read for the tenant, if any (the database may have a newer version). */
export const lastReadConfig = (tenantId: string): LoadedConfig | undefined => parsed.get(tenantId);

export async function getConfig(sql: Sql, tenantId: string): Promise<LoadedConfig> {
  const rows = await sql.query<{ config: unknown; version: number; updated_at: Date }>(
    "SELECT config, version, updated_at FROM tenant_configs WHERE tenant_id = $1",
    [tenantId],
  );
  const row = rows[0];
  return configFromColumns(tenantId, row ? { config: row.config, version: row.version, updatedAt: row.updated_at } : null);
}

/** Replaces the configuration and bumps its version; returns null when `expectedVersion` is stale. */
export async function putConfig(sql: Sql, tenantId: string, config: LedgerConfig, now: Date, expectedVersion: number | null): Promise<LoadedConfig | null> {
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
  return row ? configFromColumns(tenantId, { config: row.config, version: row.version, updatedAt: row.updated_at }) : null;
}
