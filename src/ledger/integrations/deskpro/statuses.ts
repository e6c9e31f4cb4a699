/**
 * A ticket's `status`, as Deskpro writes it: a status type, optionally followed by a dot and a
 * suffix: a sub-status record's id (`awaiting_user.7`), or for hidden tickets the hidden status
 * record's `sys_id` (`hidden.deleted`, `hidden.spam`, API version 20170401 on). The records'
 * own `status_code` is `hidden.<id>`, so that form is read too, its `sys_id` looked up in
 * `GET /api/v2/ticket_statuses`. API version 20160101 sent `hidden` with `hidden_status`.
 */
import type { DeskproTicket, DeskproTicketStatus } from "./schemas.js";

export interface TicketStatus {
  type: string;
  suffix: string | null;
}

export function parseStatus(status: string): TicketStatus {
  const dot = status.indexOf(".");
  return dot === -1 ? { type: status, suffix: null } : { type: status.slice(0, dot), suffix: status.slice(dot + 1) || null };
}

/** Waiting on an agent, on the user, or pending: the ticket is still being worked on. */
const OPEN_TYPES = new Set(["awaiting_agent", "awaiting_user", "pending"]);
export const isOpenStatus = (status: string): boolean => OPEN_TYPES.has(parseStatus(status).type);

/** Hidden because deleted or marked as spam ("validating" tickets are hidden too, but not cancelled). */
const CANCELLED = new Set(["deleted", "spam"]);

/**
 * Whether the ticket was deleted or marked as spam. The helpdesk's status records are read (through
 * `statuses`) only for a hidden ticket whose status names a record by id.
 */
export async function isCancelled(ticket: Pick<DeskproTicket, "status" | "hidden_status">, statuses: () => Promise<DeskproTicketStatus[]>): Promise<boolean> {
  const { type, suffix } = parseStatus(ticket.status);
  if (type !== "hidden") return false;
  if (CANCELLED.has(ticket.hidden_status ?? "") || CANCELLED.has(suffix ?? "")) return true;
  if (suffix === null || !/^[1-9][0-9]{0,9}$/.test(suffix)) return false;
  const record = (await statuses()).find((s) => String(s.id) === suffix || s.status_code === ticket.status);
  return CANCELLED.has(record?.sys_id ?? "");
}
