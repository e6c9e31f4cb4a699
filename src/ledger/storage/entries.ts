/**
 * SQL for the journal: append-only entries and their draws on grants. Appending an entry changes
 * everything that must change with it in one statement (draws, grants, the wallet's cached
 * balance, the idempotency record).
 */
import type { EntryKind } from "../../contract/ledger.js";
import type { Sql } from "./db.js";

/** A journal entry as stored: what was written, its place in the journal and its draws. */
export type EntryRow = Omit<NewEntry, "tenantId"> & { seq: number; draws: { grantId: string; amount: number }[] };
type EntryDbRow = {
  seq: number;
  id: string;
  owner: string;
  kind: EntryKind;
  amount: number;
  balance_after: number;
  reason: string | null;
  ticket_id: string | null;
  agent: string | null;
  minutes: number | null;
  tier: string | null;
  grant_id: string | null;
  reverses_entry_id: string | null;
  created_at: Date;
  draws: { grantId: string; amount: number }[] | null;
};
// Draws come along as a JSON array, so a statement page is one query however many entries it has.
const entryColumns = `e.seq, e.id, e.owner, e.kind, e.amount, e.balance_after, e.reason, e.ticket_id, e.agent, e.minutes,
  e.tier, e.grant_id, e.reverses_entry_id, e.created_at,
  (SELECT json_agg(json_build_object('grantId', d.grant_id, 'amount', d.amount) ORDER BY d.grant_id)
     FROM entry_draws d WHERE d.tenant_id = e.tenant_id AND d.entry_id = e.id) AS draws`;
const toEntry = (r: EntryDbRow): EntryRow => ({
  seq: r.seq,
  id: r.id,
  owner: r.owner,
  kind: r.kind,
  amount: r.amount,
  balanceAfter: r.balance_after,
  reason: r.reason,
  ticketId: r.ticket_id,
  agent: r.agent,
  minutes: r.minutes,
  tier: r.tier,
  grantId: r.grant_id,
  reversesEntryId: r.reverses_entry_id,
  createdAt: r.created_at,
  draws: (r.draws ?? []).map((d) => ({ grantId: d.grantId, amount: Number(d.amount) })),
});

export interface NewEntry {
  id: string;
  tenantId: string;
  owner: string;
  kind: EntryKind;
  amount: number;
  balanceAfter: number;
  reason: string | null;
  ticketId: string | null;
  agent: string | null;
  minutes: number | null;
  tier: string | null;
  grantId: string | null;
  reversesEntryId: string | null;
  createdAt: Date;
}

export interface EntryWrite {
  entry: NewEntry;
  /** Signed changes to grants' remaining credits, recorded as the entry's draws. */
  draws: readonly { grantId: string; amount: number }[];
  /** Grants this entry closes (voided or expired). */
  closeGrantIds?: readonly string[];
  /** The idempotency record to complete with this write's answer (its JSON text). */
  idempotency?: { scope: "client" | "ledger"; key: string; status: number; text: string };
}

/**
 * Appends one journal entry with everything that must change with it, in one statement: the
 * entry, its draws, the grants' remaining credits, the wallet's cached balance and the idempotency
 * record. Runs inside the caller's transaction, after `lockWallet`.
 */
export async function appendEntry(sql: Sql, write: EntryWrite): Promise<void> {
  const e = write.entry;
  const grantIds = write.draws.map((d) => d.grantId);
  const grantDeltas = write.draws.map((d) => d.amount);
  await sql.query(
    `WITH new_entry AS (
       INSERT INTO entries (id, tenant_id, owner, kind, amount, balance_after, reason, ticket_id, agent, minutes, tier,
                            grant_id, reverses_entry_id, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       RETURNING id
     ), new_draws AS (
       INSERT INTO entry_draws (tenant_id, entry_id, grant_id, amount)
       SELECT $2, $1, d.grant_id, d.amount FROM unnest($15::text[], $16::bigint[]) AS d(grant_id, amount)
     ), changed_grants AS (
       UPDATE grants g SET remaining = g.remaining + d.amount,
                           closed_at = CASE WHEN g.id = ANY($17::text[]) THEN $14 ELSE g.closed_at END
       FROM (SELECT grant_id, sum(amount) AS amount FROM (
               SELECT * FROM unnest($15::text[], $16::bigint[]) AS x(grant_id, amount)
               UNION ALL SELECT unnest($17::text[]), 0) u GROUP BY grant_id) d
       WHERE g.tenant_id = $2 AND g.id = d.grant_id
     ), changed_wallet AS (
       UPDATE wallets SET balance = $6, updated_at = $14 WHERE tenant_id = $2 AND owner = $3
     ), completed_key AS (
       UPDATE idempotency_keys SET status = $19, response = $20 WHERE tenant_id = $2 AND scope = $21 AND key = $18
     )
     SELECT id FROM new_entry`,
    [
      e.id,
      e.tenantId,
      e.owner,
      e.kind,
      e.amount,
      e.balanceAfter,
      e.reason,
      e.ticketId,
      e.agent,
      e.minutes,
      e.tier,
      e.grantId,
      e.reversesEntryId,
      e.createdAt,
      grantIds,
      grantDeltas,
      write.closeGrantIds ?? [],
      write.idempotency?.key ?? null,
      write.idempotency?.status ?? null,
      write.idempotency?.text ?? null,
      write.idempotency?.scope ?? null,
    ],
  );
}

export async function findEntry(sql: Sql, tenantId: string, id: string): Promise<EntryRow | null> {
  const rows = await sql.query<EntryDbRow>(`SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.id = $2`, [tenantId, id]);
  return rows[0] ? toEntry(rows[0]) : null;
}

export async function findReversalOf(sql: Sql, tenantId: string, entryId: string): Promise<string | null> {
  const rows = await sql.query<{ id: string }>("SELECT id FROM entries WHERE tenant_id = $1 AND reverses_entry_id = $2", [tenantId, entryId]);
  return rows[0]?.id ?? null;
}

/** One statement page, newest first, strictly older than `beforeSeq`. Index-only walk: cost is flat in history size. */
export async function statementPage(sql: Sql, tenantId: string, owner: string, limit: number, beforeSeq: number | null): Promise<EntryRow[]> {
  // Two statements rather than `($3 IS NULL OR seq < $3)`: a prepared statement's generic plan
  // can't use that as an index bound, and a deep page would then scan everything newer than it.
  const rows =
    beforeSeq === null
      ? await sql.query<EntryDbRow>(`SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.owner = $2 ORDER BY e.seq DESC LIMIT $3`, [
          tenantId,
          owner,
          limit,
        ])
      : await sql.query<EntryDbRow>(
          `SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.owner = $2 AND e.seq < $3 ORDER BY e.seq DESC LIMIT $4`,
          [tenantId, owner, beforeSeq, limit],
        );
  return rows.map(toEntry);
}

export interface StatementFilter {
  /** Entries at or after this time, and before `before`. */
  from?: Date;
  before?: Date;
  ticketId?: string;
  kind?: EntryKind;
}

/** A statement page with filters (the sidebar's date range, ticket and kind), newest first, older than `beforeSeq`. */
export async function filteredStatementPage(
  sql: Sql,
  tenantId: string,
  owner: string,
  limit: number,
  beforeSeq: number | null,
  filter: StatementFilter,
): Promise<EntryRow[]> {
  const rows = await sql.query<EntryDbRow>(
    `SELECT ${entryColumns} FROM entries e
     WHERE e.tenant_id = $1 AND e.owner = $2 AND ($3::bigint IS NULL OR e.seq < $3)
       AND ($4::timestamptz IS NULL OR e.created_at >= $4) AND ($5::timestamptz IS NULL OR e.created_at < $5)
       AND ($6::text IS NULL OR e.ticket_id = $6) AND ($7::text IS NULL OR e.kind = $7)
     ORDER BY e.seq DESC LIMIT $8`,
    [tenantId, owner, beforeSeq, filter.from ?? null, filter.before ?? null, filter.ticketId ?? null, filter.kind ?? null, limit],
  );
  return rows.map(toEntry);
}

export async function ticketEntries(sql: Sql, tenantId: string, ticketId: string, limit: number): Promise<EntryRow[]> {
  const rows = await sql.query<EntryDbRow>(`SELECT ${entryColumns} FROM entries e WHERE e.tenant_id = $1 AND e.ticket_id = $2 ORDER BY e.seq LIMIT $3`, [
    tenantId,
    ticketId,
    limit,
  ]);
  return rows.map(toEntry);
}

/**
 * Minutes logged on a ticket and credits charged for them, net of refunds (refunds carry negative
 * minutes). Unbilled minutes are left out: they were never charged, so they don't count towards
 * the billed total the next time entry is rounded on.
 */
export async function ticketTime(sql: Sql, tenantId: string, ticketId: string): Promise<{ minutes: number; charged: number }> {
  const rows = await sql.query<{ minutes: number; charged: number }>(
    `SELECT coalesce(sum(minutes), 0)::bigint AS minutes, coalesce(-sum(amount), 0)::bigint AS charged
     FROM entries WHERE tenant_id = $1 AND ticket_id = $2 AND minutes IS NOT NULL AND kind <> 'unbilled'`,
    [tenantId, ticketId],
  );
  return rows[0] ?? { minutes: 0, charged: 0 };
}

/** The ticket's tier charge that has not been refunded, if any. */
export async function activePriorityCharge(sql: Sql, tenantId: string, ticketId: string): Promise<EntryRow | null> {
  const rows = await sql.query<EntryDbRow>(
    `SELECT ${entryColumns} FROM entries e
     WHERE e.tenant_id = $1 AND e.ticket_id = $2 AND e.kind = 'priority'
       AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.tenant_id = e.tenant_id AND r.reverses_entry_id = e.id)
     ORDER BY e.seq DESC LIMIT 1`,
    [tenantId, ticketId],
  );
  return rows[0] ? toEntry(rows[0]) : null;
}

/** Serialises work on one ticket across wallets (time totals and tier charges are per ticket). */
export async function lockTicket(sql: Sql, tenantId: string, ticketId: string): Promise<void> {
  await sql.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`ticket:${tenantId}:${ticketId}`]);
}

export async function sumOfEntries(sql: Sql, tenantId: string, owner: string): Promise<number> {
  const rows = await sql.query<{ total: number }>("SELECT coalesce(sum(amount), 0)::bigint AS total FROM entries WHERE tenant_id = $1 AND owner = $2", [
    tenantId,
    owner,
  ]);
  return rows[0]?.total ?? 0;
}
