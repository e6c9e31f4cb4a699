import type { Migration } from "./migration.js";

export const alertsMigration: Migration = {
  version: 5,
  name: "low-balance alerts: levels fired per bank, alert settings",
  sql: `
-- The alert levels (credits) the bank is below and has been told about; changed only in the
-- transaction of the entry that crossed, so each crossing fires once.
ALTER TABLE wallets ADD COLUMN alert_fired integer[] NOT NULL DEFAULT '{}';

-- Message wording and outgoing webhook endpoints. Webhook signing secrets are sealed.
CREATE TABLE alert_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  settings jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);
`,
};
