/**
 * Write-backs to Deskpro as outbox rows: enqueued inside the ledger transaction that calls for
 * them, delivered later with idempotent effects (check before write).
 */
import { z } from "zod";
import { enqueueJob, handle, outboxKind, type OutboxHandler } from "../../core/outbox.js";
import type { Sql } from "../../storage/db.js";
import type { DeskproClient } from "./client.js";
import { deskproForDelivery, type DeskproClientFactory } from "./connection.js";

const PriorityPayload = z.object({ ticketId: z.string(), priorityId: z.int() });
export type PriorityPayload = z.infer<typeof PriorityPayload>;

const MessagePayload = z.object({
  ticketId: z.string(),
  html: z.string(),
  /** An internal note for agents rather than a reply the customer sees. */
  note: z.boolean(),
  /** Put in the message and looked for before posting, so a redelivery doesn't post twice. */
  marker: z.string(),
});
export type MessagePayload = z.infer<typeof MessagePayload>;

/** Sets a ticket's priority (unless it has it already). */
export const setPriorityJob = outboxKind("deskpro.set_priority", PriorityPayload, "helpdesk");
/** Posts a note or a reply on a ticket, once (its marker is looked for first). */
export const messageJob = outboxKind("deskpro.message", MessagePayload, "helpdesk");

export async function enqueuePriority(sql: Sql, tenantId: string, dedupeKey: string, payload: PriorityPayload, now: Date): Promise<string> {
  return (await enqueueJob(sql, setPriorityJob, { tenantId, dedupeKey, payload, now })).id;
}

/** A marker as messageMarker makes it, wherever it appears in a text. */
export const MARKER_PATTERN = /SC-[0-9A-Z]{14}/g;

/** A marker derived from the dedupe key: the same cause always gets the same marker. */
export function messageMarker(dedupeKey: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < dedupeKey.length; i++) hash = Math.imul(hash ^ dedupeKey.charCodeAt(i), 0x01000193) >>> 0;
  let hash2 = 0x9e3779b9;
  for (let i = dedupeKey.length - 1; i >= 0; i--) hash2 = Math.imul(hash2 ^ dedupeKey.charCodeAt(i), 0x85ebca6b) >>> 0;
  return `SC-${hash.toString(36).toUpperCase().padStart(7, "0")}${hash2.toString(36).toUpperCase().padStart(7, "0")}`;
}

export async function enqueueMessage(
  sql: Sql,
  tenantId: string,
  dedupeKey: string,
  message: { ticketId: string; html: string; note: boolean },
  now: Date,
): Promise<string> {
  return (await enqueueJob(sql, messageJob, { tenantId, dedupeKey, payload: { ...message, marker: messageMarker(`${tenantId}|${dedupeKey}`) }, now })).id;
}

/** The message as posted: its text and, last, the marker as a small reference line. */
export function withMarker(html: string, marker: string): string {
  return `${html}<p><small>Ref ${marker}</small></p>`;
}

export async function deliverPriority(payload: PriorityPayload, client: DeskproClient): Promise<void> {
  const ticket = await client.getTicket(payload.ticketId);
  if (ticket.priority === payload.priorityId) return; // already set (by an earlier attempt or by hand)
  await client.setTicketPriority(payload.ticketId, payload.priorityId);
}

export async function deliverDeskproMessage(payload: MessagePayload, client: DeskproClient): Promise<void> {
  const existing = await client.listTicketMessages(payload.ticketId);
  if (existing.some((m) => (m.message ?? "").includes(payload.marker))) return;
  await client.postTicketMessage(payload.ticketId, { html: withMarker(payload.html, payload.marker), note: payload.note });
}

/**
 * Starts an agent-initiated ticket to a person (awaiting their reply, so Deskpro emails them the
 * first message), once: the marker goes into the subject, and a redelivery finds the ticket by it
 * among the person's newest tickets instead of starting another. Answers the ticket's id.
 */
export async function startTicketOnce(client: DeskproClient, ticket: { personId: number; subject: string; html: string; marker: string }): Promise<number> {
  const existing = (await client.listTicketsOf({ type: "person", id: String(ticket.personId) })).find((t) => (t.subject ?? "").includes(ticket.marker));
  if (existing) return existing.id;
  const created = await client.createTicket({
    personId: ticket.personId,
    subject: `${ticket.subject} (Ref ${ticket.marker})`,
    html: withMarker(ticket.html, ticket.marker),
    status: "awaiting_user",
  });
  return created.id;
}

/** The outbox kinds that write back to Deskpro. */
export const deskproWriteHandlers = (clients: DeskproClientFactory): OutboxHandler[] => [
  handle(setPriorityJob, async (payload, context) => deliverPriority(payload, await deskproForDelivery(context, clients))),
  handle(messageJob, async (payload, context) => deliverDeskproMessage(payload, await deskproForDelivery(context, clients))),
];
