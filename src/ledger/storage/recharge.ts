/** SQL for auto-recharge: a bank's settings and saved card, its consents, and its off-session charges. */
import type { Sql } from "./db.js";

export interface RechargeSettingsRow {
  owner: string;
  enabled: boolean;
  stripeCustomerId: string | null;
  paymentMethodId: string | null;
  cardSavedAt: Date | null;
  packId: string | null;
  threshold: number | null;
  monthlyCap: number | null;
  capCurrency: string | null;
  failuresInRow: number;
  lastFailure: string | null;
  lastFailureAt: Date | null;
  switchedOffReason: string | null;
  updatedAt: Date;
}

interface SettingsDbRow {
  owner: string;
  enabled: boolean;
  stripe_customer_id: string | null;
  payment_method_id: string | null;
  card_saved_at: Date | null;
  pack_id: string | null;
  threshold: number | null;
  monthly_cap: number | null;
  cap_currency: string | null;
  failures_in_row: number;
  last_failure: string | null;
  last_failure_at: Date | null;
  switched_off_reason: string | null;
  updated_at: Date;
}

const settingsColumns =
  "owner, enabled, stripe_customer_id, payment_method_id, card_saved_at, pack_id, threshold, monthly_cap, cap_currency, failures_in_row, last_failure, last_failure_at, switched_off_reason, updated_at";

const toSettings = (r: SettingsDbRow): RechargeSettingsRow => ({
  owner: r.owner,
  enabled: r.enabled,
  stripeCustomerId: r.stripe_customer_id,
  paymentMethodId: r.payment_method_id,
  cardSavedAt: r.card_saved_at,
  packId: r.pack_id,
  threshold: r.threshold,
  monthlyCap: r.monthly_cap,
  capCurrency: r.cap_currency,
  failuresInRow: r.failures_in_row,
  lastFailure: r.last_failure,
  lastFailureAt: r.last_failure_at,
  switchedOffReason: r.switched_off_reason,
  updatedAt: r.updated_at,
});

export async function getSettings(sql: Sql, tenantId: string, owner: string, lock = false): Promise<RechargeSettingsRow | null> {
  const rows = await sql.query<SettingsDbRow>(
    `SELECT ${settingsColumns} FROM recharge_settings WHERE tenant_id = $1 AND owner = $2${lock ? " FOR UPDATE" : ""}`,
    [tenantId, owner],
  );
  return rows[0] ? toSettings(rows[0]) : null;
}

/** The bank's Stripe customer, made once: a second caller keeps the first one's. */
export async function setCustomer(sql: Sql, tenantId: string, owner: string, customerId: string, now: Date): Promise<string> {
  const rows = await sql.query<{ stripe_customer_id: string }>(
    `INSERT INTO recharge_settings AS s (tenant_id, owner, stripe_customer_id, updated_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id, owner) DO UPDATE SET stripe_customer_id = coalesce(s.stripe_customer_id, EXCLUDED.stripe_customer_id)
     RETURNING stripe_customer_id`,
    [tenantId, owner, customerId, now],
  );
  return rows[0]!.stripe_customer_id;
}

/** A card saved through Checkout in setup mode; a new card starts with no failures. */
export async function saveCard(sql: Sql, tenantId: string, owner: string, card: { customerId: string; paymentMethodId: string; now: Date }): Promise<void> {
  await sql.query(
    `INSERT INTO recharge_settings AS s (tenant_id, owner, stripe_customer_id, payment_method_id, card_saved_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (tenant_id, owner) DO UPDATE SET stripe_customer_id = EXCLUDED.stripe_customer_id, payment_method_id = EXCLUDED.payment_method_id,
       card_saved_at = EXCLUDED.card_saved_at, failures_in_row = 0, updated_at = EXCLUDED.updated_at`,
    [tenantId, owner, card.customerId, card.paymentMethodId, card.now],
  );
}

/**
 * Turns auto-recharge on with these choices (clearing failures and any switch-off), or off. The
 * wallet's single-statement facts are dropped either way, so its next debit takes the full path
 * and the cached floor is worked out again under the new threshold.
 */
export async function putChoices(
  sql: Sql,
  tenantId: string,
  owner: string,
  choices: { enabled: true; packId: string; threshold: number; monthlyCap: number; capCurrency: string } | { enabled: false; reason: string | null },
  now: Date,
): Promise<void> {
  if (choices.enabled)
    await sql.query(
      `UPDATE recharge_settings SET enabled = true, pack_id = $3, threshold = $4, monthly_cap = $5, cap_currency = $6, failures_in_row = 0,
         switched_off_reason = NULL, updated_at = $7 WHERE tenant_id = $1 AND owner = $2`,
      [tenantId, owner, choices.packId, choices.threshold, choices.monthlyCap, choices.capCurrency, now],
    );
  else
    await sql.query("UPDATE recharge_settings SET enabled = false, switched_off_reason = $3, updated_at = $4 WHERE tenant_id = $1 AND owner = $2", [
      tenantId,
      owner,
      choices.reason,
      now,
    ]);
  await sql.query("UPDATE wallets SET fast_version = NULL WHERE tenant_id = $1 AND owner = $2", [tenantId, owner]);
}

export interface ConsentRow {
  id: string;
  owner: string;
  action: "agreed" | "stopped";
  givenBy: string;
  words: string;
  settings: unknown;
  at: Date;
}

export async function recordConsent(sql: Sql, tenantId: string, consent: ConsentRow): Promise<void> {
  await sql.query(
    "INSERT INTO recharge_consents (tenant_id, id, owner, action, given_by, words, settings, at) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
    [tenantId, consent.id, consent.owner, consent.action, consent.givenBy, consent.words, JSON.stringify(consent.settings), consent.at],
  );
}

export async function listConsents(sql: Sql, tenantId: string, owner: string, limit: number): Promise<ConsentRow[]> {
  const rows = await sql.query<{ id: string; owner: string; action: "agreed" | "stopped"; given_by: string; words: string; settings: unknown; at: Date }>(
    "SELECT id, owner, action, given_by, words, settings, at FROM recharge_consents WHERE tenant_id = $1 AND owner = $2 ORDER BY at DESC, id DESC LIMIT $3",
    [tenantId, owner, limit],
  );
  return rows.map((r) => ({ id: r.id, owner: r.owner, action: r.action, givenBy: r.given_by, words: r.words, settings: r.settings, at: r.at }));
}

export type AttemptState = "pending" | "succeeded" | "failed" | "cancelled";

export interface AttemptRow {
  id: string;
  owner: string;
  packId: string;
  credits: number;
  amount: number;
  currency: string;
  month: string;
  state: AttemptState;
  paymentIntentId: string | null;
  failureCode: string | null;
  grantEntryId: string | null;
  /** Stripe's refunded total for the charge acted on so far, in the currency's minor unit. */
  amountRefunded: number;
  /** The credits the charge's refunds took back. */
  creditsReversed: number;
  createdAt: Date;
  finishedAt: Date | null;
}

interface AttemptDbRow {
  id: string;
  owner: string;
  pack_id: string;
  credits: number;
  amount: number;
  currency: string;
  month: string;
  state: AttemptState;
  payment_intent_id: string | null;
  failure_code: string | null;
  grant_entry_id: string | null;
  amount_refunded: number;
  credits_reversed: number;
  created_at: Date;
  finished_at: Date | null;
}

const attemptColumns =
  "id, owner, pack_id, credits, amount, currency, month, state, payment_intent_id, failure_code, grant_entry_id, amount_refunded, credits_reversed, created_at, finished_at";
const toAttempt = (r: AttemptDbRow): AttemptRow => ({
  id: r.id,
  owner: r.owner,
  packId: r.pack_id,
  credits: r.credits,
  amount: r.amount,
  currency: r.currency,
  month: r.month,
  state: r.state,
  paymentIntentId: r.payment_intent_id,
  failureCode: r.failure_code,
  grantEntryId: r.grant_entry_id,
  amountRefunded: Number(r.amount_refunded),
  creditsReversed: Number(r.credits_reversed),
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export async function getAttempt(sql: Sql, tenantId: string, id: string, lock = false): Promise<AttemptRow | null> {
  const rows = await sql.query<AttemptDbRow>(`SELECT ${attemptColumns} FROM recharge_attempts WHERE tenant_id = $1 AND id = $2${lock ? " FOR UPDATE" : ""}`, [
    tenantId,
    id,
  ]);
  return rows[0] ? toAttempt(rows[0]) : null;
}

export async function pendingAttempt(sql: Sql, tenantId: string, owner: string): Promise<AttemptRow | null> {
  const rows = await sql.query<AttemptDbRow>(`SELECT ${attemptColumns} FROM recharge_attempts WHERE tenant_id = $1 AND owner = $2 AND state = 'pending'`, [
    tenantId,
    owner,
  ]);
  return rows[0] ? toAttempt(rows[0]) : null;
}

/** What the month's charges hold of the cap: those paid and the one under way (a failed charge took nothing). */
export async function usedThisMonth(sql: Sql, tenantId: string, owner: string, month: string, currency: string): Promise<number> {
  const rows = await sql.query<{ used: number | string | null }>(
    `SELECT sum(amount) AS used FROM recharge_attempts
     WHERE tenant_id = $1 AND owner = $2 AND month = $3 AND currency = $4 AND state IN ('pending', 'succeeded')`,
    [tenantId, owner, month, currency],
  );
  return Number(rows[0]?.used ?? 0);
}

/** A new pending attempt, or null when the bank has one pending already (the unique index decides). */
export async function startAttempt(
  sql: Sql,
  tenantId: string,
  a: Omit<AttemptRow, "state" | "paymentIntentId" | "failureCode" | "grantEntryId" | "amountRefunded" | "creditsReversed" | "finishedAt">,
): Promise<boolean> {
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO recharge_attempts (tenant_id, id, owner, pack_id, credits, amount, currency, month, state, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)
     ON CONFLICT (tenant_id, owner) WHERE state = 'pending' DO NOTHING RETURNING id`,
    [tenantId, a.id, a.owner, a.packId, a.credits, a.amount, a.currency, a.month, a.createdAt],
  );
  return rows.length === 1;
}

export async function notePaymentIntent(sql: Sql, tenantId: string, id: string, paymentIntentId: string): Promise<void> {
  await sql.query("UPDATE recharge_attempts SET payment_intent_id = coalesce(payment_intent_id, $3) WHERE tenant_id = $1 AND id = $2", [
    tenantId,
    id,
    paymentIntentId,
  ]);
}

/** Ends a pending attempt as failed or cancelled; false when it had ended already. */
export async function endAttempt(
  sql: Sql,
  tenantId: string,
  id: string,
  end: { state: "failed" | "cancelled"; failureCode: string; paymentIntentId: string | null; now: Date },
): Promise<boolean> {
  const rows = await sql.query<{ id: string }>(
    `UPDATE recharge_attempts SET state = $3, failure_code = $4, payment_intent_id = coalesce(payment_intent_id, $5), finished_at = $6
     WHERE tenant_id = $1 AND id = $2 AND state = 'pending' RETURNING id`,
    [tenantId, id, end.state, end.failureCode, end.paymentIntentId, end.now],
  );
  return rows.length === 1;
}

export async function markSucceeded(sql: Sql, tenantId: string, id: string, paid: { paymentIntentId: string; grantEntryId: string; now: Date }): Promise<void> {
  await sql.query(
    `UPDATE recharge_attempts SET state = 'succeeded', payment_intent_id = $3, grant_entry_id = $4, failure_code = NULL, finished_at = $5
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, paid.paymentIntentId, paid.grantEntryId, paid.now],
  );
}

/** One more failure in a row; answers the count. At `switchOffAt` auto-recharge is switched off with `reason`. */
export async function countFailure(
  sql: Sql,
  tenantId: string,
  owner: string,
  failure: { words: string; now: Date; switchOffAt: number; reason: string },
): Promise<number> {
  const rows = await sql.query<{ failures_in_row: number }>(
    `UPDATE recharge_settings SET failures_in_row = failures_in_row + 1, last_failure = $3, last_failure_at = $4,
       enabled = enabled AND failures_in_row + 1 < $5,
       switched_off_reason = CASE WHEN enabled AND failures_in_row + 1 >= $5 THEN $6 ELSE switched_off_reason END
     WHERE tenant_id = $1 AND owner = $2 RETURNING failures_in_row`,
    [tenantId, owner, failure.words, failure.now, failure.switchOffAt, failure.reason],
  );
  return rows[0]?.failures_in_row ?? 0;
}

export async function resetFailures(sql: Sql, tenantId: string, owner: string): Promise<void> {
  await sql.query("UPDATE recharge_settings SET failures_in_row = 0 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner]);
}

/**
 * Records a refund's running total for an attempt's charge and the credits it took back. A total no
 * higher than the one recorded changes nothing; says whether it was higher.
 */
export async function recordAttemptRefund(sql: Sql, tenantId: string, id: string, refund: { amountRefunded: number; creditsTaken: number }): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE recharge_attempts SET amount_refunded = $3, credits_reversed = credits_reversed + $4
     WHERE tenant_id = $1 AND id = $2 AND amount_refunded < $3 RETURNING id`,
    [tenantId, id, refund.amountRefunded, refund.creditsTaken],
  );
  return rows.length > 0;
}
