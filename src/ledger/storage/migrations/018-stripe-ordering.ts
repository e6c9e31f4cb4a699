import type { Migration } from "./migration.js";

/**
 * Card purchases that hold under Stripe's retries and reordering:
 * - `stripe_checkout_requests`: the first time a checkout's Idempotency-Key was seen, and the
 *   request it named. A retry signs its return links at that same moment, so it sends Stripe the
 *   same parameters and gets the same session back; another request under the key is refused.
 * - `stripe_early_refunds`: a charge's refunds reported before the payment's own event said which
 *   purchase the charge paid for; taken back when that event arrives.
 */
export const stripeOrderingMigration: Migration = {
  version: 18,
  name: "card purchases: checkout retries and refunds that overtake their payment",
  sql: `
CREATE TABLE stripe_checkout_requests (
  tenant_id text NOT NULL REFERENCES tenants(id),
  scope text NOT NULL CHECK (scope IN ('client', 'ledger')),
  key text NOT NULL,
  request_hash text NOT NULL,
  started_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, scope, key)
);

CREATE TABLE stripe_early_refunds (
  tenant_id text NOT NULL REFERENCES tenants(id),
  payment_intent_id text NOT NULL,
  charge_amount bigint NOT NULL CHECK (charge_amount > 0),
  amount_refunded bigint NOT NULL CHECK (amount_refunded >= 0),
  currency text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, payment_intent_id)
);
`,
};
