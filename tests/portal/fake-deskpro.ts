/**
 * msw playing Deskpro's REST API v2 with its documented shapes: objects wrapped in `data`,
 * references as ids, custom fields keyed by field id with the chosen option ids under `value`,
 * messages and notes through POST /tickets/{id}/messages (`is_note`). Faults can be queued per
 * route to play an outage.
 */
import { http, HttpResponse, type HttpHandler } from "msw";

export const DESKPRO_URL = "https://helpdesk.example.test";
export const DESKPRO_API_KEY = "7:Zx8v2Kq9LmT4pW6s";

export interface FakeTicket {
  id: number;
  subject: string;
  status: string;
  hidden_status?: string | null;
  person: number;
  organization: number | null;
  priority: number | null;
  fields: Record<string, { aliases: string[]; value: unknown }>;
  /** The SLAs Deskpro applies to the ticket, as its API lists them: `{sla, sla_status}` rows. */
  slas?: Array<{ sla: number; sla_status: string }>;
  date_created: string;
}

type FakeFields = Record<string, { aliases: string[]; value: unknown }>;

export interface FakeMessage {
  id: number;
  ticket: number;
  person: number;
  message: string;
  is_agent_note: 0 | 1;
}

export type RouteKey = "getTicket" | "putTicket" | "getMessages" | "postMessage" | "getPerson" | "getOrganization" | "listTickets";

export class FakeDeskpro {
  tickets = new Map<number, FakeTicket>();
  messages: FakeMessage[] = [];
  people = new Map<
    number,
    { id: number; first_name: string; last_name: string; name: string; primary_email: string; organization: number | null; fields?: FakeFields }
  >();
  organizations = new Map<number, { id: number; name: string; fields: FakeFields }>();
  /** Every request seen: route and, for writes, the JSON body. */
  requests: { route: RouteKey; ticketId?: number; body?: unknown; status: number }[] = [];
  private faults = new Map<RouteKey, number[]>();
  private nextMessageId = 1;
  authorization = `key ${DESKPRO_API_KEY}`;

  addTicket(ticket: Partial<FakeTicket> & { id: number; person: number }): FakeTicket {
    const full: FakeTicket = {
      subject: `Ticket ${ticket.id}`,
      status: "awaiting_agent",
      organization: null,
      priority: null,
      fields: {},
      date_created: new Date(Date.UTC(2026, 0, 1) + ticket.id * 1000).toISOString(),
      ...ticket,
    };
    this.tickets.set(full.id, full);
    if (!this.people.has(full.person)) {
      this.people.set(full.person, {
        id: full.person,
        first_name: "Dana",
        last_name: "Scully",
        name: "Dana Scully",
        primary_email: `p${full.person}@example.test`,
        organization: full.organization,
      });
    }
    return full;
  }

  /** The next `count` requests to `route` answer `status` (then it behaves again). */
  fail(route: RouteKey, status: number, count = 1): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...Array(count).fill(status)]);
  }

  /** Every route answers `status` until `recover()`. */
  outage(status = 503): void {
    for (const route of ["getTicket", "putTicket", "getMessages", "postMessage", "getPerson", "listTickets"] as RouteKey[])
      this.faults.set(route, Array(1000).fill(status));
  }
  recover(): void {
    this.faults.clear();
  }

  messagesOn(ticketId: number, kind: "note" | "reply" | "all" = "all"): FakeMessage[] {
    return this.messages.filter((m) => m.ticket === ticketId && (kind === "all" || (kind === "note" ? m.is_agent_note === 1 : m.is_agent_note === 0)));
  }

  count(route: RouteKey, status?: number): number {
    return this.requests.filter((r) => r.route === route && (status === undefined || r.status === status)).length;
  }

  private fault(route: RouteKey, ticketId?: number): Response | null {
    const queue = this.faults.get(route);
    const status = queue?.shift();
    if (status === undefined) return null;
    this.requests.push({ route, ticketId, status });
    return HttpResponse.json({ status, message: "fault" }, { status });
  }

  handlers(): HttpHandler[] {
    const auth = (request: Request) => request.headers.get("authorization") === this.authorization;
    const unauthorized = () => HttpResponse.json({ status: 401, message: "Invalid API key" }, { status: 401 });
    const notFound = () => HttpResponse.json({ status: 404, message: "Not found" }, { status: 404 });
    const base = `${DESKPRO_URL}/api/v2`;
    return [
      http.get(`${base}/tickets/:id/messages`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("getMessages", id);
        if (fault) return fault;
        if (!this.tickets.has(id)) return notFound();
        this.requests.push({ route: "getMessages", ticketId: id, status: 200 });
        return HttpResponse.json({ data: [...this.messagesOn(id)].reverse(), meta: { pagination: { total: this.messagesOn(id).length } }, linked: {} });
      }),
      http.post(`${base}/tickets/:id/messages`, async ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("postMessage", id);
        if (fault) return fault;
        const ticket = this.tickets.get(id);
        if (!ticket) return notFound();
        const body = (await request.json()) as { message?: string; is_note?: boolean; format?: string };
        if (!body.message)
          return HttpResponse.json(
            { status: 400, errors: { fields: { message: { errors: [{ message: "This value should not be blank." }] } } } },
            { status: 400 },
          );
        const message: FakeMessage = { id: this.nextMessageId++, ticket: id, person: 1, message: body.message, is_agent_note: body.is_note ? 1 : 0 };
        this.messages.push(message);
        this.requests.push({ route: "postMessage", ticketId: id, body, status: 201 });
        return HttpResponse.json({ data: { ...message, attachments: [] }, meta: {}, linked: {} }, { status: 201 });
      }),
      http.get(`${base}/tickets/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("getTicket", id);
        if (fault) return fault;
        const ticket = this.tickets.get(id);
        if (!ticket) return notFound();
        this.requests.push({ route: "getTicket", ticketId: id, status: 200 });
        return HttpResponse.json({ data: structuredClone(ticket), meta: {}, linked: {} });
      }),
      http.put(`${base}/tickets/:id`, async ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("putTicket", id);
        if (fault) return fault;
        const ticket = this.tickets.get(id);
        if (!ticket) return notFound();
        const body = (await request.json()) as { priority?: number };
        if (body.priority !== undefined) ticket.priority = body.priority;
        this.requests.push({ route: "putTicket", ticketId: id, body, status: 200 });
        return HttpResponse.json({ data: structuredClone(ticket), meta: {}, linked: {} });
      }),
      http.get(`${base}/tickets`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("listTickets");
        if (fault) return fault;
        const url = new URL(request.url);
        const person = url.searchParams.get("person");
        const organization = url.searchParams.get("organization");
        const found = [...this.tickets.values()]
          .filter((t) => (person === null || t.person === Number(person)) && (organization === null || t.organization === Number(organization)))
          .sort((a, b) => b.date_created.localeCompare(a.date_created));
        this.requests.push({ route: "listTickets", status: 200 });
        return HttpResponse.json({ data: found, meta: { pagination: { total: found.length } }, linked: {} });
      }),
      http.get(`${base}/people/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getPerson");
        if (fault) return fault;
        const person = this.people.get(Number(params.id));
        if (!person) return notFound();
        this.requests.push({ route: "getPerson", status: 200 });
        return HttpResponse.json({ data: person, meta: {}, linked: {} });
      }),
      http.get(`${base}/organizations/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getOrganization");
        if (fault) return fault;
        const org = this.organizations.get(Number(params.id));
        if (!org) return notFound();
        this.requests.push({ route: "getOrganization", status: 200 });
        return HttpResponse.json({ data: org, meta: {}, linked: {} });
      }),
      http.get(`${base}/ticket_priorities`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        return HttpResponse.json({ data: [1, 2, 3, 4].map((id) => ({ id, title: `P${id}`, sort: id })), meta: {}, linked: {} });
      }),
    ];
  }
}

/** A custom field value as Deskpro's API gives a choice field: the chosen options' ids. */
export const choice = (...optionIds: number[]) => ({ aliases: [], value: optionIds });
