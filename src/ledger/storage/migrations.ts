import type { Database } from "./db.js";
import { coreMigration } from "./migrations/001-core.js";
import { plansMigration } from "./migrations/002-plans.js";
import { portalOutboxMigration } from "./migrations/003-portal-outbox.js";
import { stripeMigration } from "./migrations/004-stripe.js";
import { alertsMigration } from "./migrations/005-alerts.js";
import { alertOverridesMigration } from "./migrations/006-alert-overrides.js";
import { fastDebitsMigration } from "./migrations/007-fast-debits.js";
import { ticketPayersMigration } from "./migrations/008-ticket-payers.js";
import { deskproBillingMigration } from "./migrations/009-deskpro-billing.js";
import { partialRefundsMigration } from "./migrations/010-partial-refunds.js";
import { helpdeskSignupMigration } from "./migrations/011-helpdesk-signup.js";
import { leanerDebitsMigration } from "./migrations/012-leaner-debits.js";
import { finalAnswersMigration } from "./migrations/013-final-answers.js";
import { refusedDeskproChargesMigration } from "./migrations/014-refused-deskpro-charges.js";
import { fairBackgroundMigration } from "./migrations/015-fair-background.js";
import { canonicalHelpdeskOriginsMigration } from "./migrations/016-canonical-helpdesk-origins.js";
import { tenantFirstKeysMigration } from "./migrations/017-tenant-first-keys.js";
import { stripeOrderingMigration } from "./migrations/018-stripe-ordering.js";
import { stripeReceiptsMigration } from "./migrations/019-stripe-receipts.js";
import { autoRechargeMigration } from "./migrations/020-auto-recharge.js";
import { invoicesMigration } from "./migrations/021-invoices.js";
import { overageChoicesMigration } from "./migrations/023-overage-choices.js";
import { rechargeRefundsMigration } from "./migrations/024-recharge-refunds.js";
import type { Migration } from "./migrations/migration.js";

/**
 * Versioned schema migrations. Append new ones; never edit one that has shipped.
 * They run in one transaction under an advisory lock, so two processes starting at once (or
 * `migrate` run twice) apply each exactly once.
 */
export type { Migration } from "./migrations/migration.js";

/** Every migration, one file each under migrations/; versions are unique and only ever appended. */
export const MIGRATIONS: Migration[] = [
  coreMigration,
  plansMigration,
  portalOutboxMigration,
  stripeMigration,
  alertsMigration,
  alertOverridesMigration,
  fastDebitsMigration,
  ticketPayersMigration,
  deskproBillingMigration,
  partialRefundsMigration,
  helpdeskSignupMigration,
  leanerDebitsMigration,
  finalAnswersMigration,
  refusedDeskproChargesMigration,
  fairBackgroundMigration,
  canonicalHelpdeskOriginsMigration,
  tenantFirstKeysMigration,
  stripeOrderingMigration,
  stripeReceiptsMigration,
  autoRechargeMigration,
  invoicesMigration,
  overageChoicesMigration,
  rechargeRefundsMigration,
];

const MIGRATION_LOCK = 7_270_001;

export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  return db.transaction(
    async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
      const done = new Set((await tx.query<{ version: number }>("SELECT version FROM schema_migrations")).map((r) => r.version));
      const applied: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (done.has(migration.version)) continue;
        await tx.exec(migration.sql);
        await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        applied.push(migration.version);
      }
      return applied;
    },
    { deadline: false },
  );
}
