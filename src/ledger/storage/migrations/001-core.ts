import type { Migration } from "./migration.js";

export const coreMigration: Migration = {
  version: 1,
  name: "ledger core: tenants, keys, config, wallets, grants, entries, idempotency",
  sql: `
CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL
);

-- API keys are stored as SHA-256 hashes: keys are 256-bit random, so a fast hash is enough and a
-- leaked table reveals no usable key.
CREATE TABLE api_keys (
  key_hash text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  key_prefix text NOT NULL,
  created_at timestamptz NOT NULL,
  revoked_at timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE tenant_configs (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  config jsonb NOT NULL,
  version integer NOT NULL,
  updated_at timestamptz NOT NULL
);

-- One row per bank. balance is a cache of the sum of the bank's entries, kept in the same
-- transaction as every entry; the row is also the lock that serialises writes to the bank.
CREATE TABLE wallets (
  tenant_id text NOT NULL REFERENCES tenants(id),
  owner text NOT NULL,
  balance bigint NOT NULL DEFAULT 0,
  plan_key text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, owner)
);

-- A grant is a block of credits. Its terms never change; remaining is the cached part not yet
-- spent, expired or voided, and closed_at marks it no longer spendable.
CREATE TABLE grants (
  -- Creation order, the burn-down's last tie-break (ids are only millisecond-ordered).
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  owner text NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  remaining bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
  source text NOT NULL,
  paid boolean NOT NULL,
  starts_at timestamptz NOT NULL,
  expires_at timestamptz,
  closed_at timestamptz,
  created_at timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, owner) REFERENCES wallets (tenant_id, owner)
);
CREATE INDEX grants_open ON grants (tenant_id, owner) WHERE closed_at IS NULL;

-- The journal. Append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE entries (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  tenant_id text NOT NULL,
  owner text NOT NULL,
  kind text NOT NULL,
  amount bigint NOT NULL,
  balance_after bigint NOT NULL,
  reason text,
  ticket_id text,
  agent text,
  minutes integer,
  tier text,
  grant_id text REFERENCES grants(id),
  reverses_entry_id text REFERENCES entries(id),
  created_at timestamptz NOT NULL,
  FOREIGN KEY (tenant_id, owner) REFERENCES wallets (tenant_id, owner)
);
CREATE UNIQUE INDEX entries_seq ON entries (seq);
CREATE INDEX entries_statement ON entries (tenant_id, owner, seq DESC);
CREATE INDEX entries_ticket ON entries (tenant_id, ticket_id, seq) WHERE ticket_id IS NOT NULL;
-- An entry is reversed at most once, whatever races.
CREATE UNIQUE INDEX entries_one_reversal ON entries (reverses_entry_id) WHERE reverses_entry_id IS NOT NULL;
-- A grant expires at most once.
CREATE UNIQUE INDEX entries_one_expiry ON entries (grant_id) WHERE kind = 'expiry';

-- Which grants a debit drew on (negative) or a refund returned to (positive).
CREATE TABLE entry_draws (
  entry_id text NOT NULL REFERENCES entries(id),
  grant_id text NOT NULL REFERENCES grants(id),
  amount bigint NOT NULL,
  PRIMARY KEY (entry_id, grant_id)
);

CREATE FUNCTION ledger_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed', TG_OP, TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();
CREATE TRIGGER entry_draws_append_only BEFORE UPDATE OR DELETE ON entry_draws
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

-- Idempotency records for successful writes, stored in the write's own transaction.
CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL REFERENCES tenants(id),
  key text NOT NULL,
  request_hash text NOT NULL,
  status integer,
  -- The answer exactly as first sent (text, not jsonb, so a replay is byte-for-byte the same).
  response text,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, key)
);
`,
};
