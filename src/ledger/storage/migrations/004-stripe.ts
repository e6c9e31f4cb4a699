import type { Migration } from "./migration.js";

export const stripeMigration: Migration = {
  version: 4,
  name: "card purchases: Stripe connection and checkout sessions",
  sql: `
-- The tenant's Stripe account. Key and signing secret are AES-256-GCM ciphertexts under the
-- server's LEDGER_SECRETS_KEY; the API never returns them.
CREATE TABLE stripe_connections (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  secret_key_ciphertext text,
  secret_key_last4 text,
  mode text CHECK (mode IN ('test', 'live')),
  webhook_secret_ciphertext text,
  updated_at timestamptz NOT NULL
);

-- One row per Checkout Session: what was offered (pack, credits and price at that moment), and
-- what became of it. The grant is written once per session: the row is locked and its state
-- checked inside the grant's transaction.
CREATE TABLE stripe_purchases (
  tenant_id text NOT NULL REFERENCES tenants(id),
  session_id text NOT NULL,
  owner text NOT NULL,
  pack_id text NOT NULL,
  credits integer NOT NULL CHECK (credits > 0),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'paid', 'refunded')),
  payment_intent_id text,
  grant_entry_id text,
  credits_reversed integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL,
  paid_at timestamptz,
  PRIMARY KEY (tenant_id, session_id)
);
CREATE INDEX stripe_purchases_owner ON stripe_purchases (tenant_id, owner, created_at DESC);
CREATE INDEX stripe_purchases_payment_intent ON stripe_purchases (tenant_id, payment_intent_id) WHERE payment_intent_id IS NOT NULL;
`,
};
