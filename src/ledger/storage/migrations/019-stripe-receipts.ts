import type { Migration } from "./migration.js";

/**
 * Card payments an admin can watch, and purchases with their receipts and tax:
 * - `stripe_connections.automatic_tax`: the tenant's choice to have Stripe work out tax at Checkout.
 * - `stripe_purchases.invoice_id`: the invoice Checkout made for a paid session (`invoice_creation`).
 * - `stripe_documents`: receipt and invoice addresses as Stripe's events report them, keyed by the
 *   Stripe object they belong to (a payment intent's charge receipt, an invoice's hosted page), so
 *   they are kept whichever event arrives first.
 * - `stripe_webhook_status`: the last signed event the webhook received and what the ledger did.
 */
export const stripeReceiptsMigration: Migration = {
  version: 19,
  name: "card payments: receipts, invoices, automatic tax and the last webhook event",
  sql: `
ALTER TABLE stripe_connections ADD COLUMN automatic_tax boolean NOT NULL DEFAULT false;

ALTER TABLE stripe_purchases ADD COLUMN invoice_id text;

CREATE TABLE stripe_documents (
  tenant_id text NOT NULL REFERENCES tenants(id),
  stripe_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('receipt', 'invoice')),
  url text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, stripe_id)
);

CREATE TABLE stripe_webhook_status (
  tenant_id text NOT NULL REFERENCES tenants(id),
  event_id text NOT NULL,
  event_type text NOT NULL,
  outcome text NOT NULL,
  detail text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id)
);
`,
};
