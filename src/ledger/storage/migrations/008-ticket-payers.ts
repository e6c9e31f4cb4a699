import type { Migration } from "./migration.js";

export const ticketPayersMigration: Migration = {
  version: 8,
  name: "ticket payers pinned at the first charge; banks' names from Deskpro",
  sql: `
-- The bank that pays for a ticket, pinned at its first charge (or by an agent's explicit change),
-- so the payer does not move when a bank elsewhere gets a plan or credits.
CREATE TABLE ticket_payers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  ticket_id text NOT NULL,
  owner text NOT NULL,
  how text NOT NULL CHECK (how IN ('first_charge', 'agent')),
  agent text,
  note text,
  previous_owner text,
  pinned_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, ticket_id)
);

-- The organisation's or person's name as Deskpro last gave it, for the customer page.
ALTER TABLE wallets ADD COLUMN display_name text;
ALTER TABLE wallets ADD COLUMN display_name_at timestamptz;
`,
};
