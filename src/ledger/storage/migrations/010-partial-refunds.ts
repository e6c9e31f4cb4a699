import type { Migration } from "./migration.js";

export const partialRefundsMigration: Migration = {
  version: 10,
  name: "card purchases: money refunded so far, for partial refunds",
  sql: `
-- Stripe reports a charge's refunds as a running total; each refund event takes back the credits
-- that its new total adds, so the total already acted on is kept with the purchase.
ALTER TABLE stripe_purchases ADD COLUMN amount_refunded bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0);

-- Refunds before this were all treated as full refunds: a redelivered event for one takes nothing more.
UPDATE stripe_purchases SET amount_refunded = amount WHERE state = 'refunded';
`,
};
