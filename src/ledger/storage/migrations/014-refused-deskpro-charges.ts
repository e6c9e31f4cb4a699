import type { Migration } from "./migration.js";

/**
 * A part of a Deskpro charge the ledger can't take (a time it can't read, more minutes or credits
 * than one entry takes) is recorded with state 'refused' and why, so agents and admins see it and
 * the ticket's other charges still count. A nullable column without a default: no table rewrite.
 */
export const refusedDeskproChargesMigration: Migration = {
  version: 14,
  name: "Refused Deskpro charges",
  sql: `
ALTER TABLE deskpro_charges ADD COLUMN refusal text
  CHECK (refusal IN ('out_of_range', 'over_write_limit', 'over_credit_limit'));
-- The settings page counts and lists a tenant's refused charges.
CREATE INDEX deskpro_charges_refused ON deskpro_charges (tenant_id, updated_at DESC) WHERE state = 'refused';
`,
};
