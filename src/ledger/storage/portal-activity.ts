/** SQL for what the settings page's setup checklist has seen: the last web hook, the last priority written back. */
import type { Sql } from "./db.js";

export interface LastHook {
  at: Date;
  event: string;
  ticketId: string;
}

export async function recordHook(sql: Sql, tenantId: string, hook: LastHook): Promise<void> {
  await sql.query(
    `INSERT INTO portal_activity (tenant_id, last_hook_at, last_hook_event, last_hook_ticket) VALUES ($1, $2, $3, $4)
     ON CONFLICT (tenant_id) DO UPDATE SET last_hook_at = EXCLUDED.last_hook_at, last_hook_event = EXCLUDED.last_hook_event,
       last_hook_ticket = EXCLUDED.last_hook_ticket`,
    [tenantId, hook.at, hook.event, hook.ticketId],
  );
}

export async function lastHook(sql: Sql, tenantId: string): Promise<LastHook | null> {
  const rows = await sql.query<{ last_hook_at: Date; last_hook_event: string; last_hook_ticket: string }>(
    "SELECT last_hook_at, last_hook_event, last_hook_ticket FROM portal_activity WHERE tenant_id = $1",
    [tenantId],
  );
  const r = rows[0];
  return r ? { at: r.last_hook_at, event: r.last_hook_event, ticketId: r.last_hook_ticket } : null;
}

/** The last ticket priority the outbox wrote back to Deskpro, and when. */
export async function lastPriorityWritten(sql: Sql, tenantId: string): Promise<{ at: Date; ticketId: string } | null> {
  const rows = await sql.query<{ done_at: Date; ticket_id: string }>(
    `SELECT done_at, payload->>'ticketId' AS ticket_id FROM outbox
     WHERE tenant_id = $1 AND kind = 'deskpro.set_priority' AND state = 'done' AND done_at IS NOT NULL
     ORDER BY done_at DESC LIMIT 1`,
    [tenantId],
  );
  const r = rows[0];
  return r ? { at: r.done_at, ticketId: r.ticket_id } : null;
}
