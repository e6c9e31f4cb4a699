/** SQL for what card payments leave behind: receipt and invoice addresses, and the last webhook event. */
import type { Sql } from "./db.js";

/** Keeps the address Stripe last reported for a payment intent's receipt or an invoice's page. */
export async function putStripeDocument(
  sql: Sql,
  tenantId: string,
  document: { stripeId: string; kind: "receipt" | "invoice"; url: string; now: Date },
): Promise<void> {
  await sql.query(
    `INSERT INTO stripe_documents (tenant_id, stripe_id, kind, url, updated_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, stripe_id) DO UPDATE SET url = EXCLUDED.url, updated_at = EXCLUDED.updated_at`,
    [tenantId, document.stripeId, document.kind, document.url, document.now],
  );
}

/** The receipt and invoice addresses known for purchases, by session id. */
export async function documentsOfPurchases(
  sql: Sql,
  tenantId: string,
  sessionIds: readonly string[],
): Promise<Map<string, { receiptUrl: string | null; invoiceUrl: string | null }>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await sql.query<{ session_id: string; receipt_url: string | null; invoice_url: string | null }>(
    `SELECT p.session_id, r.url AS receipt_url, i.url AS invoice_url
     FROM stripe_purchases p
     LEFT JOIN stripe_documents r ON r.tenant_id = p.tenant_id AND r.stripe_id = p.payment_intent_id AND r.kind = 'receipt'
     LEFT JOIN stripe_documents i ON i.tenant_id = p.tenant_id AND i.stripe_id = p.invoice_id AND i.kind = 'invoice'
     WHERE p.tenant_id = $1 AND p.session_id = ANY($2::text[])`,
    [tenantId, [...sessionIds]],
  );
  return new Map(rows.map((r) => [r.session_id, { receiptUrl: r.receipt_url, invoiceUrl: r.invoice_url }]));
}

/** Notes the invoice Checkout made for a session (known from its completed event). */
export async function setPurchaseInvoice(sql: Sql, tenantId: string, sessionId: string, invoiceId: string): Promise<void> {
  await sql.query("UPDATE stripe_purchases SET invoice_id = $3 WHERE tenant_id = $1 AND session_id = $2", [tenantId, sessionId, invoiceId]);
}

export async function getAutomaticTax(sql: Sql, tenantId: string): Promise<boolean> {
  const rows = await sql.query<{ automatic_tax: boolean }>("SELECT automatic_tax FROM stripe_connections WHERE tenant_id = $1", [tenantId]);
  return rows[0]?.automatic_tax ?? false;
}

export async function setAutomaticTax(sql: Sql, tenantId: string, enabled: boolean): Promise<void> {
  await sql.query("UPDATE stripe_connections SET automatic_tax = $2 WHERE tenant_id = $1", [tenantId, enabled]);
}

export interface WebhookStatusRow {
  eventId: string;
  eventType: string;
  outcome: string;
  detail: string | null;
  receivedAt: Date;
}

export async function recordWebhookEvent(sql: Sql, tenantId: string, event: WebhookStatusRow): Promise<void> {
  await sql.query(
    `INSERT INTO stripe_webhook_status (tenant_id, event_id, event_type, outcome, detail, received_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id) DO UPDATE SET event_id = EXCLUDED.event_id, event_type = EXCLUDED.event_type, outcome = EXCLUDED.outcome,
       detail = EXCLUDED.detail, received_at = EXCLUDED.received_at`,
    [tenantId, event.eventId, event.eventType, event.outcome, event.detail, event.receivedAt],
  );
}

export async function getWebhookStatus(sql: Sql, tenantId: string): Promise<WebhookStatusRow | null> {
  const rows = await sql.query<{ event_id: string; event_type: string; outcome: string; detail: string | null; received_at: Date }>(
    "SELECT event_id, event_type, outcome, detail, received_at FROM stripe_webhook_status WHERE tenant_id = $1",
    [tenantId],
  );
  const row = rows[0];
  return row ? { eventId: row.event_id, eventType: row.event_type, outcome: row.outcome, detail: row.detail, receivedAt: row.received_at } : null;
}
