import type { Migration } from "./migration.js";

export const alertOverridesMigration: Migration = {
  version: 6,
  name: "per-bank alert levels; finding grants about to expire",
  sql: `
-- A bank's own low-balance levels (a JSON list like the plan's); NULL follows the plan or the helpdesk.
ALTER TABLE wallets ADD COLUMN alert_levels jsonb;

-- The cron's search for grants that still hold credits and expire soon (credits.expiring).
CREATE INDEX grants_expiring ON grants (tenant_id, expires_at) WHERE closed_at IS NULL AND remaining > 0 AND expires_at IS NOT NULL;
`,
};
