import type { Migration } from "./migration.js";

export const plansMigration: Migration = {
  version: 2,
  name: "plans: allocation period and the Deskpro facts plan rules read",
  sql: `
-- The start of the last period this bank was allocated for: under the bank's row lock, a period
-- is allocated at most once whoever asks (a write, a read, the cron endpoint).
ALTER TABLE wallets ADD COLUMN allocated_from timestamptz;
-- What Deskpro knows about the bank's people and organisation (fields, SLAs), for plan rules.
ALTER TABLE wallets ADD COLUMN profile jsonb;
CREATE INDEX wallets_allocation ON wallets (tenant_id, owner) WHERE plan_key IS NOT NULL OR profile IS NOT NULL;
`,
};
