/**
 * Deskpro REST API v2 shapes, as documented: every answer wraps its object in `data` (with `meta`
 * and `linked` beside it); references to people, organisations and priorities are ids. Only the
 * fields the ledger reads are declared; the rest pass through unchecked.
 */
import { z } from "zod";

/** An id Deskpro may send as a number, a numeric string or an object carrying `id`. */
const Ref = z.preprocess((value) => {
  if (value !== null && typeof value === "object" && "id" in value) return (value as { id: unknown }).id;
  if (typeof value === "string" && /^[0-9]+$/.test(value)) return Number(value);
  if (value === 0 || value === "") return null;
  return value;
}, z.int().min(1).nullable());

export const DeskproTicket = z.looseObject({
  id: z.int().min(1),
  ref: z.string().nullish(),
  subject: z.string().nullish(),
  /** awaiting_agent, awaiting_user, resolved, closed, archived, hidden (with hidden_status: deleted, spam, …). */
  status: z.string(),
  hidden_status: z.string().nullish(),
  person: Ref.optional().default(null),
  organization: Ref.optional().default(null),
  priority: Ref.optional().default(null),
  /** Custom fields keyed by field id; a field's value is under `value` (ids of chosen options for choice fields). */
  fields: z
    .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .default({}),
  /** The SLAs on the ticket: ids, or objects carrying the SLA's id (read leniently, see slaIdsOf). */
  slas: z.unknown().optional(),
});
export type DeskproTicket = z.infer<typeof DeskproTicket>;

export const DeskproMessage = z.looseObject({
  id: z.int().min(1),
  ticket: Ref.optional(),
  message: z.string().nullish(),
  is_agent_note: z.union([z.boolean(), z.int()]).optional(),
});
export type DeskproMessage = z.infer<typeof DeskproMessage>;

export const DeskproPriority = z.looseObject({ id: z.int().min(1), title: z.string().nullish(), sort: z.int().nullish() });
export const DeskproPerson = z.looseObject({
  id: z.int().min(1),
  name: z.string().nullish(),
  first_name: z.string().nullish(),
  display_name: z.string().nullish(),
  primary_email: z.string().nullish(),
  organization: Ref.optional().default(null),
  fields: z.unknown().optional(),
  slas: z.unknown().optional(),
});
export type DeskproPerson = z.infer<typeof DeskproPerson>;
/** What a message greets the customer by: their first name, else whatever name Deskpro has. */
export const firstNameOf = (person: DeskproPerson): string | null => person.first_name || person.name || person.display_name || null;
export const DeskproOrganization = z.looseObject({
  id: z.int().min(1),
  name: z.string().nullish(),
  fields: z.unknown().optional(),
  slas: z.unknown().optional(),
});
export type DeskproOrganization = z.infer<typeof DeskproOrganization>;

export const one = <T extends z.ZodType>(schema: T) => z.object({ data: schema });
export const many = <T extends z.ZodType>(schema: T) => z.object({ data: z.array(schema) });

export const OPEN_STATUSES = new Set(["awaiting_agent", "awaiting_user"]);
/** Deleted or marked as spam: the customer gets nothing, so the fee comes back. */
export const isCancelled = (ticket: DeskproTicket) =>
  (ticket.status === "hidden" && ["deleted", "spam"].includes(ticket.hidden_status ?? "")) || ticket.status === "deleted" || ticket.status === "spam";

/**
 * The values a custom field holds, flattened to ids and titles: Deskpro gives choice fields as
 * option ids (a number, a string or a list), sometimes as `{id, title}` objects.
 */
export function fieldValues(raw: unknown): Array<number | string> {
  const out: Array<number | string> = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 4 || value === null || value === undefined) return;
    if (typeof value === "number" && Number.isInteger(value)) out.push(value);
    else if (typeof value === "string" && value.trim() !== "") out.push(/^[0-9]{1,12}$/.test(value.trim()) ? Number(value.trim()) : value.trim());
    else if (Array.isArray(value)) value.forEach((v) => visit(v, depth + 1));
    else if (typeof value === "object") {
      const o = value as Record<string, unknown>;
      if ("value" in o) visit(o.value, depth + 1);
      else {
        if ("id" in o) visit(o.id, depth + 1);
        if ("title" in o) visit(o.title, depth + 1);
      }
    }
  };
  visit(raw, 0);
  return out;
}

/** A ticket's custom field by id (fields keyed by id or `field<id>`, or a list of `{id, value}`). */
export function customFieldValues(ticket: Pick<DeskproTicket, "fields">, fieldId: number): Array<number | string> {
  const fields = ticket.fields;
  const raw = Array.isArray(fields)
    ? fields.find((f) => f !== null && typeof f === "object" && Number((f as { id?: unknown }).id) === fieldId)
    : (fields[String(fieldId)] ?? fields[`field${fieldId}`]);
  return fieldValues(raw);
}

/**
 * SLA ids from what Deskpro lists for a ticket (or a record): ids, numeric strings, or objects
 * carrying the SLA as `sla` or `id` (a ticket's SLA rows are `{sla, sla_status}`).
 */
export function slaIdsOf(raw: unknown): string[] {
  const list = Array.isArray(raw) ? raw : raw !== null && typeof raw === "object" ? Object.values(raw) : [];
  const ids = list.slice(0, 100).flatMap((item): string[] => {
    const value = item !== null && typeof item === "object" ? ((item as { sla?: unknown }).sla ?? (item as { id?: unknown }).id) : item;
    const id = value !== null && typeof value === "object" ? (value as { id?: unknown }).id : value;
    const text = typeof id === "number" || typeof id === "string" ? String(id).trim() : "";
    return /^[1-9][0-9]{0,17}$/.test(text) ? [text] : [];
  });
  return [...new Set(ids)];
}
