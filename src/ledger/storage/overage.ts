/**
 * SQL for asked-before-overage: the tenant's per-ticket limit and each question asked on a ticket
 * with its one answer.
 */
import type { Sql } from "./db.js";

export async function getOverageLimit(sql: Sql, tenantId: string): Promise<{ perTicketLimit: number; updatedAt: Date | null }> {
  const rows = await sql.query<{ per_ticket_limit: number; updated_at: Date }>(
    "SELECT per_ticket_limit, updated_at FROM overage_settings WHERE tenant_id = $1",
    [tenantId],
  );
  return { perTicketLimit: rows[0]?.per_ticket_limit ?? 0, updatedAt: rows[0]?.updated_at ?? null };
}

export async function putOverageLimit(sql: Sql, tenantId: string, perTicketLimit: number, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO overage_settings (tenant_id, per_ticket_limit, updated_at) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET per_ticket_limit = EXCLUDED.per_ticket_limit, updated_at = EXCLUDED.updated_at`,
    [tenantId, perTicketLimit, now],
  );
}

export type OverageAnswerRow = "approved" | "kept_free" | "withdrawn";

export interface OverageOfferRow {
  offerId: string;
  ticketId: string;
  owner: string;
  tier: string;
  price: number;
  balance: number;
  shortfall: number;
  askedAt: Date;
  expiresAt: Date;
  answer: OverageAnswerRow | null;
  answeredAt: Date | null;
  entryId: string | null;
}

type DbRow = {
  offer_id: string;
  ticket_id: string;
  owner: string;
  tier: string;
  price: number;
  balance: number;
  shortfall: number;
  asked_at: Date;
  expires_at: Date;
  answer: OverageAnswerRow | null;
  answered_at: Date | null;
  entry_id: string | null;
};

const COLUMNS = "offer_id, ticket_id, owner, tier, price, balance, shortfall, asked_at, expires_at, answer, answered_at, entry_id";

const fromDb = (r: DbRow): OverageOfferRow => ({
  offerId: r.offer_id,
  ticketId: r.ticket_id,
  owner: r.owner,
  tier: r.tier,
  price: Number(r.price),
  balance: Number(r.balance),
  shortfall: Number(r.shortfall),
  askedAt: r.asked_at,
  expiresAt: r.expires_at,
  answer: r.answer,
  answeredAt: r.answered_at,
  entryId: r.entry_id,
});

/**
 * Records a question once per `dedupeKey` (a retried job asks the same one) and withdraws the
 * ticket's earlier unanswered questions: only the latest can be answered. Returns the question.
 */
export async function recordOffer(
  sql: Sql,
  tenantId: string,
  offer: Omit<OverageOfferRow, "answer" | "answeredAt" | "entryId">,
  dedupeKey: string,
): Promise<OverageOfferRow> {
  await sql.query(
    `INSERT INTO overage_offers (tenant_id, offer_id, ticket_id, dedupe_key, owner, tier, price, balance, shortfall, asked_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (tenant_id, ticket_id, dedupe_key) DO NOTHING`,
    [tenantId, offer.offerId, offer.ticketId, dedupeKey, offer.owner, offer.tier, offer.price, offer.balance, offer.shortfall, offer.askedAt, offer.expiresAt],
  );
  const rows = await sql.query<DbRow>(`SELECT ${COLUMNS} FROM overage_offers WHERE tenant_id = $1 AND ticket_id = $2 AND dedupe_key = $3`, [
    tenantId,
    offer.ticketId,
    dedupeKey,
  ]);
  const recorded = fromDb(rows[0]!);
  await sql.query(
    `UPDATE overage_offers SET answer = 'withdrawn', answered_at = $4
     WHERE tenant_id = $1 AND ticket_id = $2 AND offer_id <> $3 AND answer IS NULL`,
    [tenantId, offer.ticketId, recorded.offerId, offer.askedAt],
  );
  return recorded;
}

export async function getOffer(sql: Sql, tenantId: string, offerId: string): Promise<OverageOfferRow | null> {
  const rows = await sql.query<DbRow>(`SELECT ${COLUMNS} FROM overage_offers WHERE tenant_id = $1 AND offer_id = $2`, [tenantId, offerId]);
  return rows[0] ? fromDb(rows[0]) : null;
}

export async function latestOffer(sql: Sql, tenantId: string, ticketId: string): Promise<OverageOfferRow | null> {
  const rows = await sql.query<DbRow>(
    `SELECT ${COLUMNS} FROM overage_offers WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY asked_at DESC, offer_id DESC LIMIT 1`,
    [tenantId, ticketId],
  );
  return rows[0] ? fromDb(rows[0]) : null;
}

/**
 * Writes the question's answer if it has none and hasn't expired: true when this call wrote it.
 * Under concurrency the second writer waits for the first and then finds an answer there.
 */
export async function answerOffer(
  sql: Sql,
  tenantId: string,
  offerId: string,
  answer: OverageAnswerRow,
  now: Date,
  entryId: string | null = null,
): Promise<boolean> {
  const rows = await sql.query<{ offer_id: string }>(
    `UPDATE overage_offers SET answer = $3, answered_at = $4, entry_id = $5
     WHERE tenant_id = $1 AND offer_id = $2 AND answer IS NULL AND expires_at > $4 RETURNING offer_id`,
    [tenantId, offerId, answer, now, entryId],
  );
  return rows.length === 1;
}
