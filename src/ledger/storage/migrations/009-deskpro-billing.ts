import type { Migration } from "./migration.js";

/**
 * The link with Deskpro's Billing & Time Log: the tenant's settings, every Deskpro charge the
 * ledger has seen and the debit that counts it, and the sidebar time it wrote to Deskpro.
 */
export const deskproBillingMigration: Migration = {
  version: 9,
  name: "Deskpro billing and time log link",
  sql: `
CREATE TABLE deskpro_billing_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  from_deskpro boolean NOT NULL,
  to_deskpro boolean NOT NULL,
  credits_per_currency_unit integer,
  -- When the link started: the first read of one of the helpdesk's Billing tabs, or Deskpro → bank
  -- being switched back on. Charges made before it are never counted.
  linked_from timestamptz,
  last_read_at timestamptz,
  last_read_ticket text,
  last_read_error text,
  updated_at timestamptz NOT NULL
);

-- One row per part (time, money) of each Deskpro charge seen. entry_id is the last debit posted
-- for it (a reversal may have followed); counted_units is what that debit counts, NULL when
-- nothing does. sync_seq is the read that last wrote the row: an older read never overwrites a newer one.
CREATE TABLE deskpro_charges (
  tenant_id text NOT NULL REFERENCES tenants(id),
  charge_id bigint NOT NULL,
  part text NOT NULL CHECK (part IN ('time', 'money')),
  ticket_id text NOT NULL,
  state text NOT NULL,
  -- What Deskpro says now: seconds of time, or the amount in hundredths of the currency.
  units bigint NOT NULL,
  counted_units bigint,
  entry_id text REFERENCES entries(id),
  date_created timestamptz,
  sync_seq bigint NOT NULL,
  first_seen_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, charge_id, part)
);
CREATE INDEX deskpro_charges_ticket ON deskpro_charges (tenant_id, ticket_id);
CREATE INDEX deskpro_charges_seen ON deskpro_charges (tenant_id, first_seen_at DESC);
CREATE INDEX deskpro_charges_updated ON deskpro_charges (tenant_id, updated_at DESC);

-- Sidebar time written to the ticket's Billing tab, one row per time entry, with the charge
-- Deskpro made for it. Such charges are never counted back.
CREATE TABLE deskpro_charge_writes (
  tenant_id text NOT NULL REFERENCES tenants(id),
  entry_id text NOT NULL REFERENCES entries(id),
  ticket_id text NOT NULL,
  seconds bigint NOT NULL,
  comment text NOT NULL,
  -- In the comment, and looked for before posting, so a redelivery finds the charge it made.
  marker text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'written', 'cancelled', 'removed', 'failed')),
  -- Set just before the first POST: from then on Deskpro may hold the charge without our knowing its id.
  attempted boolean NOT NULL DEFAULT false,
  charge_id bigint,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, entry_id)
);
CREATE UNIQUE INDEX deskpro_charge_writes_charge ON deskpro_charge_writes (tenant_id, charge_id) WHERE charge_id IS NOT NULL;
CREATE INDEX deskpro_charge_writes_ticket ON deskpro_charge_writes (tenant_id, ticket_id);

-- Numbers each read of a Billing tab in the order the reads started.
CREATE SEQUENCE deskpro_billing_reads;
`,
};
