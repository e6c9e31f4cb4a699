import type { Migration } from "./migration.js";

export const fairBackgroundMigration: Migration = {
  version: 15,
  name: "suspended tenants; a circuit breaker per tenant and delivery target; due outbox rows by tenant",
  sql: `
-- An operator's suspension (npm run ledger -- tenant suspend): the tenant's keys and web hooks are
-- refused and its background work pauses; nothing of it is deleted, and resuming clears this.
ALTER TABLE tenants ADD COLUMN suspended_at timestamptz;

-- Where a tenant's outbox deliveries go (its helpdesk, its alert webhooks) and how that has gone
-- lately: after several failures in a row that retrying could fix (time-outs, 5xx) the breaker
-- opens and the tenant's rows for that target wait until next_try_at, so a helpdesk that never
-- answers costs its own tenant time and nobody else's.
CREATE TABLE delivery_breakers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  target text NOT NULL,
  -- Failures in a row; a success sets it back to 0.
  failures integer NOT NULL DEFAULT 0,
  -- When the breaker opened (null while closed) and when the tenant's rows may go again.
  opened_at timestamptz,
  next_try_at timestamptz,
  last_error text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, target)
);

-- Claims take each tenant's oldest due rows, tenant by tenant.
CREATE INDEX outbox_due_by_tenant ON outbox (tenant_id, next_attempt_at, created_at) WHERE state = 'pending';
`,
};
