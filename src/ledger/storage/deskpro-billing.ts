/**
 * SQL for the link with Deskpro's Billing & Time Log: the tenant's settings, the Deskpro charges
 * seen (one row per part) and the sidebar time written to Deskpro.
 */
import type { Sql } from "./db.js";

/** Why a part of a charge was refused (contract's DeskproChargeRefusal; the column's CHECK). */
export type ChargeRefusal = "out_of_range" | "over_write_limit" | "over_credit_limit";

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export interface BillingSettingsRow {
  fromDeskpro: boolean;
  toDeskpro: boolean;
  creditsPerCurrencyUnit: number | null;
  linkedFrom: Date | null;
  lastReadAt: Date | null;
  lastReadTicket: string | null;
  lastReadError: string | null;
  updatedAt: Date;
}

type SettingsDbRow = {
  from_deskpro: boolean;
  to_deskpro: boolean;
  credits_per_currency_unit: number | null;
  linked_from: Date | null;
  last_read_at: Date | null;
  last_read_ticket: string | null;
  last_read_error: string | null;
  updated_at: Date;
};
const settingsColumns = "from_deskpro, to_deskpro, credits_per_currency_unit, linked_from, last_read_at, last_read_ticket, last_read_error, updated_at";
const toSettings = (r: SettingsDbRow): BillingSettingsRow => ({
  fromDeskpro: r.from_deskpro,
  toDeskpro: r.to_deskpro,
  creditsPerCurrencyUnit: r.credits_per_currency_unit,
  linkedFrom: r.linked_from,
  lastReadAt: r.last_read_at,
  lastReadTicket: r.last_read_ticket,
  lastReadError: r.last_read_error,
  updatedAt: r.updated_at,
});

export async function getBillingSettings(sql: Sql, tenantId: string): Promise<BillingSettingsRow | null> {
  const rows = await sql.query<SettingsDbRow>(`SELECT ${settingsColumns} FROM deskpro_billing_settings WHERE tenant_id = $1`, [tenantId]);
  return rows[0] ? toSettings(rows[0]) : null;
}

export async function putBillingSettings(
  sql: Sql,
  tenantId: string,
  values: { fromDeskpro: boolean; toDeskpro: boolean; creditsPerCurrencyUnit: number | null; linkedFrom: Date | null },
  now: Date,
): Promise<BillingSettingsRow> {
  const rows = await sql.query<SettingsDbRow>(
    `INSERT INTO deskpro_billing_settings (tenant_id, from_deskpro, to_deskpro, credits_per_currency_unit, linked_from, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tenant_id) DO UPDATE SET from_deskpro = EXCLUDED.from_deskpro, to_deskpro = EXCLUDED.to_deskpro,
       credits_per_currency_unit = EXCLUDED.credits_per_currency_unit, linked_from = EXCLUDED.linked_from, updated_at = EXCLUDED.updated_at
     RETURNING ${settingsColumns}`,
    [tenantId, values.fromDeskpro, values.toDeskpro, values.creditsPerCurrencyUnit, values.linkedFrom, now],
  );
  return toSettings(rows[0]!);
}

/** The link starts at the first read of a Billing tab (the defaults apply until an admin saves settings). */
export async function markLinked(sql: Sql, tenantId: string, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO deskpro_billing_settings (tenant_id, from_deskpro, to_deskpro, linked_from, updated_at) VALUES ($1, true, true, $2, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET linked_from = coalesce(deskpro_billing_settings.linked_from, EXCLUDED.linked_from)`,
    [tenantId, now],
  );
}

export async function recordRead(sql: Sql, tenantId: string, ticketId: string, at: Date, error: string | null): Promise<void> {
  await sql.query(
    `INSERT INTO deskpro_billing_settings (tenant_id, from_deskpro, to_deskpro, last_read_at, last_read_ticket, last_read_error, updated_at)
     VALUES ($1, true, true, $2, $3, $4, $2)
     ON CONFLICT (tenant_id) DO UPDATE SET last_read_at = EXCLUDED.last_read_at, last_read_ticket = EXCLUDED.last_read_ticket,
       last_read_error = EXCLUDED.last_read_error`,
    [tenantId, at, ticketId, error === null ? null : error.slice(0, 300)],
  );
}

/** The next read's number: reads are numbered in the order they start. */
export async function nextReadNumber(sql: Sql): Promise<number> {
  const rows = await sql.query<{ n: number }>("SELECT nextval('deskpro_billing_reads') AS n");
  return Number(rows[0]!.n);
}

// ---------------------------------------------------------------------------------------------
// Deskpro's charges
// ---------------------------------------------------------------------------------------------

export type ChargePart = "time" | "money";

export interface ChargeRow {
  chargeId: number;
  part: ChargePart;
  ticketId: string;
  state: string;
  units: number;
  countedUnits: number | null;
  entryId: string | null;
  /** Whether `entryId` has been reversed. */
  reversed: boolean;
  dateCreated: Date | null;
  syncSeq: number;
  /** Why the part is refused (state 'refused'); null otherwise. */
  refusal: ChargeRefusal | null;
  firstSeenAt: Date;
  updatedAt: Date;
}

type ChargeDbRow = {
  charge_id: number;
  part: ChargePart;
  ticket_id: string;
  state: string;
  units: number;
  counted_units: number | null;
  entry_id: string | null;
  reversed: boolean;
  date_created: Date | null;
  sync_seq: number;
  refusal: ChargeRefusal | null;
  first_seen_at: Date;
  updated_at: Date;
};
const chargeColumns = `c.charge_id, c.part, c.ticket_id, c.state, c.units, c.counted_units, c.entry_id,
  EXISTS (SELECT 1 FROM entries r WHERE r.tenant_id = c.tenant_id AND r.reverses_entry_id = c.entry_id) AS reversed,
  c.date_created, c.sync_seq, c.refusal, c.first_seen_at, c.updated_at`;
const toCharge = (r: ChargeDbRow): ChargeRow => ({
  chargeId: Number(r.charge_id),
  part: r.part,
  ticketId: r.ticket_id,
  state: r.state,
  units: Number(r.units),
  countedUnits: r.counted_units === null ? null : Number(r.counted_units),
  entryId: r.entry_id,
  reversed: r.reversed,
  dateCreated: r.date_created,
  syncSeq: Number(r.sync_seq),
  refusal: r.refusal,
  firstSeenAt: r.first_seen_at,
  updatedAt: r.updated_at,
});

export async function findCharge(sql: Sql, tenantId: string, chargeId: number, part: ChargePart): Promise<ChargeRow | null> {
  const rows = await sql.query<ChargeDbRow>(`SELECT ${chargeColumns} FROM deskpro_charges c WHERE c.tenant_id = $1 AND c.charge_id = $2 AND c.part = $3`, [
    tenantId,
    chargeId,
    part,
  ]);
  return rows[0] ? toCharge(rows[0]) : null;
}

/** The row under a lock, for a posting's transaction to check that nobody changed it since it was read. */
export async function lockCharge(sql: Sql, tenantId: string, chargeId: number, part: ChargePart): Promise<ChargeRow | null> {
  const rows = await sql.query<ChargeDbRow>(
    `SELECT ${chargeColumns} FROM deskpro_charges c WHERE c.tenant_id = $1 AND c.charge_id = $2 AND c.part = $3 FOR UPDATE OF c`,
    [tenantId, chargeId, part],
  );
  return rows[0] ? toCharge(rows[0]) : null;
}

export async function chargesOnTicket(sql: Sql, tenantId: string, ticketId: string): Promise<ChargeRow[]> {
  const rows = await sql.query<ChargeDbRow>(
    `SELECT ${chargeColumns} FROM deskpro_charges c WHERE c.tenant_id = $1 AND c.ticket_id = $2 ORDER BY c.charge_id, c.part`,
    [tenantId, ticketId],
  );
  return rows.map(toCharge);
}

export interface ChargeValues {
  chargeId: number;
  part: ChargePart;
  ticketId: string;
  state: string;
  units: number;
  countedUnits: number | null;
  entryId: string | null;
  dateCreated: Date | null;
  syncSeq: number;
}

/** $1…$11 of the insert and the update, in the order both name them. */
const chargeParams = (tenantId: string, v: ChargeValues, now: Date) => [
  tenantId,
  v.chargeId,
  v.part,
  v.ticketId,
  v.state,
  v.units,
  v.countedUnits,
  v.entryId,
  v.dateCreated,
  v.syncSeq,
  now,
];

/** A row for a charge not seen before; false when one exists (another read got there first). */
export async function insertCharge(sql: Sql, tenantId: string, values: ChargeValues, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `INSERT INTO deskpro_charges (tenant_id, charge_id, part, ticket_id, state, units, counted_units, entry_id, date_created, sync_seq, first_seen_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
     ON CONFLICT DO NOTHING RETURNING 1`,
    chargeParams(tenantId, values, now),
  );
  return rows.length > 0;
}

export async function updateCharge(sql: Sql, tenantId: string, values: ChargeValues, now: Date): Promise<void> {
  await sql.query(
    `UPDATE deskpro_charges SET ticket_id = $4, state = $5, units = $6, counted_units = $7, entry_id = $8, date_created = coalesce($9, date_created),
       sync_seq = $10, updated_at = $11, refusal = NULL
     WHERE tenant_id = $1 AND charge_id = $2 AND part = $3`,
    chargeParams(tenantId, values, now),
  );
}

/**
 * Records what a read found when nothing is posted (a state, Deskpro's units, why it is refused),
 * unless a later read has written the row; the counted entry is left as it is. What the row says
 * already is not written again: an unchanged answer writes nothing.
 */
export async function noteCharge(
  sql: Sql,
  tenantId: string,
  values: Omit<ChargeValues, "countedUnits" | "entryId"> & { refusal?: ChargeRefusal | null },
  now: Date,
): Promise<void> {
  await sql.query(
    `INSERT INTO deskpro_charges (tenant_id, charge_id, part, ticket_id, state, units, date_created, sync_seq, refusal, first_seen_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
     ON CONFLICT (tenant_id, charge_id, part) DO UPDATE SET state = EXCLUDED.state, units = EXCLUDED.units, refusal = EXCLUDED.refusal,
       date_created = coalesce(EXCLUDED.date_created, deskpro_charges.date_created), sync_seq = EXCLUDED.sync_seq, updated_at = EXCLUDED.updated_at
     WHERE deskpro_charges.sync_seq <= EXCLUDED.sync_seq
       AND (deskpro_charges.state, deskpro_charges.units, deskpro_charges.refusal) IS DISTINCT FROM (EXCLUDED.state, EXCLUDED.units, EXCLUDED.refusal)`,
    [tenantId, values.chargeId, values.part, values.ticketId, values.state, values.units, values.dateCreated, values.syncSeq, values.refusal ?? null, now],
  );
}

/** The Deskpro charge the ledger saw most recently. */
export async function lastSeenCharge(sql: Sql, tenantId: string): Promise<ChargeRow | null> {
  const rows = await sql.query<ChargeDbRow>(
    `SELECT ${chargeColumns} FROM deskpro_charges c WHERE c.tenant_id = $1 ORDER BY c.first_seen_at DESC, c.charge_id DESC LIMIT 1`,
    [tenantId],
  );
  return rows[0] ? toCharge(rows[0]) : null;
}

export async function countUnpaid(sql: Sql, tenantId: string): Promise<number> {
  const rows = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM deskpro_charges WHERE tenant_id = $1 AND state = 'unpaid'", [tenantId]);
  return rows[0]?.n ?? 0;
}

/** The tenant's refused Deskpro charges: how many, and the most recently refused. */
export async function refusedCharges(sql: Sql, tenantId: string, limit: number): Promise<{ count: number; latest: ChargeRow[] }> {
  const count = await sql.query<{ n: number }>("SELECT count(*)::int AS n FROM deskpro_charges WHERE tenant_id = $1 AND state = 'refused'", [tenantId]);
  const latest = await sql.query<ChargeDbRow>(
    `SELECT ${chargeColumns} FROM deskpro_charges c WHERE c.tenant_id = $1 AND c.state = 'refused' ORDER BY c.updated_at DESC, c.charge_id DESC LIMIT $2`,
    [tenantId, limit],
  );
  return { count: count[0]?.n ?? 0, latest: latest.map(toCharge) };
}

/** Tickets whose Deskpro charges changed since `since`, most recent first: the sweep reads them again. */
export async function recentlyChargedTickets(sql: Sql, tenantId: string, since: Date, limit: number): Promise<string[]> {
  const rows = await sql.query<{ ticket_id: string }>(
    `SELECT ticket_id FROM deskpro_charges WHERE tenant_id = $1 AND updated_at >= $2
     GROUP BY ticket_id ORDER BY max(updated_at) DESC LIMIT $3`,
    [tenantId, since, limit],
  );
  return rows.map((r) => r.ticket_id);
}

// ---------------------------------------------------------------------------------------------
// Sidebar time written to Deskpro
// ---------------------------------------------------------------------------------------------

export type WriteState = "pending" | "written" | "cancelled" | "removed" | "failed";

export interface WriteRow {
  entryId: string;
  ticketId: string;
  seconds: number;
  comment: string;
  marker: string;
  state: WriteState;
  attempted: boolean;
  chargeId: number | null;
  createdAt: Date;
  updatedAt: Date;
}

type WriteDbRow = {
  entry_id: string;
  ticket_id: string;
  seconds: number;
  comment: string;
  marker: string;
  state: WriteState;
  attempted: boolean;
  charge_id: number | null;
  created_at: Date;
  updated_at: Date;
};
const writeColumns = "entry_id, ticket_id, seconds, comment, marker, state, attempted, charge_id, created_at, updated_at";
const toWrite = (r: WriteDbRow): WriteRow => ({
  entryId: r.entry_id,
  ticketId: r.ticket_id,
  seconds: Number(r.seconds),
  comment: r.comment,
  marker: r.marker,
  state: r.state,
  attempted: r.attempted,
  chargeId: r.charge_id === null ? null : Number(r.charge_id),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export async function insertWrite(
  sql: Sql,
  tenantId: string,
  write: { entryId: string; ticketId: string; seconds: number; comment: string; marker: string },
  now: Date,
): Promise<void> {
  await sql.query(
    `INSERT INTO deskpro_charge_writes (tenant_id, entry_id, ticket_id, seconds, comment, marker, state, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) ON CONFLICT DO NOTHING`,
    [tenantId, write.entryId, write.ticketId, write.seconds, write.comment, write.marker, now],
  );
}

export async function findWrite(sql: Sql, tenantId: string, entryId: string): Promise<WriteRow | null> {
  const rows = await sql.query<WriteDbRow>(`SELECT ${writeColumns} FROM deskpro_charge_writes WHERE tenant_id = $1 AND entry_id = $2`, [tenantId, entryId]);
  return rows[0] ? toWrite(rows[0]) : null;
}

export async function writesOnTicket(sql: Sql, tenantId: string, ticketId: string): Promise<WriteRow[]> {
  const rows = await sql.query<WriteDbRow>(
    `SELECT ${writeColumns} FROM deskpro_charge_writes WHERE tenant_id = $1 AND ticket_id = $2 ORDER BY created_at, entry_id`,
    [tenantId, ticketId],
  );
  return rows.map(toWrite);
}

/** Marks a pending write as about to be posted; false when it is no longer pending (cancelled meanwhile). */
export async function markAttempted(sql: Sql, tenantId: string, entryId: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    "UPDATE deskpro_charge_writes SET attempted = true, updated_at = $3 WHERE tenant_id = $1 AND entry_id = $2 AND state = 'pending' RETURNING 1",
    [tenantId, entryId, now],
  );
  return rows.length > 0;
}

/** Cancels a write never posted; false when it may already be in Deskpro (or isn't pending). */
export async function cancelUnattempted(sql: Sql, tenantId: string, entryId: string, now: Date): Promise<boolean> {
  const rows = await sql.query(
    `UPDATE deskpro_charge_writes SET state = 'cancelled', updated_at = $3
     WHERE tenant_id = $1 AND entry_id = $2 AND state = 'pending' AND NOT attempted RETURNING 1`,
    [tenantId, entryId, now],
  );
  return rows.length > 0;
}

/** The charge Deskpro made for a pending write (found or created). */
export async function recordWritten(sql: Sql, tenantId: string, entryId: string, chargeId: number, now: Date): Promise<void> {
  await sql.query(
    `UPDATE deskpro_charge_writes SET state = 'written', charge_id = $3, updated_at = $4
     WHERE tenant_id = $1 AND entry_id = $2 AND state IN ('pending', 'failed')`,
    [tenantId, entryId, chargeId, now],
  );
}

export async function setWriteState(sql: Sql, tenantId: string, entryId: string, from: WriteState[], to: WriteState, now: Date): Promise<void> {
  await sql.query("UPDATE deskpro_charge_writes SET state = $4, updated_at = $5 WHERE tenant_id = $1 AND entry_id = $2 AND state = ANY($3::text[])", [
    tenantId,
    entryId,
    from,
    to,
    now,
  ]);
}
