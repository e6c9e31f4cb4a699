import type { Migration } from "./migration.js";

/**
 * Auto-recharge: a bank's saved card, the pack bought when it falls below a threshold, a monthly
 * cap, and the customer's consent to charges made while they are away.
 * - `recharge_settings`: one row per bank (its Stripe customer and saved card, the choices, and
 *   the failures in a row that switch it off at three).
 * - `recharge_consents`: append-only; who agreed (or changed, or stopped), when, the exact words
 *   shown, and the settings agreed to.
 * - `recharge_attempts`: one row per off-session charge. At most one is pending per bank (a
 *   unique index), so crossings that race make one charge; the attempt's id is what Stripe's
 *   idempotency key and the ledger's grant key are made from.
 * - A trigger keeps single-statement debits from stepping over the threshold unseen: while a
 *   bank's auto-recharge is on, the cached alert floor (`fast_alert_low`) is raised to just under
 *   the threshold, so a debit that would leave the bank below it takes the full posting path,
 *   where auto-recharge looks.
 */
export const autoRechargeMigration: Migration = {
  version: 20,
  name: "auto-recharge: saved cards, consent, off-session charges",
  sql: `
CREATE TABLE recharge_settings (
  tenant_id text NOT NULL REFERENCES tenants(id),
  owner text NOT NULL,
  enabled boolean NOT NULL DEFAULT false,
  stripe_customer_id text,
  payment_method_id text,
  card_saved_at timestamptz,
  pack_id text,
  threshold integer CHECK (threshold >= 0),
  monthly_cap integer CHECK (monthly_cap > 0),
  cap_currency text,
  failures_in_row integer NOT NULL DEFAULT 0 CHECK (failures_in_row >= 0),
  last_failure text,
  last_failure_at timestamptz,
  switched_off_reason text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, owner),
  CHECK (NOT enabled OR (payment_method_id IS NOT NULL AND pack_id IS NOT NULL AND threshold IS NOT NULL AND monthly_cap IS NOT NULL))
);

CREATE TABLE recharge_consents (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  owner text NOT NULL,
  action text NOT NULL CHECK (action IN ('agreed', 'stopped')),
  given_by text NOT NULL,
  words text NOT NULL,
  settings jsonb NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX recharge_consents_by_owner ON recharge_consents (tenant_id, owner, at);
CREATE TRIGGER recharge_consents_append_only BEFORE UPDATE OR DELETE ON recharge_consents
  FOR EACH ROW EXECUTE FUNCTION ledger_forbid_change();

CREATE TABLE recharge_attempts (
  tenant_id text NOT NULL REFERENCES tenants(id),
  id text NOT NULL,
  owner text NOT NULL,
  pack_id text NOT NULL,
  credits integer NOT NULL CHECK (credits > 0),
  amount integer NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  month text NOT NULL,
  state text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed', 'cancelled')),
  payment_intent_id text,
  failure_code text,
  grant_entry_id text,
  created_at timestamptz NOT NULL,
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX recharge_attempts_one_pending ON recharge_attempts (tenant_id, owner) WHERE state = 'pending';
CREATE INDEX recharge_attempts_by_month ON recharge_attempts (tenant_id, owner, month);

CREATE FUNCTION recharge_fast_floor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  below integer;
BEGIN
  IF NEW.fast_version IS NOT NULL THEN
    SELECT s.threshold INTO below FROM recharge_settings s WHERE s.tenant_id = NEW.tenant_id AND s.owner = NEW.owner AND s.enabled;
    IF below IS NOT NULL THEN
      NEW.fast_alert_low := GREATEST(COALESCE(NEW.fast_alert_low, below - 1), below - 1);
    END IF;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER wallets_recharge_fast_floor BEFORE INSERT OR UPDATE OF fast_version, fast_alert_low ON wallets
  FOR EACH ROW EXECUTE FUNCTION recharge_fast_floor();
`,
};
