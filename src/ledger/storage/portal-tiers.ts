/**
 * SQL for paid tiers on Deskpro's portal: the settings (the tier field and its options' tiers,
 * parsed with the contract's schema here) and what the ledger saw and did on each portal ticket.
 */
import { PortalSettings } from "../../contract/portal.js";
import type { Sql } from "./db.js";

export async function getPortalSettings(sql: Sql, tenantId: string): Promise<{ settings: PortalSettings; updatedAt: Date | null }> {
  const rows = await sql.query<{ settings: unknown; updated_at: Date }>("SELECT settings, updated_at FROM portal_settings WHERE tenant_id = $1", [tenantId]);
  return { settings: PortalSettings.parse(rows[0]?.settings ?? {}), updatedAt: rows[0]?.updated_at ?? null };
}

export async function putPortalSettings(sql: Sql, tenantId: string, settings: PortalSettings, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO portal_settings (tenant_id, settings, updated_at) VALUES ($1, $2::jsonb, $3)
     ON CONFLICT (tenant_id) DO UPDATE SET settings = EXCLUDED.settings, updated_at = EXCLUDED.updated_at`,
    [tenantId, JSON.stringify(settings), now],
  );
}

export type PortalOutcome = "none" | "free" | "charged" | "unaffordable" | "not_offered" | "refunded" | "cancelled";

export interface PortalTicketRow {
  ticketId: string;
  owner: string | null;
  requestedTier: string | null;
  chargedTier: string | null;
  chargeEntryId: string | null;
  outcome: PortalOutcome;
  lastFieldTier: string | null;
  lastPriorityId: number | null;
  updatedAt: Date;
}
type PortalTicketDbRow = {
  ticket_id: string;
  owner: string | null;
  requested_tier: string | null;
  charged_tier: string | null;
  charge_entry_id: string | null;
  outcome: PortalOutcome;
  last_field_tier: string | null;
  last_priority_id: number | null;
  updated_at: Date;
};

/** The ticket's row, locked until the transaction ends (one decision at a time per ticket). */
export async function lockPortalTicket(sql: Sql, tenantId: string, ticketId: string): Promise<PortalTicketRow | null> {
  const rows = await sql.query<PortalTicketDbRow>(
    `SELECT ticket_id, owner, requested_tier, charged_tier, charge_entry_id, outcome, last_field_tier, last_priority_id, updated_at
     FROM portal_tickets WHERE tenant_id = $1 AND ticket_id = $2 FOR UPDATE`,
    [tenantId, ticketId],
  );
  const r = rows[0];
  return r
    ? {
        ticketId: r.ticket_id,
        owner: r.owner,
        requestedTier: r.requested_tier,
        chargedTier: r.charged_tier,
        chargeEntryId: r.charge_entry_id,
        outcome: r.outcome,
        lastFieldTier: r.last_field_tier,
        lastPriorityId: r.last_priority_id,
        updatedAt: r.updated_at,
      }
    : null;
}

export async function savePortalTicket(sql: Sql, tenantId: string, row: Omit<PortalTicketRow, "updatedAt">, now: Date): Promise<void> {
  await sql.query(
    `INSERT INTO portal_tickets (tenant_id, ticket_id, owner, requested_tier, charged_tier, charge_entry_id, outcome, last_field_tier, last_priority_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (tenant_id, ticket_id) DO UPDATE SET owner = EXCLUDED.owner, requested_tier = EXCLUDED.requested_tier,
       charged_tier = EXCLUDED.charged_tier, charge_entry_id = EXCLUDED.charge_entry_id, outcome = EXCLUDED.outcome,
       last_field_tier = EXCLUDED.last_field_tier, last_priority_id = EXCLUDED.last_priority_id, updated_at = EXCLUDED.updated_at`,
    [tenantId, row.ticketId, row.owner, row.requestedTier, row.chargedTier, row.chargeEntryId, row.outcome, row.lastFieldTier, row.lastPriorityId, now],
  );
}
