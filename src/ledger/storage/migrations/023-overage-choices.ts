import type { Migration } from "./migration.js";

/**
 * Asked before overage: when a bank can't pay for the tier a customer picked, the customer may
 * approve the extra credits on a signed page.
 * - `overage_settings`: how far past its balance (and plan overdraft) a bank may go on one
 *   ticket when its customer approves; 0 turns the question off.
 * - `overage_offers`: each question asked on a ticket and its one answer. `dedupe_key` makes the
 *   portal job's retries ask once; `answer` is written once (the update that writes it requires it
 *   to be null), in the transaction that charges an approval.
 */
export const overageChoicesMigration: Migration = {
  version: 23,
  name: "asked before overage: the per-ticket limit and the customer's choices",
  sql: `
CREATE TABLE overage_settings (
  tenant_id text NOT NULL REFERENCES tenants(id),
  per_ticket_limit integer NOT NULL CHECK (per_ticket_limit >= 0),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id)
);

CREATE TABLE overage_offers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  offer_id text NOT NULL,
  ticket_id text NOT NULL,
  dedupe_key text NOT NULL,
  owner text NOT NULL,
  tier text NOT NULL,
  price integer NOT NULL CHECK (price > 0),
  balance integer NOT NULL,
  shortfall integer NOT NULL CHECK (shortfall > 0),
  asked_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  answer text CHECK (answer IN ('approved', 'kept_free', 'withdrawn')),
  answered_at timestamptz,
  entry_id text,
  PRIMARY KEY (tenant_id, offer_id),
  UNIQUE (tenant_id, ticket_id, dedupe_key)
);
CREATE INDEX overage_offers_by_ticket ON overage_offers (tenant_id, ticket_id, asked_at DESC);
`,
};
