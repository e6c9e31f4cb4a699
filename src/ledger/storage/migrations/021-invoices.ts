import type { Migration } from "./migration.js";

/**
 * Buying credits by invoice on net terms:
 * - `stripe_customers`: the Stripe Customer made for a bank (one per organisation), reused by
 *   every later invoice, with the billing email it was given.
 * - `stripe_invoices`: one row per Idempotency-Key that asked for an invoice, written before Stripe
 *   is called (so an event that overtakes the answer still finds it by the ledger's id in the
 *   invoice's metadata), with the pack as it was then and what became of the invoice. The grant is
 *   written once: its idempotency key is the row's id, and the row is locked in the grant's
 *   transaction.
 */
export const invoicesMigration: Migration = {
  version: 21,
  name: "credits bought by invoice: Stripe customers and invoices",
  sql: `
CREATE TABLE stripe_customers (
  tenant_id text NOT NULL REFERENCES tenants(id),
  owner text NOT NULL,
  customer_id text NOT NULL,
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, owner)
);

CREATE TABLE stripe_invoices (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  scope text NOT NULL CHECK (scope IN ('client', 'ledger')),
  key text NOT NULL,
  request_hash text NOT NULL,
  owner text NOT NULL,
  pack_id text NOT NULL,
  credits integer NOT NULL CHECK (credits > 0),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  days_until_due integer NOT NULL CHECK (days_until_due > 0),
  email text NOT NULL,
  agent text,
  state text NOT NULL DEFAULT 'issuing' CHECK (state IN ('issuing', 'open', 'paid', 'void', 'uncollectible')),
  stripe_invoice_id text,
  number text,
  hosted_invoice_url text,
  due_at timestamptz,
  grant_entry_id text,
  created_at timestamptz NOT NULL,
  paid_at timestamptz,
  closed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, scope, key)
);
CREATE UNIQUE INDEX stripe_invoices_stripe_id ON stripe_invoices (tenant_id, stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;
CREATE INDEX stripe_invoices_owner ON stripe_invoices (tenant_id, owner, created_at DESC);
`,
};
