/**
 * A stand-in for the parts of Deskpro's REST API v2 the ledger writes back through: tickets,
 * priorities, people, organisations, messages and notes. Answers use Deskpro's envelope
 * (`{data, meta, linked}`) and its `Authorization: key <id>:<secret>` API keys, so the ledger's
 * real Deskpro client runs unchanged against it and its write-backs show on the demo ticket.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { HelpdeskTicket, HostStore } from "./store.js";
import { DEMO_AGENT_ID, fullName } from "./store.js";

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

const envelope = (data: unknown) => ({ data, meta: {}, linked: {} });
const notFound = (what: string) => Response.json({ status: 404, code: "not_found", message: `${what} not found` }, { status: 404 });

export function helpdeskApi(store: HostStore): Hono {
  const api = new Hono();
  const desk = () => store.state.helpdesk;

  api.use("*", async (c, next) => {
    const key = /^key (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
    if (key !== store.state.helpdeskApiKey) return c.json({ status: 401, code: "invalid_auth", message: "Invalid or missing API key" }, 401);
    await next();
  });

  const ticketById = (raw: string): HelpdeskTicket | undefined => {
    const id = Id.safeParse(raw);
    return id.success ? desk().tickets.find((t) => t.id === id.data) : undefined;
  };

  api.get("/api/v2/tickets", (c) => {
    const person = Id.optional().safeParse(c.req.query("person"));
    const organization = Id.optional().safeParse(c.req.query("organization"));
    if (!person.success || !organization.success) return c.json({ status: 400, code: "invalid_input", message: "bad filter" }, 400);
    const count = Math.min(Number(c.req.query("count") ?? 25) || 25, 200);
    const tickets = desk()
      .tickets.filter(
        (t) => (person.data === undefined || t.person === person.data) && (organization.data === undefined || t.organization === organization.data),
      )
      .sort((a, b) => b.date_created.localeCompare(a.date_created) || b.id - a.id)
      .slice(0, count);
    return c.json(envelope(tickets));
  });

  api.get("/api/v2/tickets/:id", (c) => {
    const ticket = ticketById(c.req.param("id"));
    return ticket ? c.json(envelope(ticket)) : notFound("ticket");
  });

  api.put("/api/v2/tickets/:id", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const update = TicketUpdate.safeParse(await c.req.json().catch(() => null));
    if (!update.success) return c.json({ status: 400, code: "invalid_input", message: update.error.issues.map((i) => i.message).join("; ") }, 400);
    if (update.data.priority !== undefined && update.data.priority !== null && !desk().priorities.some((p) => p.id === update.data.priority)) {
      return c.json({ status: 400, code: "invalid_input", message: "unknown priority" }, 400);
    }
    if (update.data.priority !== undefined) ticket.priority = update.data.priority;
    if (update.data.status !== undefined) ticket.status = update.data.status;
    if (update.data.subject !== undefined) ticket.subject = update.data.subject;
    if (update.data.fields !== undefined) ticket.fields = { ...ticket.fields, ...update.data.fields };
    store.changed();
    return c.json(envelope(ticket));
  });

  api.get("/api/v2/tickets/:id/messages", (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const messages = desk()
      .messages.filter((m) => m.ticket === ticket.id)
      .sort((a, b) => b.date_created.localeCompare(a.date_created) || b.id - a.id);
    return c.json(envelope(messages));
  });

  api.post("/api/v2/tickets/:id/messages", async (c) => {
    const ticket = ticketById(c.req.param("id"));
    if (!ticket) return notFound("ticket");
    const input = NewMessage.safeParse(await c.req.json().catch(() => null));
    if (!input.success) return c.json({ status: 400, code: "invalid_input", message: input.error.issues.map((i) => i.message).join("; ") }, 400);
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
    return c.json(envelope(message), 201);
  });

  api.get("/api/v2/ticket_priorities", (c) => c.json(envelope(desk().priorities)));

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
