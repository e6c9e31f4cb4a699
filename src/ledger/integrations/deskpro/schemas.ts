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
  /** `<type>` or `<type>.<suffix>`: awaiting_user.7 (a sub-status), hidden.deleted, hidden.spam… (see statuses.ts). */
  status: z.string(),
  hidden_status: z.string().nullish(),
  person: Ref.optional().default(null),
  organization: Ref.optional().default(null),
  priority: Ref.optional().default(null),
  /**
   * Custom fields keyed by field id; a field's value is under `value` (ids of chosen options for
   * choice fields, whose titles are under `detail`). PHP sends an empty map as `[]`.
   */
  fields: z
    .union([z.record(z.string(), z.unknown()), z.array(z.unknown())])
    .optional()
    .default({}),
  /** Ids of the ticket's ticket-SLA links (not SLA ids): the SLAs are read from /tickets/{id}/ticket_slas. */
  ticket_slas: z.array(z.unknown()).optional(),
});
export type DeskproTicket = z.infer<typeof DeskproTicket>;

export const DeskproMessage = z.looseObject({
  id: z.int().min(1),
  ticket: Ref.optional(),
  message: z.string().nullish(),
  is_agent_note: z.union([z.boolean(), z.int()]).optional(),
});
export type DeskproMessage = z.infer<typeof DeskproMessage>;

export const DeskproPerson = z.looseObject({
  id: z.int().min(1),
  name: z.string().nullish(),
  first_name: z.string().nullish(),
  display_name: z.string().nullish(),
  primary_email: z.string().nullish(),
  /** The person's organisation (Deskpro gives one id). */
  organization: Ref.optional().default(null),
  fields: z.unknown().optional(),
});
export type DeskproPerson = z.infer<typeof DeskproPerson>;
/** What a message greets the customer by: their first name, else whatever name Deskpro has. */
export const firstNameOf = (person: DeskproPerson): string | null => person.first_name || person.name || person.display_name || null;
export const DeskproOrganization = z.looseObject({
  id: z.int().min(1),
  name: z.string().nullish(),
  fields: z.unknown().optional(),
});
export type DeskproOrganization = z.infer<typeof DeskproOrganization>;

/**
 * A charge on a ticket's Billing & Time Log (`/tickets/{id}/charges`): `charge_time` in seconds,
 * `amount` a decimal in the helpdesk's billing currency, `comment` the billing comment field.
 * Only the id must read: the time and amount are kept as sent, for the link's rules to take or
 * refuse (domain/deskpro-billing.ts), and a field of the wrong kind reads as missing, so one odd
 * field never hides the charge. Fields the ledger doesn't use are dropped.
 */
export const DeskproCharge = z.object({
  id: z.int().min(1),
  amount: z.unknown(),
  charge_time: z.unknown(),
  date_created: z.string().max(100).nullish().catch(undefined),
  comment: z.string().nullish().catch(undefined),
});
export type DeskproCharge = z.infer<typeof DeskproCharge>;

export const one = <T extends z.ZodType>(schema: T) => z.object({ data: schema });

/** A ticket-SLA link from /tickets/{id}/ticket_slas: `sla` is the SLA's id. */
export const DeskproTicketSla = z.looseObject({ id: z.int().min(1), sla: Ref, sla_status: z.string().nullish() });
export type DeskproTicketSla = z.infer<typeof DeskproTicketSla>;

/**
 * A record of /ticket_statuses. Helpdesks before April 2019 listed plain status codes instead
 * ("hidden.deleted"), kept here as a code without an id.
 */
export const DeskproTicketStatus = z.union([
  z.looseObject({ id: z.int().min(1), status_type: z.string(), status_code: z.string().nullish(), sys_id: z.string().nullish(), title: z.string().nullish() }),
  z.string().transform((code) => ({ id: null, status_type: code.split(".")[0]!, status_code: code, sys_id: null, title: null })),
]);
export type DeskproTicketStatus = z.infer<typeof DeskproTicketStatus>;

/** A ticket, person or organisation custom field's definition; choice fields list their options under `choices`. */
export const DeskproCustomField = z.looseObject({
  id: z.int().min(1),
  title: z.string().nullish(),
  alias: z.string().nullish(),
  is_enabled: z.union([z.boolean(), z.int()]).nullish(),
  choices: z
    .array(z.looseObject({ id: z.int().min(1), title: z.string() }))
    .nullish()
    .transform((choices) => choices ?? []),
});
export type DeskproCustomField = z.infer<typeof DeskproCustomField>;

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

/** The title Deskpro gives a chosen option of a choice field on the ticket (`fields.<id>.detail.<option>.title`). */
export function chosenOptionTitle(ticket: Pick<DeskproTicket, "fields">, fieldId: number, optionId: number): string | null {
  const fields = ticket.fields;
  const field = Array.isArray(fields) ? undefined : (fields[String(fieldId)] ?? fields[`field${fieldId}`]);
  const detail = field !== null && typeof field === "object" ? (field as { detail?: unknown }).detail : undefined;
  const entry = detail !== null && typeof detail === "object" ? (detail as Record<string, unknown>)[String(optionId)] : undefined;
  const title = entry !== null && typeof entry === "object" ? (entry as { title?: unknown }).title : undefined;
  return typeof title === "string" ? title : null;
}

/**
 * `GET /api/v2/me`: who the API key acts as. `can_admin` says whether that person is an admin of
 * the helpdesk (there is no `is_admin`); anything but `true` is not proof.
 */
export const DeskproMe = z.looseObject({
  auth_method: z.string().nullish(),
  person_id: Ref.optional(),
  person: z
    .looseObject({
      id: Ref.optional(),
      name: z.string().nullish(),
      display_name: z.string().nullish(),
      is_agent: z.union([z.boolean(), z.int()]).nullish(),
      can_admin: z.union([z.boolean(), z.int()]).nullish(),
    })
    .nullish(),
});
export type DeskproMe = z.infer<typeof DeskproMe>;

/** `GET /api/v2/helpdesk/discover` (public): where the helpdesk's API is, `base_api_url` ending in `/api/v2/`. */
export const DeskproDiscover = z.looseObject({
  is_deskpro: z.boolean().nullish(),
  helpdesk_url: z.string().nullish(),
  base_api_url: z.string().nullish(),
});

/** An SLA definition or a ticket priority: an id and a title. */
export const DeskproTitled = z.looseObject({ id: z.int().min(1), title: z.string().nullish() });
export type DeskproTitled = z.infer<typeof DeskproTitled>;
