/** SQL for card purchases: the tenant's Stripe connection and its Checkout Sessions. */
import type { Sql } from "./db.js";

export interface StripeConnectionRow {
  secretKeyCiphertext: string | null;
  secretKeyLast4: string | null;
  mode: "test" | "live" | null;
  webhookSecretCiphertext: string | null;
  updatedAt: Date;
}

export async function getStripeConnection(sql: Sql, tenantId: string): Promise<StripeConnectionRow | null> {
  const rows = await sql.query<{
    secret_key_ciphertext: string | null;
    secret_key_last4: string | null;
    mode: "test" | "live" | null;
    webhook_secret_ciphertext: string | null;
    updated_at: Date;
  }>("SELECT secret_key_ciphertext, secret_key_last4, mode, webhook_secret_ciphertext, updated_at FROM stripe_connections WHERE tenant_id = $1", [tenantId]);
  const row = rows[0];
  return row
    ? {
        secretKeyCiphertext: row.secret_key_ciphertext,
        secretKeyLast4: row.secret_key_last4,
        mode: row.mode,
        webhookSecretCiphertext: row.webhook_secret_ciphertext,
        updatedAt: row.updated_at,
      }
    : null;
}

/** Null values keep what is stored. */
export async function putStripeConnection(
  sql: Sql,
  tenantId: string,
  values: {
    secretKeyCiphertext: string | null;
    secretKeyLast4: string | null;
    mode: "test" | "live" | null;
    webhookSecretCiphertext: string | null;
    now: Date;
  },
): Promise<void> {
  await sql.query(
    `INSERT INTO stripe_connections AS c (tenant_id, secret_key_ciphertext, secret_key_last4, mode, webhook_secret_ciphertext, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id) DO UPDATE SET
       secret_key_ciphertext = coalesce(EXCLUDED.secret_key_ciphertext, c.secret_key_ciphertext),
       secret_key_last4 = coalesce(EXCLUDED.secret_key_last4, c.secret_key_last4),
       mode = coalesce(EXCLUDED.mode, c.mode),
       webhook_secret_ciphertext = coalesce(EXCLUDED.webhook_secret_ciphertext, c.webhook_secret_ciphertext),
       updated_at = EXCLUDED.updated_at`,
    [tenantId, values.secretKeyCiphertext, values.secretKeyLast4, values.mode, values.webhookSecretCiphertext, values.now],
  );
}

export interface PurchaseRow {
  sessionId: string;
  owner: string;
  packId: string;
  credits: number;
  amount: number;
  currency: string;
  state: "open" | "paid" | "refunded";
  paymentIntentId: string | null;
  grantEntryId: string | null;
  /** Money refunded so far (Stripe's running total), in the currency's minor unit. */
  amountRefunded: number;
  /** Credits taken back so far. */
  creditsReversed: number;
  createdAt: Date;
  paidAt: Date | null;
}

type RawPurchase = {
  session_id: string;
  owner: string;
  pack_id: string;
  credits: number;
  amount: string | number;
  currency: string;
  state: PurchaseRow["state"];
  payment_intent_id: string | null;
  grant_entry_id: string | null;
  amount_refunded: string | number;
  credits_reversed: number;
  created_at: Date;
  paid_at: Date | null;
};

const COLUMNS =
  "session_id, owner, pack_id, credits, amount, currency, state, payment_intent_id, grant_entry_id, amount_refunded, credits_reversed, created_at, paid_at";

const toPurchase = (r: RawPurchase): PurchaseRow => ({
  sessionId: r.session_id,
  owner: r.owner,
  packId: r.pack_id,
  credits: r.credits,
  amount: Number(r.amount),
  currency: r.currency,
  state: r.state,
  paymentIntentId: r.payment_intent_id,
  grantEntryId: r.grant_entry_id,
  amountRefunded: Number(r.amount_refunded),
  creditsReversed: r.credits_reversed,
  createdAt: r.created_at,
  paidAt: r.paid_at,
});

export async function insertPurchase(
  sql: Sql,
  tenantId: string,
  p: { sessionId: string; owner: string; packId: string; credits: number; amount: number; currency: string; now: Date },
): Promise<void> {
  await sql.query(
    `INSERT INTO stripe_purchases (tenant_id, session_id, owner, pack_id, credits, amount, currency, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tenant_id, session_id) DO NOTHING`,
    [tenantId, p.sessionId, p.owner, p.packId, p.credits, p.amount, p.currency, p.now],
  );
}

/** The session's row, locked until the transaction ends, so two events for one session grant once. */
export async function lockPurchase(sql: Sql, tenantId: string, sessionId: string): Promise<PurchaseRow | null> {
  const rows = await sql.query<RawPurchase>(`SELECT ${COLUMNS} FROM stripe_purchases WHERE tenant_id = $1 AND session_id = $2 FOR UPDATE`, [
    tenantId,
    sessionId,
  ]);
  return rows[0] ? toPurchase(rows[0]) : null;
}

export async function findPurchaseByPaymentIntent(sql: Sql, tenantId: string, paymentIntentId: string): Promise<PurchaseRow | null> {
  const rows = await sql.query<RawPurchase>(`SELECT ${COLUMNS} FROM stripe_purchases WHERE tenant_id = $1 AND payment_intent_id = $2`, [
    tenantId,
    paymentIntentId,
  ]);
  return rows[0] ? toPurchase(rows[0]) : null;
}

export async function markPurchasePaid(
  sql: Sql,
  tenantId: string,
  sessionId: string,
  values: { paymentIntentId: string | null; grantEntryId: string; now: Date },
): Promise<void> {
  await sql.query(
    `UPDATE stripe_purchases SET state = 'paid', payment_intent_id = coalesce($3, payment_intent_id), grant_entry_id = $4, paid_at = $5
     WHERE tenant_id = $1 AND session_id = $2`,
    [tenantId, sessionId, values.paymentIntentId, values.grantEntryId, values.now],
  );
}

/**
 * Records a refund's running total and the credits it took back; `refunded` marks the whole amount
 * refunded. A total no higher than the one recorded changes nothing; says whether it was higher.
 */
export async function recordRefund(
  sql: Sql,
  tenantId: string,
  sessionId: string,
  refund: { amountRefunded: number; creditsTaken: number; refunded: boolean },
): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE stripe_purchases
     SET amount_refunded = $3, credits_reversed = credits_reversed + $4, state = CASE WHEN $5 THEN 'refunded' ELSE state END
     WHERE tenant_id = $1 AND session_id = $2 AND amount_refunded < $3
     RETURNING session_id`,
    [tenantId, sessionId, refund.amountRefunded, refund.creditsTaken, refund.refunded],
  );
  return rows.length > 0;
}

export async function listPurchases(sql: Sql, tenantId: string, owner: string, limit: number): Promise<PurchaseRow[]> {
  const rows = await sql.query<RawPurchase>(
    `SELECT ${COLUMNS} FROM stripe_purchases WHERE tenant_id = $1 AND owner = $2 AND state <> 'open' ORDER BY created_at DESC LIMIT $3`,
    [tenantId, owner, limit],
  );
  return rows.map(toPurchase);
}

/**
 * Notes the first time a checkout's idempotency key is seen, with the request it named; a later
 * attempt gets that first record back (its moment and request), whatever it sent itself.
 */
export async function startCheckoutRequest(
  sql: Sql,
  tenantId: string,
  key: { scope: "client" | "ledger"; key: string },
  requestHash: string,
  now: Date,
): Promise<{ requestHash: string; startedAt: Date }> {
  await sql.query(
    `INSERT INTO stripe_checkout_requests (tenant_id, scope, key, request_hash, started_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, scope, key) DO NOTHING`,
    [tenantId, key.scope, key.key, requestHash, now],
  );
  const rows = await sql.query<{ request_hash: string; started_at: Date }>(
    "SELECT request_hash, started_at FROM stripe_checkout_requests WHERE tenant_id = $1 AND scope = $2 AND key = $3",
    [tenantId, key.scope, key.key],
  );
  const row = rows[0];
  if (!row) throw new Error("a checkout request was not recorded");
  return { requestHash: row.request_hash, startedAt: row.started_at };
}

export interface EarlyRefundRow {
  paymentIntentId: string;
  /** The charge's amount, in the currency's minor unit. */
  chargeAmount: number;
  /** The highest running total of the charge's refunds reported so far. */
  amountRefunded: number;
  currency: string;
}

/** Keeps a refund's running total for a payment intent no purchase is known by yet (the highest total wins). */
export async function recordEarlyRefund(sql: Sql, tenantId: string, refund: EarlyRefundRow & { now: Date }): Promise<void> {
  await sql.query(
    `INSERT INTO stripe_early_refunds AS r (tenant_id, payment_intent_id, charge_amount, amount_refunded, currency, received_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id, payment_intent_id) DO UPDATE SET
       amount_refunded = greatest(r.amount_refunded, EXCLUDED.amount_refunded), received_at = EXCLUDED.received_at`,
    [tenantId, refund.paymentIntentId, refund.chargeAmount, refund.amountRefunded, refund.currency, refund.now],
  );
}

export async function findEarlyRefund(sql: Sql, tenantId: string, paymentIntentId: string): Promise<EarlyRefundRow | null> {
  const rows = await sql.query<{ charge_amount: string | number; amount_refunded: string | number; currency: string }>(
    "SELECT charge_amount, amount_refunded, currency FROM stripe_early_refunds WHERE tenant_id = $1 AND payment_intent_id = $2",
    [tenantId, paymentIntentId],
  );
  const row = rows[0];
  return row ? { paymentIntentId, chargeAmount: Number(row.charge_amount), amountRefunded: Number(row.amount_refunded), currency: row.currency } : null;
}
