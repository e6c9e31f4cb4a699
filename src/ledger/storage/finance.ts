/**
 * SQL for the finance report: one tenant's journal summed by bank, month (UTC) and kind of
 * movement, the journal before the range summed by bank, and the money card purchases paid.
 * Reads only; the arithmetic is domain/finance.ts's.
 */
import type { EntryKind } from "../../contract/ledger.js";
import type { JournalGroup, SaleGroup } from "../domain/finance.js";
import type { Sql } from "./db.js";

const MONTH = `to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM')`;

/** The transaction's reads all see one moment's journal (its first statement). */
export async function readAsOneMoment(tx: Sql): Promise<void> {
  await tx.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
}

/** Each bank's journal summed up to (not including) `before`: its balance at that instant. */
export async function openingBalances(sql: Sql, tenantId: string, before: Date): Promise<Map<string, number>> {
  const rows = await sql.query<{ owner: string; balance: string | number }>(
    `SELECT e.owner, sum(e.amount) AS balance FROM entries e WHERE e.tenant_id = $1 AND e.created_at < $2 GROUP BY e.owner`,
    [tenantId, before],
  );
  return new Map(rows.map((r) => [r.owner, Number(r.balance)]));
}

/** The journal from `start` to `end` (excluded), summed by bank, month and what the entries were. */
export async function journalGroups(sql: Sql, tenantId: string, start: Date, end: Date): Promise<JournalGroup[]> {
  const rows = await sql.query<{
    owner: string;
    month: string;
    kind: EntryKind;
    grant_source: string | null;
    grant_paid: boolean | null;
    reversed_kind: EntryKind | null;
    amount: string | number;
  }>(
    `SELECT e.owner, ${MONTH} AS month, e.kind,
            CASE WHEN e.kind = 'grant' THEN g.source END AS grant_source,
            CASE WHEN e.kind = 'grant' THEN g.paid END AS grant_paid,
            r.kind AS reversed_kind,
            sum(e.amount) AS amount
       FROM entries e
       LEFT JOIN grants g ON e.kind = 'grant' AND g.tenant_id = e.tenant_id AND g.id = e.grant_id
       LEFT JOIN entries r ON e.kind = 'refund' AND r.tenant_id = e.tenant_id AND r.id = e.reverses_entry_id
      WHERE e.tenant_id = $1 AND e.created_at >= $2 AND e.created_at < $3
      GROUP BY 1, 2, 3, 4, 5, 6`,
    [tenantId, start, end],
  );
  return rows.map((r) => ({
    owner: r.owner,
    month: r.month,
    kind: r.kind,
    grantSource: r.grant_source,
    grantPaid: r.grant_paid,
    reversedKind: r.reversed_kind,
    amount: Number(r.amount),
  }));
}

/** What card purchases paid for the grants they made in the range, by bank, month of the grant and currency. */
export async function cardSales(sql: Sql, tenantId: string, start: Date, end: Date): Promise<SaleGroup[]> {
  const rows = await sql.query<{ owner: string; month: string; currency: string; credits: string | number; amount: string | number }>(
    `SELECT e.owner, ${MONTH} AS month, p.currency, sum(e.amount) AS credits, sum(p.amount) AS amount
       FROM stripe_purchases p
       JOIN entries e ON e.tenant_id = p.tenant_id AND e.id = p.grant_entry_id
      WHERE p.tenant_id = $1 AND p.grant_entry_id IS NOT NULL AND e.created_at >= $2 AND e.created_at < $3
      GROUP BY 1, 2, 3`,
    [tenantId, start, end],
  );
  return rows.map((r) => ({ owner: r.owner, month: r.month, currency: r.currency, credits: Number(r.credits), amountMinor: Number(r.amount) }));
}

/** The names Deskpro last gave the ledger for these banks. */
export async function bankDisplayNames(sql: Sql, tenantId: string, owners: string[]): Promise<Map<string, string | null>> {
  if (owners.length === 0) return new Map();
  const rows = await sql.query<{ owner: string; display_name: string | null }>(
    `SELECT owner, display_name FROM wallets WHERE tenant_id = $1 AND owner = ANY($2::text[])`,
    [tenantId, owners],
  );
  return new Map(rows.map((r) => [r.owner, r.display_name]));
}
