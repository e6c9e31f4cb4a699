import type { Migration } from "./migration.js";

/**
 * Refunds of auto-recharge charges: like a card purchase's row, an attempt records Stripe's running
 * refunded total (the share of the pack already acted on) and the credits its refunds took back.
 */
export const rechargeRefundsMigration: Migration = {
  version: 24,
  name: "auto-recharge refunds: the refunded total and credits taken back per attempt",
  sql: `
ALTER TABLE recharge_attempts
  ADD COLUMN amount_refunded integer NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
  ADD COLUMN credits_reversed integer NOT NULL DEFAULT 0 CHECK (credits_reversed >= 0);
`,
};
