import type { Migration } from "./migration.js";

export const portalOutboxMigration: Migration = {
  version: 3,
  name: "portal tiers: outbox, Deskpro connection, portal settings and tickets",
  sql: `
-- Work for the outside world (Deskpro write-backs, queued webhooks from Deskpro, alert fan-out),
-- written in the same transaction as the ledger change that calls for it and delivered at least
-- once by a deliverer that retries. dedupe_key makes a repeated cause one row.
CREATE TABLE outbox (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants(id),
  kind text NOT NULL,
  dedupe_key text NOT NULL,
  payload jsonb NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Bumped when a finished row is asked for again (a coalesced job): a delivery that claimed an
  -- older generation does not mark the newer request done.
  generation integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  locked_until timestamptz,
  -- The last failure, short and without secrets.
  last_error text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  done_at timestamptz,
  UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE state = 'pending';
CREATE INDEX outbox_tenant ON outbox (tenant_id, created_at DESC);

-- The tenant's Deskpro helpdesk. The API key and webhook secret are AES-256-GCM ciphertexts
-- under the server's key (LEDGER_SECRETS_KEY); the API never returns them.
CREATE TABLE deskpro_connections (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  url text NOT NULL,
  api_key_id text,
  api_key_ciphertext text,
  webhook_secret_ciphertext text,
  updated_at timestamptz NOT NULL
);

CREATE TABLE portal_settings (
  tenant_id text PRIMARY KEY REFERENCES tenants(id),
  settings jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

-- What the ledger last saw and did on each portal ticket, so an update is judged against the
-- previous state (which field or priority changed) rather than guessed.
CREATE TABLE portal_tickets (
  tenant_id text NOT NULL REFERENCES tenants(id),
  ticket_id text NOT NULL,
  owner text,
  requested_tier text,
  charged_tier text,
  charge_entry_id text,
  outcome text NOT NULL,
  last_field_tier text,
  last_priority_id integer,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, ticket_id)
);
`,
};
