/** SQL for the bank each ticket is pinned to (its first charge's, or an agent's choice). */
import type { Sql } from "./db.js";

export interface PayerPinRow {
  ticketId: string;
  owner: string;
  how: "first_charge" | "agent";
  agent: string | null;
  note: string | null;
  previousOwner: string | null;
  pinnedAt: Date;
}
type DbRow = {
  ticket_id: string;
  owner: string;
  how: "first_charge" | "agent";
  agent: string | null;
  note: string | null;
  previous_owner: string | null;
  pinned_at: Date;
};
const toRow = (r: DbRow): PayerPinRow => ({
  ticketId: r.ticket_id,
  owner: r.owner,
  how: r.how,
  agent: r.agent,
  note: r.note,
  previousOwner: r.previous_owner,
  pinnedAt: r.pinned_at,
});

export async function findPin(sql: Sql, tenantId: string, ticketId: string): Promise<PayerPinRow | null> {
  const rows = await sql.query<DbRow>(
    "SELECT ticket_id, owner, how, agent, note, previous_owner, pinned_at FROM ticket_payers WHERE tenant_id = $1 AND ticket_id = $2",
    [tenantId, ticketId],
  );
  return rows[0] ? toRow(rows[0]) : null;
}

/** Pins the ticket to `owner` at its first charge; a ticket already pinned keeps its pin. */
export async function pinFirstCharge(sql: Sql, tenantId: string, ticketId: string, owner: string, agent: string | null, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO ticket_payers (tenant_id, ticket_id, owner, how, agent, pinned_at) VALUES ($1, $2, $3, 'first_charge', $4, $5)
     ON CONFLICT (tenant_id, ticket_id) DO NOTHING`,
    [tenantId, ticketId, owner, agent, now],
  );
}

/** An agent's change: the ticket is pinned to `owner` from now on. */
export async function setPin(sql: Sql, tenantId: string, pin: Omit<PayerPinRow, "how">): Promise<void> {
  await sql.query(
    `INSERT INTO ticket_payers (tenant_id, ticket_id, owner, how, agent, note, previous_owner, pinned_at)
     VALUES ($1, $2, $3, 'agent', $4, $5, $6, $7)
     ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET owner = $3, how = 'agent', agent = $4, note = $5, previous_owner = $6, pinned_at = $7`,
    [tenantId, pin.ticketId, pin.owner, pin.agent, pin.note, pin.previousOwner, pin.pinnedAt],
  );
}
