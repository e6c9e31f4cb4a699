/**
 * A stand-in for the parts of Deskpro's REST API v2 the ledger reads and writes back through,
 * answering as docs/deskpro-fidelity.md records Deskpro does: the `{data, meta, linked}`
 * envelope, `Authorization: key <id>:<code>` API keys, `PUT` answered `204 No Content` (the
 * entity only with `?follow_location=1`), `POST` answered `201` with a `Location` header and the
 * created entity, a soft `DELETE` that leaves the ticket readable as `hidden.deleted`, ticket
 * statuses with hidden Spam and Deleted records, a ticket's `ticket_slas` as link ids with the
 * SLA under `/tickets/{id}/ticket_slas`, choice fields whose titles come under `detail`, and each
 * ticket's Billing & Time Log under `/tickets/{id}/charges` (seconds, a decimal amount, `POST` 201,
 * `PUT` 204, `DELETE` 200 removing the charge for good). So the ledger's real Deskpro client runs
 * unchanged against it and its write-backs show on the demo ticket.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { Helpdesk, HelpdeskCharge, HelpdeskChoiceField, HelpdeskTicket, HostStore } from "./store.js";
import { DEMO_AGENT_ID, deskproDate, fullName } from "./store.js";

const Id = z.coerce.number().int().min(1);
const TicketUpdate = z
  .object({
    priority: z.union([Id, z.null()]).optional(),
    status: z.string().min(1).optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
    subject: z.string().min(1).optional(),
  })
  .strict();
const NewMessage = z.object({
  message: z.string().min(1),
  format: z.enum(["html", "text"]).optional(),
  is_note: z.boolean().optional(),
  person: Id.optional(),
});
const NewTicket = z.object({
  person: Id,
  subject: z.string().trim().min(1),
  status: z.string().min(1).optional(),
  message: NewMessage.omit({ is_note: true }).optional(),
});

/** A charge's fields as the API takes them; a charge has time, an amount, or both. */
export const ChargeInput = z
  .object({
    amount: z.number().min(0).max(1_000_000).nullable().optional(),
    charge_time: z.int().min(0).max(10_000_000).nullable().optional(),
    comment: z.string().max(255).optional(),
    person: Id.optional(),
    agent: Id.optional(),
  })
  .strict();
export type ChargeInput = z.infer<typeof ChargeInput>;

/** Adds a charge to a ticket's Billing & Time Log: the person and organisation come from the ticket, the agent from who adds it. */
export function addCharge(desk: Helpdesk, ticket: HelpdeskTicket, input: ChargeInput, agent: number): HelpdeskCharge {
  const charge: HelpdeskCharge = {
    id: desk.nextChargeId++,
    ticket: ticket.id,
    person: input.person ?? ticket.person,
    agent: input.agent ?? agent,
    organization: ticket.organization,
    amount: input.amount ?? null,
    charge_time: input.charge_time ?? null,
    comment: input.comment ?? "",
    date_created: deskproDate(new Date()),
  };
  desk.charges.push(charge);
  return charge;
}

/**
 * What a Deskpro admin does to a choice field after it was made (Admin → Tickets → Fields): rename
 * it, retitle options, add options, remove options. Existing options keep their ids (Deskpro's
 * `choices_structure` names an option by its id; only a new one is `@is_new`), a new option gets a
 * new id, a removed option is gone from the field's `choices` (tickets that chose it keep the id
 * in their value, with no title under `detail`). A field keeps at least one option.
 */
export const ChoiceFieldEdit = z
  .object({
    title: z.string().trim().min(1).max(200).optional(),
    titles: z.record(z.string().regex(/^[0-9]+$/), z.string().trim().min(1).max(200)).default({}),
    remove: z.array(z.int().min(1)).default([]),
    add: z.array(z.string().trim().min(1).max(200)).max(20).default([]),
  })
  .strict();
export type ChoiceFieldEdit = z.input<typeof ChoiceFieldEdit>;

/** Applies an admin's edit to a field, or says what is wrong and changes nothing. */
export function editChoiceField(desk: Helpdesk, field: HelpdeskChoiceField, raw: unknown): { ok: true } | { ok: false; message: string } {
  const parsed = ChoiceFieldEdit.safeParse(raw);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  const edit = parsed.data;
  const known = new Set(field.choices.map((c) => c.id));
  const unknown = [...Object.keys(edit.titles).map(Number), ...edit.remove].find((id) => !known.has(id));
  if (unknown !== undefined) return { ok: false, message: `${field.title} has no option ${unknown}` };
  if (field.choices.length - new Set(edit.remove).size + edit.add.length < 1) return { ok: false, message: "a choice field keeps at least one option" };
  // Option ids are unique across the helpdesk's fields and never given twice, as Deskpro's are.
  let nextId =
    Math.max(desk.lastChoiceId, ...[...desk.customFields, ...desk.personFields, ...desk.organizationFields].flatMap((f) => f.choices.map((c) => c.id))) + 1;
  if (edit.title !== undefined) field.title = edit.title;
  field.choices = field.choices
    .filter((c) => !edit.remove.includes(c.id))
    .map((c) => ({ id: c.id, title: edit.titles[String(c.id)] ?? c.title }))
    .concat(edit.add.map((title) => ({ id: nextId++, title })));
  desk.lastChoiceId = nextId - 1;
  return { ok: true };
}

/** Deskpro's status records: a custom sub-status, and the hidden Spam, Deleted and validating records. */
export const TICKET_STATUSES = [
  { id: 1, status_type: "hidden", status_code: "hidden.1", title: "Spam", sys_id: "spam", parent: null, display_order: 0 },
  { id: 2, status_type: "hidden", status_code: "hidden.2", title: "Deleted", sys_id: "deleted", parent: null, display_order: 1 },
  { id: 3, status_type: "hidden", status_code: "hidden.3", title: "Awaiting validation", sys_id: "validating", parent: null, display_order: 2 },
  { id: 7, status_type: "awaiting_user", status_code: "awaiting_user.7", title: "Waiting on the customer's IT", sys_id: "", parent: null, display_order: 3 },
];

const envelope = (data: unknown, meta: unknown = {}) => ({ data, meta, linked: {} });
const list = (data: unknown[]) => envelope(data, { pagination: { total: data.length, count: data.length, per_page: 200, current_page: 1, total_pages: 1 } });
const problem = (status: number, code: string, message: string) => Response.json({ status, code, message }, { status });
const notFound = (what: string) => problem(404, "not_found", `${what} not found`);

/** The ticket as Deskpro's API gives it: references as ids, choice fields with their options' titles under `detail`. */
export function ticketData(desk: Helpdesk, ticket: HelpdeskTicket) {
  const fields = Object.fromEntries(
    Object.entries(ticket.fields).map(([id, raw]) => {
      const field = raw as { value?: unknown };
      const definition = desk.customFields.find((f) => String(f.id) === id);
      if (!definition || !Array.isArray(field.value)) return [id, field];
      const detail = Object.fromEntries(
        (field.value as unknown[]).flatMap((choiceId) => {
          const choice = definition.choices.find((c) => c.id === choiceId);
          return choice ? [[String(choice.id), { id: choice.id, title: choice.title }]] : [];
        }),
      );
      return [id, { ...field, detail }];
    }),
  );
  return { ...ticket, fields };
}

export function helpdeskApi(store: HostStore): Hono {
  const api = new Hono();
  const desk = () => store.state.helpdesk;

  api.use("/api/v2/*", async (c, next) => {
    const key = /^key (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (key !== store.state.helpdeskApiKey) return c.json({ status: 401, code: "401", message: "Invalid API Key." }, 401);
    await next();
  });

  const ticketById = (raw: string): HelpdeskTicket | undefined => {
    const id = Id.safeParse(raw);
    return id.success ? desk().tickets.find((t) => t.id === id.data) : undefined;
  };
  const invalid = (issues: z.core.$ZodIssue[]) => problem(400, "invalid_input", issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));

  api.get("/api/v2/tickets", (c) => {
    const person = Id.optional().safeParse(c.req.query("person"));
    const organization = Id.optional().safeParse(c.req.query("organization"));
    if (!person.success || !organization.success) return problem(400, "invalid_input", "bad filter");
    const count = Math.min(Number(c.req.query("count") ?? 25) || 25, 200);
    const tickets = desk()
      .tickets.filter(
        (t) => (person.data === undefined || t.person === person.data) && (organization.data === undefined || t.organization === organization.data),
      )
      .sort((a, b) => b.date_created.localeCompare(a.date_created) || b.id - a.id)
      .slice(0, count);
    return c.json(list(tickets.map((t) => ticketData(desk(), t))));
  });

  // An agent-initiated ticket: Deskpro creates it with its first message and answers 201 with a Location.
  api.post("/api/v2/tickets", async (c) => {
    const input = NewTicket.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return invalid(input.error.issues);
    const person = desk().people.find((p) => p.id === input.data.person);
    if (!person) return problem(400, "invalid_input", "person: no such person");
    const now = new Date().toISOString();
    const ticket: HelpdeskTicket = {
      id: Math.max(0, ...desk().tickets.map((t) => t.id)) + 1,
      subject: input.data.subject,
      status: input.data.status ?? "awaiting_agent",
      person: person.id,
      organization: person.organization,
      priority: null,
      fields: {},
      ticket_slas: [],
      date_created: now,
    };
    desk().tickets.push(ticket);
    if (input.data.message) {
      desk().messages.push({
        id: desk().nextMessageId++,
        ticket: ticket.id,
        person: DEMO_AGENT_ID,
        message: input.data.message.message,
        is_agent_note: false,
        date_created: now,
      });
    }
    store.changed();
    c.header("location", `/api/v2/tickets/${ticket.id}`);
    return c.json(envelope(ticketData(desk(), ticket)), 201);
  });

  api.get("/api/v2/tickets/:id", (c) => {
    const ticket = ticketById(c.req.param("id"));
    return ticket ? c.json(envelope(ticketData(desk(), ticket))) : notFound("ticket");
  });

  api.put("/api/v2/tickets/:id", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const update = TicketUpdate.safeParse(await c.req.json().catch(() => null));
    if (!update.success) return invalid(update.error.issues);
    if (update.data.priority !== undefined && update.data.priority !== null && !desk().priorities.some((p) => p.id === update.data.priority)) {
      return problem(400, "invalid_input", "priority: unknown priority");
    }
    if (update.data.priority !== undefined) ticket.priority = update.data.priority;
    if (update.data.status !== undefined) ticket.status = update.data.status;
    if (update.data.subject !== undefined) ticket.subject = update.data.subject;
    if (update.data.fields !== undefined) ticket.fields = { ...ticket.fields, ...update.data.fields };
    store.changed();
    // Deskpro answers an update with no body; the ticket comes back only when asked for.
    if (c.req.query("follow_location") === "1") return c.json(envelope(ticketData(desk(), ticket)));
    return c.body(null, 204);
  });

  // A soft delete: the ticket stays readable, with the hidden Deleted status.
  api.delete("/api/v2/tickets/:id", (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    ticket.status = "hidden.deleted";
    store.changed();
    return c.body(null, 200);
  });

  api.get("/api/v2/tickets/:id/messages", (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const messages = desk()
      .messages.filter((m) => m.ticket === ticket.id)
      .sort((a, b) => b.date_created.localeCompare(a.date_created) || b.id - a.id)
      .map((m) => ({ ...m, is_agent_note: m.is_agent_note ? 1 : 0 }));
    return c.json(list(messages));
  });

  api.post("/api/v2/tickets/:id/messages", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const input = NewMessage.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return invalid(input.error.issues);
    const message = {
      id: desk().nextMessageId++,
      ticket: ticket.id,
      person: input.data.person ?? DEMO_AGENT_ID,
      message: input.data.message,
      is_agent_note: input.data.is_note ?? false,
      date_created: new Date().toISOString(),
    };
    desk().messages.push(message);
    store.changed();
    c.header("location", `/api/v2/tickets/${ticket.id}/messages/${message.id}`);
    return c.json(envelope({ ...message, is_agent_note: message.is_agent_note ? 1 : 0 }), 201);
  });

  // The ticket's Billing & Time Log.
  const chargeOf = (ticket: HelpdeskTicket, raw: string) => desk().charges.find((charge) => charge.ticket === ticket.id && String(charge.id) === raw);
  api.get("/api/v2/tickets/:id/charges", (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const count = Math.min(Math.max(Number(c.req.query("count") ?? 10) || 10, 1), 200);
    const page = Math.max(Number(c.req.query("page") ?? 1) || 1, 1);
    const all = desk()
      .charges.filter((charge) => charge.ticket === ticket.id)
      .sort((a, b) => (c.req.query("order_dir") === "desc" ? b.id - a.id : a.id - b.id));
    const data = all.slice((page - 1) * count, page * count);
    return c.json(
      envelope(data, {
        pagination: { total: all.length, count: data.length, per_page: count, current_page: page, total_pages: Math.max(1, Math.ceil(all.length / count)) },
      }),
    );
  });
  api.get("/api/v2/tickets/:id/charges/:chargeId", (c) => {
    const ticket = ticketById(c.req.param("id"));
    const charge = ticket && chargeOf(ticket, c.req.param("chargeId"));
    return charge ? c.json(envelope(charge)) : notFound("charge");
  });
  api.post("/api/v2/tickets/:id/charges", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const input = ChargeInput.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return invalid(input.error.issues);
    if (!input.data.amount && !input.data.charge_time) return problem(400, "invalid_input", "a charge needs an amount or a charge_time");
    const charge = addCharge(desk(), ticket, input.data, DEMO_AGENT_ID);
    store.changed();
    c.header("location", `/api/v2/tickets/${ticket.id}/charges/${charge.id}`);
    return c.json(envelope(charge), 201);
  });
  api.put("/api/v2/tickets/:id/charges/:chargeId", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    const charge = ticket && chargeOf(ticket, c.req.param("chargeId"));
    if (!charge) return notFound("charge");
    const input = ChargeInput.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return invalid(input.error.issues);
    Object.assign(charge, Object.fromEntries(Object.entries(input.data).filter(([, value]) => value !== undefined)));
    store.changed();
    if (c.req.query("follow_location") === "1") return c.json(envelope(charge));
    return c.body(null, 204);
  });
  // Deskpro deletes a charge outright; one of another ticket is not found.
  api.delete("/api/v2/tickets/:id/charges/:chargeId", (c) => {
    const ticket = ticketById(c.req.param("id"));
    const charge = ticket && chargeOf(ticket, c.req.param("chargeId"));
    if (!charge) return notFound("charge");
    desk().charges = desk().charges.filter((other) => other !== charge);
    store.changed();
    return c.body(null, 200);
  });

  api.get("/api/v2/tickets/:id/ticket_slas", (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    return c.json(list(desk().ticketSlas.filter((link) => ticket.ticket_slas.includes(link.id))));
  });

  api.get("/api/v2/ticket_statuses", (c) => c.json(list(TICKET_STATUSES)));
  api.get("/api/v2/ticket_priorities", (c) => c.json(list(desk().priorities.map((p) => ({ id: p.id, title: p.title, priority: p.sort })))));
  api.get("/api/v2/slas", (c) => c.json(list(desk().slas)));

  // Who the key acts as: the demo agent, an admin (`can_admin`), as GET /api/v2/me answers.
  api.get("/api/v2/me", (c) => {
    const agent = desk().people.find((p) => p.id === DEMO_AGENT_ID)!;
    return c.json(
      envelope({
        auth_method: "api_key",
        app_id: null,
        person_id: agent.id,
        person: { id: agent.id, name: fullName(agent), first_name: agent.first_name, is_agent: true, can_agent: true, can_admin: true },
      }),
    );
  });

  const fieldData = (field: { id: number; title: string; alias: string | null; choices: unknown[] }, fieldType: string) => ({
    ...field,
    widget_type: "choice",
    field_type: fieldType,
    is_enabled: true,
  });
  api.get("/api/v2/ticket_custom_fields", (c) => c.json(list(desk().customFields.map((f) => fieldData(f, "ticket_field")))));
  api.get("/api/v2/person_custom_fields", (c) => c.json(list(desk().personFields.map((f) => fieldData(f, "person_field")))));
  api.get("/api/v2/organization_custom_fields", (c) => c.json(list(desk().organizationFields.map((f) => fieldData(f, "organization_field")))));

  // A choice field as Deskpro's API tests create one: handler_class Choice, new options in choices_structure.
  const NewChoiceField = z.object({
    title: z.string().trim().min(1),
    is_enabled: z.boolean().optional(),
    handler_class: z.literal("Application\\DeskPRO\\CustomFields\\Handler\\Choice"),
    field_type: z.enum(["select", "radio", "checkbox", "multi_select"]).optional(),
    choices_structure: z.array(z.object({ title: z.string().trim().min(1), "@is_new": z.literal(true) }).loose()).min(1),
  });
  api.post("/api/v2/ticket_custom_fields", async (c) => {
    const input = NewChoiceField.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return invalid(input.error.issues);
    const id = Math.max(0, ...desk().customFields.map((f) => f.id)) + 1;
    const field = {
      id,
      title: input.data.title,
      alias: null,
      choices: input.data.choices_structure.map((choice, i) => ({ id: id * 10 + i, title: choice.title })),
    };
    desk().customFields.push(field);
    store.changed();
    c.header("location", `/api/v2/ticket_custom_fields/${id}`);
    return c.json(envelope(fieldData(field, "ticket_field")), 201);
  });

  api.get("/api/v2/ticket_custom_fields/:id", (c) => {
    const id = Id.safeParse(c.req.param("id"));
    const field = id.success ? desk().customFields.find((f) => f.id === id.data) : undefined;
    return field ? c.json(envelope({ ...field, widget_type: "choice", field_type: "ticket_field", is_enabled: true })) : notFound("custom field");
  });

  api.get("/api/v2/people/:id", (c) => {
    const id = Id.safeParse(c.req.param("id"));
    const person = id.success ? desk().people.find((p) => p.id === id.data) : undefined;
    if (!person) return notFound("person");
    return c.json(envelope({ ...person, name: fullName(person), display_name: fullName(person) }));
  });

  api.get("/api/v2/organizations/:id", (c) => {
    const id = Id.safeParse(c.req.param("id"));
    const org = id.success ? desk().organizations.find((o) => o.id === id.data) : undefined;
    return org ? c.json(envelope(org)) : notFound("organization");
  });

  return api;
}
