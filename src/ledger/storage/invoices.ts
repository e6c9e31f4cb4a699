/** SQL for credits bought by invoice: the Stripe Customer of each bank, and the invoices issued. */
import type { Sql } from "./db.js";

export type InvoiceState = "issuing" | "open" | "paid" | "void" | "uncollectible";

export interface InvoiceRow {
  id: string;
  requestHash: string;
  owner: string;
  packId: string;
  credits: number;
  amount: number;
  currency: string;
  daysUntilDue: number;
  email: string;
  agent: string | null;
  state: InvoiceState;
  stripeInvoiceId: string | null;
  number: string | null;
  hostedInvoiceUrl: string | null;
  dueAt: Date | null;
  grantEntryId: string | null;
  createdAt: Date;
  paidAt: Date | null;
  closedAt: Date | null;
}

type RawInvoice = {
  id: string;
  request_hash: string;
  owner: string;
  pack_id: string;
  credits: number;
  amount: string | number;
  currency: string;
  days_until_due: number;
  email: string;
  agent: string | null;
  state: InvoiceState;
  stripe_invoice_id: string | null;
  number: string | null;
  hosted_invoice_url: string | null;
  due_at: Date | null;
  grant_entry_id: string | null;
  created_at: Date;
  paid_at: Date | null;
  closed_at: Date | null;
};

const COLUMNS =
  "id, request_hash, owner, pack_id, credits, amount, currency, days_until_due, email, agent, state, stripe_invoice_id, number, hosted_invoice_url, due_at, grant_entry_id, created_at, paid_at, closed_at";

const toInvoice = (r: RawInvoice): InvoiceRow => ({
  id: r.id,
  requestHash: r.request_hash,
  owner: r.owner,
  packId: r.pack_id,
  credits: r.credits,
  amount: Number(r.amount),
  currency: r.currency,
  daysUntilDue: r.days_until_due,
  email: r.email,
  agent: r.agent,
  state: r.state,
  stripeInvoiceId: r.stripe_invoice_id,
  number: r.number,
  hostedInvoiceUrl: r.hosted_invoice_url,
  dueAt: r.due_at,
  grantEntryId: r.grant_entry_id,
  createdAt: r.created_at,
  paidAt: r.paid_at,
  closedAt: r.closed_at,
});

/**
 * Records an invoice asked for under an idempotency key, before Stripe is called; a later attempt
 * under the same key gets the first attempt's row back (its pack and price), whatever it sent.
 */
export async function startInvoice(
  sql: Sql,
  tenantId: string,
  key: { scope: "client" | "ledger"; key: string },
  invoice: Pick<InvoiceRow, "id" | "requestHash" | "owner" | "packId" | "credits" | "amount" | "currency" | "daysUntilDue" | "email" | "agent"> & { now: Date },
): Promise<InvoiceRow> {
  await sql.query(
    `INSERT INTO stripe_invoices (tenant_id, id, scope, key, request_hash, owner, pack_id, credits, amount, currency, days_until_due, email, agent, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
     ON CONFLICT (tenant_id, scope, key) DO NOTHING`,
    [
      tenantId,
      invoice.id,
      key.scope,
      key.key,
      invoice.requestHash,
      invoice.owner,
      invoice.packId,
      invoice.credits,
      invoice.amount,
      invoice.currency,
      invoice.daysUntilDue,
      invoice.email,
      invoice.agent,
      invoice.now,
    ],
  );
  const rows = await sql.query<RawInvoice>(`SELECT ${COLUMNS} FROM stripe_invoices WHERE tenant_id = $1 AND scope = $2 AND key = $3`, [
    tenantId,
    key.scope,
    key.key,
  ]);
  if (!rows[0]) throw new Error("an invoice request was not recorded");
  return toInvoice(rows[0]);
}

/** The invoice's row, locked until the transaction ends, so events for one invoice act one at a time. */
export async function lockInvoice(sql: Sql, tenantId: string, id: string): Promise<InvoiceRow | null> {
  const rows = await sql.query<RawInvoice>(`SELECT ${COLUMNS} FROM stripe_invoices WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, [tenantId, id]);
  return rows[0] ? toInvoice(rows[0]) : null;
}

/** The ledger's invoice for a Stripe invoice: by Stripe's id once known, else by the ledger's id Stripe was given in the metadata. */
export async function findInvoice(sql: Sql, tenantId: string, stripeInvoiceId: string, ledgerId: string | null): Promise<InvoiceRow | null> {
  const rows = await sql.query<RawInvoice>(
    `SELECT ${COLUMNS} FROM stripe_invoices WHERE tenant_id = $1 AND (stripe_invoice_id = $2 OR (id = $3 AND stripe_invoice_id IS NULL)) LIMIT 1`,
    [tenantId, stripeInvoiceId, ledgerId],
  );
  return rows[0] ? toInvoice(rows[0]) : null;
}

/**
 * What Stripe said about the invoice: its id, number, payment page and due date fill in what is
 * not known yet (never overwritten), and an invoice still being issued becomes open once finalized.
 */
export async function recordStripeInvoice(
  sql: Sql,
  tenantId: string,
  id: string,
  stripe: { stripeInvoiceId: string; number: string | null; hostedInvoiceUrl: string | null; dueAt: Date | null; finalized: boolean },
): Promise<void> {
  await sql.query(
    `UPDATE stripe_invoices SET
       stripe_invoice_id = coalesce(stripe_invoice_id, $3),
       number = coalesce(number, $4),
       hosted_invoice_url = coalesce(hosted_invoice_url, $5),
       due_at = coalesce(due_at, $6),
       state = CASE WHEN state = 'issuing' AND $7 THEN 'open' ELSE state END
     WHERE tenant_id = $1 AND id = $2`,
    [tenantId, id, stripe.stripeInvoiceId, stripe.number, stripe.hostedInvoiceUrl, stripe.dueAt, stripe.finalized],
  );
}

export async function markInvoicePaid(sql: Sql, tenantId: string, id: string, values: { grantEntryId: string; now: Date }): Promise<void> {
  await sql.query(`UPDATE stripe_invoices SET state = 'paid', grant_entry_id = $3, paid_at = $4 WHERE tenant_id = $1 AND id = $2`, [
    tenantId,
    id,
    values.grantEntryId,
    values.now,
  ]);
}

/**
 * Voided or uncollectible: only an invoice that is not paid or void changes (Stripe allows neither
 * back from paid, and void is final); says whether it changed.
 */
export async function closeInvoice(sql: Sql, tenantId: string, id: string, state: "void" | "uncollectible", now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE stripe_invoices SET state = $3, closed_at = $4
     WHERE tenant_id = $1 AND id = $2 AND state NOT IN ('paid', 'void') AND state <> $3
     RETURNING id`,
    [tenantId, id, state, now],
  );
  return rows.length > 0;
}

export async function listInvoices(sql: Sql, tenantId: string, owner: string, limit: number): Promise<InvoiceRow[]> {
  const rows = await sql.query<RawInvoice>(`SELECT ${COLUMNS} FROM stripe_invoices WHERE tenant_id = $1 AND owner = $2 ORDER BY created_at DESC, id LIMIT $3`, [
    tenantId,
    owner,
    limit,
  ]);
  return rows.map(toInvoice);
}

export interface CustomerRow {
  customerId: string;
  email: string;
}

export async function getCustomer(sql: Sql, tenantId: string, owner: string): Promise<CustomerRow | null> {
  const rows = await sql.query<{ customer_id: string; email: string }>("SELECT customer_id, email FROM stripe_customers WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
  ]);
  return rows[0] ? { customerId: rows[0].customer_id, email: rows[0].email } : null;
}

/** Keeps the first customer recorded for a bank; returns the one kept (two issues at once make one owner's customer once). */
export async function keepCustomer(sql: Sql, tenantId: string, owner: string, customer: CustomerRow & { now: Date }): Promise<CustomerRow> {
  await sql.query(
    `INSERT INTO stripe_customers (tenant_id, owner, customer_id, email, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (tenant_id, owner) DO NOTHING`,
    [tenantId, owner, customer.customerId, customer.email, customer.now],
  );
  return (await getCustomer(sql, tenantId, owner))!;
}

export async function setCustomerEmail(sql: Sql, tenantId: string, owner: string, email: string): Promise<void> {
  await sql.query("UPDATE stripe_customers SET email = $3 WHERE tenant_id = $1 AND owner = $2", [tenantId, owner, email]);
}
