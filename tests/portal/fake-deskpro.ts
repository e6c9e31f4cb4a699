/**
 * msw playing Deskpro's REST API v2 exactly as docs/deskpro-fidelity.md records it: objects wrapped
 * in `data` (with `meta` and `linked`), references as ids, custom fields keyed by field id with the
 * chosen option ids under `value` and their titles under `detail`; `PUT` answers 204 with no body
 * (the entity only with `?follow_location=1`), `POST` 201 with a `Location` header and `data`;
 * a deleted or spam ticket's `status` is a hidden sub-status (`hidden.deleted`, `hidden.spam`; a
 * `hidden.<id>` naming a record of `/ticket_statuses` is read too); a ticket's `ticket_slas` are ids of ticket-SLA links, the SLA
 * itself is `sla` in `/tickets/{id}/ticket_slas`; people and organisations carry no SLA field.
 * A ticket's Billing & Time Log is `/tickets/{id}/charges`: `charge_time` in seconds, `amount` a
 * decimal, dates as `2018-01-11T00:00:00+0000`; `POST` answers 201 with the charge, `PUT` 204, and
 * `DELETE` 200 removes it for good (a charge of another ticket is 404).
 * Faults can be queued per route to play an outage.
 */
import { http, HttpResponse, type HttpHandler } from "msw";
import { TICKET_STATUSES } from "../../src/devhost/helpdesk-api.js";

export const DESKPRO_URL = "https://helpdesk.example.test";
export const DESKPRO_API_KEY = "7:Zx8v2Kq9LmT4pW6s";

type FakeFields = Record<string, { aliases: string[]; value: unknown; detail?: Record<string, { id: number; title: string }> }>;

export interface FakeTicket {
  id: number;
  subject: string;
  /** `awaiting_agent`, `awaiting_user.7`, `hidden.deleted`, `hidden.2`… */
  status: string;
  hidden_status?: string | null;
  person: number;
  organization: number | null;
  priority: number | null;
  fields: FakeFields;
  /** Ids of the ticket's ticket-SLA links (see `slaLinks`), not SLA ids. */
  ticket_slas: number[];
  date_created: string;
}

export interface FakeMessage {
  id: number;
  ticket: number;
  person: number;
  message: string;
  is_agent_note: 0 | 1;
}

/** A charge on a ticket's Billing & Time Log. */
export interface FakeCharge {
  id: number;
  ticket: number;
  person: number;
  agent: number | null;
  organization: number | null;
  /** Decimal in the billing currency, or null for a time-only charge. */
  amount: number | null;
  /** Seconds, or null for a money-only charge. */
  charge_time: number | null;
  date_created: string;
  comment: string;
}

/** A ticket↔SLA link as `/tickets/{id}/ticket_slas` lists it. */
export interface FakeTicketSla {
  id: number;
  sla: number;
  ticket: number;
  sla_status: "ok" | "warning" | "fail";
  warn_date: string | null;
  fail_date: string | null;
  is_completed: boolean;
}

export type RouteKey =
  | "getTicket"
  | "putTicket"
  | "getMessages"
  | "postMessage"
  | "getPerson"
  | "getOrganization"
  | "listTickets"
  | "postTicket"
  | "getTicketStatuses"
  | "getTicketSlas"
  | "getCustomField"
  | "listCharges"
  | "postCharge"
  | "putCharge"
  | "deleteCharge"
  | "getMe"
  | "listCustomFields"
  | "postCustomField";

/** The ticket statuses of a helpdesk with one custom sub-status: Spam and Deleted are hidden records (the development host's). */
export { TICKET_STATUSES };

export interface FakeChoiceField {
  id: number;
  title: string;
  widget_type: "choice" | "radio" | "select";
  choices: Array<{ id: number; title: string }>;
}

export class FakeDeskpro {
  tickets = new Map<number, FakeTicket>();
  messages: FakeMessage[] = [];
  slaLinks = new Map<number, FakeTicketSla>();
  people = new Map<
    number,
    { id: number; first_name: string; last_name: string; name: string; primary_email: string; organization: number | null; fields?: FakeFields }
  >();
  organizations = new Map<number, { id: number; name: string; fields: FakeFields }>();
  /** Ticket custom fields by id, with their choices (the portal's tier field among them). */
  customFields = new Map<number, FakeChoiceField>();
  /** Person and organisation custom field definitions (`/person_custom_fields`, `/organization_custom_fields`). */
  personFields: Array<{ id: number; title: string; alias: string | null; choices: Array<{ id: number; title: string }> }> = [];
  organizationFields: Array<{ id: number; title: string; alias: string | null; choices: Array<{ id: number; title: string }> }> = [];
  slas = [
    { id: 1, title: "First response within a business day", sla_type: "first_response" },
    { id: 2, title: "Resolution within a week", sla_type: "resolution" },
  ];
  /** Who the API key acts as (`GET /me`): an admin unless a test says otherwise. */
  me = { id: 1, name: "Ada Admin", is_agent: true, can_admin: true as boolean };
  private nextFieldId = 100;
  /** Every request seen: route and, for writes, the JSON body. */
  requests: { route: RouteKey; ticketId?: number; body?: unknown; status: number; query?: string }[] = [];
  /** Leave `detail` out of choice fields (older helpdesks): the ledger then reads the field's choices. */
  omitFieldDetail = false;
  /** Answer a field's create 201 with only its `Location` (the field comes back only with `?follow_location=1`). */
  createFieldWithoutBody = false;
  charges = new Map<number, FakeCharge>();
  /** Charges get their date from this clock (tests set the ledger's). */
  clock: () => Date = () => new Date();
  /** Drop the comment of charges posted through the API (a helpdesk without the billing comment field). */
  dropChargeComments = false;
  /** The agent the API key acts as: charges posted through the API name them. */
  apiAgent = 1;
  /** The next `n` charges posted through the API are made, but the answer is lost (502 instead of 201). */
  loseChargeAnswers = 0;
  /** Rewrites each page of a ticket's charges as it is listed: plays a helpdesk's odd answers (a charge twice, values out of range, unreadable items). */
  chargePage: ((page: FakeCharge[]) => unknown[]) | null = null;
  private nextChargeId = 700;
  private faults = new Map<RouteKey, number[]>();
  private nextMessageId = 1;
  private nextTicketId = 900_000;
  private nextSlaLinkId = 1;
  authorization = `key ${DESKPRO_API_KEY}`;

  addTicket(
    ticket: Partial<Omit<FakeTicket, "ticket_slas">> & { id: number; person: number; slas?: Array<{ sla: number; sla_status?: FakeTicketSla["sla_status"] }> },
  ): FakeTicket {
    const { slas, ...rest } = ticket;
    const full: FakeTicket = {
      subject: `Ticket ${ticket.id}`,
      status: "awaiting_agent",
      organization: null,
      priority: null,
      fields: {},
      date_created: new Date(Date.UTC(2026, 0, 1) + ticket.id * 1000).toISOString(),
      ...rest,
      ticket_slas: [],
    };
    this.tickets.set(full.id, full);
    for (const s of slas ?? []) this.applySla(full.id, s.sla, s.sla_status ?? "ok");
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

  /** Deskpro applies an SLA to a ticket: a new ticket-SLA link whose id the ticket lists. */
  applySla(ticketId: number, slaId: number, status: FakeTicketSla["sla_status"] = "ok"): FakeTicketSla {
    const link: FakeTicketSla = {
      id: this.nextSlaLinkId++ + 500,
      sla: slaId,
      ticket: ticketId,
      sla_status: status,
      warn_date: null,
      fail_date: null,
      is_completed: false,
    };
    this.slaLinks.set(link.id, link);
    this.tickets.get(ticketId)!.ticket_slas.push(link.id);
    return link;
  }

  /** An agent deletes the ticket: Deskpro soft-deletes it, and reads then give `hidden.deleted` (no `hidden_status` since API version 20170401). */
  deleteTicket(ticketId: number): void {
    this.tickets.get(ticketId)!.status = "hidden.deleted";
  }

  /** An agent adds a charge on the ticket's Billing tab (time in seconds, or an amount). */
  addCharge(ticketId: number, charge: { seconds?: number | null; amount?: number | null; comment?: string; agent?: number }): FakeCharge {
    const ticket = this.tickets.get(ticketId)!;
    const full: FakeCharge = {
      id: this.nextChargeId++,
      ticket: ticketId,
      person: ticket.person,
      agent: charge.agent ?? 5,
      organization: ticket.organization,
      amount: charge.amount ?? null,
      charge_time: charge.seconds ?? null,
      date_created: deskproDate(this.clock()),
      comment: charge.comment ?? "",
    };
    this.charges.set(full.id, full);
    return full;
  }

  chargesOn(ticketId: number): FakeCharge[] {
    return [...this.charges.values()].filter((c) => c.ticket === ticketId).sort((a, b) => a.id - b.id);
  }

  /** The next `count` requests to `route` answer `status` (then it behaves again). */
  fail(route: RouteKey, status: number, count = 1): void {
    this.faults.set(route, [...(this.faults.get(route) ?? []), ...Array(count).fill(status)]);
  }

  /** Every route answers `status` until `recover()`. */
  outage(status = 503): void {
    for (const route of [
      "getTicket",
      "putTicket",
      "getMessages",
      "postMessage",
      "getPerson",
      "listTickets",
      "postTicket",
      "listCharges",
      "postCharge",
    ] as RouteKey[])
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
    return HttpResponse.json({ status, code: "fault", message: "fault" }, { status });
  }

  /** The ticket as Deskpro's API gives it: choice fields carry their options' current titles under `detail`. */
  private serialise(ticket: FakeTicket): FakeTicket {
    const copy = structuredClone(ticket);
    if (this.omitFieldDetail) return copy;
    for (const [id, field] of Object.entries(copy.fields)) {
      const definition = this.customFields.get(Number(id));
      if (!definition || !Array.isArray(field.value)) continue;
      field.detail = Object.fromEntries(
        (field.value as number[]).flatMap((choiceId) => {
          const choice = definition.choices.find((c) => c.id === choiceId);
          return choice ? [[String(choiceId), { id: choice.id, title: choice.title }]] : [];
        }),
      );
    }
    return copy;
  }

  handlers(): HttpHandler[] {
    const auth = (request: Request) => request.headers.get("authorization") === this.authorization;
    const unauthorized = () => HttpResponse.json({ status: 401, code: "401", message: "Invalid API Key." }, { status: 401 });
    const notFound = () => HttpResponse.json({ status: 404, code: "not_found", message: "Not found" }, { status: 404 });
    const envelope = (data: unknown, meta: unknown = {}) => ({ data, meta, linked: {} });
    const list = (data: unknown[]) => envelope(data, { pagination: { total: data.length, count: data.length, per_page: 25, current_page: 1, total_pages: 1 } });
    const base = `${DESKPRO_URL}/api/v2`;
    return [
      http.get(`${base}/tickets/:id/messages`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("getMessages", id);
        if (fault) return fault;
        if (!this.tickets.has(id)) return notFound();
        this.requests.push({ route: "getMessages", ticketId: id, status: 200 });
        return HttpResponse.json(list([...this.messagesOn(id)].reverse()));
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
            {
              status: 400,
              code: "invalid_input",
              message: "Request input is invalid.",
              errors: { fields: { message: { errors: [{ code: "required", message: "This value should not be blank." }] } } },
            },
            { status: 400 },
          );
        const message: FakeMessage = { id: this.nextMessageId++, ticket: id, person: 1, message: body.message, is_agent_note: body.is_note ? 1 : 0 };
        this.messages.push(message);
        this.requests.push({ route: "postMessage", ticketId: id, body, status: 201 });
        return HttpResponse.json(envelope({ ...message, attachments: [] }), {
          status: 201,
          headers: { location: `/api/v2/tickets/${id}/messages/${message.id}` },
        });
      }),
      http.get(`${base}/tickets/:id/ticket_slas`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("getTicketSlas", id);
        if (fault) return fault;
        const ticket = this.tickets.get(id);
        if (!ticket) return notFound();
        this.requests.push({ route: "getTicketSlas", ticketId: id, status: 200 });
        return HttpResponse.json(list(ticket.ticket_slas.map((linkId) => this.slaLinks.get(linkId)!)));
      }),
      http.get(`${base}/tickets/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("getTicket", id);
        if (fault) return fault;
        const ticket = this.tickets.get(id);
        if (!ticket) return notFound();
        this.requests.push({ route: "getTicket", ticketId: id, status: 200 });
        return HttpResponse.json(envelope(this.serialise(ticket)));
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
        this.requests.push({ route: "putTicket", ticketId: id, body, status: 204 });
        // The updated ticket comes back only when asked for with ?follow_location=1.
        if (new URL(request.url).searchParams.get("follow_location") === "1") return HttpResponse.json(envelope(this.serialise(ticket)));
        return new HttpResponse(null, { status: 204 });
      }),
      http.delete(`${base}/tickets/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        if (!this.tickets.has(id)) return notFound();
        this.deleteTicket(id);
        return new HttpResponse(null, { status: 200 });
      }),
      http.get(`${base}/tickets`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("listTickets");
        if (fault) return fault;
        const url = new URL(request.url);
        const person = url.searchParams.get("person");
        const organization = url.searchParams.get("organization");
        const count = Number(url.searchParams.get("count") ?? 25);
        const found = [...this.tickets.values()]
          .filter((t) => (person === null || t.person === Number(person)) && (organization === null || t.organization === Number(organization)))
          .sort((a, b) => b.date_created.localeCompare(a.date_created) || b.id - a.id)
          .slice(0, count);
        this.requests.push({ route: "listTickets", status: 200, query: url.search });
        return HttpResponse.json(list(found.map((t) => this.serialise(t))));
      }),
      http.post(`${base}/tickets`, async ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("postTicket");
        if (fault) return fault;
        const body = (await request.json()) as { person?: number; subject?: string; status?: string; message?: { message?: string; format?: string } };
        if (!body.subject || !body.person || !this.people.has(body.person))
          return HttpResponse.json({ status: 400, code: "invalid_input", message: "Request input is invalid." }, { status: 400 });
        const id = this.nextTicketId++;
        const ticket = this.addTicket({
          id,
          person: body.person,
          organization: this.people.get(body.person)!.organization,
          subject: body.subject,
          status: body.status ?? "awaiting_agent",
          date_created: new Date(Date.UTC(2027, 0, 1) + id).toISOString(),
        });
        if (body.message?.message) this.messages.push({ id: this.nextMessageId++, ticket: id, person: 1, message: body.message.message, is_agent_note: 0 });
        this.requests.push({ route: "postTicket", ticketId: id, body, status: 201 });
        return HttpResponse.json(envelope(this.serialise(ticket)), { status: 201, headers: { location: `/api/v2/tickets/${id}` } });
      }),
      http.get(`${base}/people/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getPerson");
        if (fault) return fault;
        const person = this.people.get(Number(params.id));
        if (!person) return notFound();
        this.requests.push({ route: "getPerson", status: 200 });
        return HttpResponse.json(envelope(person));
      }),
      http.get(`${base}/organizations/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getOrganization");
        if (fault) return fault;
        const org = this.organizations.get(Number(params.id));
        if (!org) return notFound();
        this.requests.push({ route: "getOrganization", status: 200 });
        return HttpResponse.json(envelope(org));
      }),
      http.get(`${base}/ticket_priorities`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        return HttpResponse.json(list([1, 2, 3, 4].map((id) => ({ id, title: `P${id}`, priority: id }))));
      }),
      http.get(`${base}/ticket_statuses`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getTicketStatuses");
        if (fault) return fault;
        this.requests.push({ route: "getTicketStatuses", status: 200 });
        return HttpResponse.json(list(TICKET_STATUSES));
      }),
      http.get(`${base}/tickets/:id/charges`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("listCharges", id);
        if (fault) return fault;
        if (!this.tickets.has(id)) return notFound();
        const url = new URL(request.url);
        const count = Number(url.searchParams.get("count") ?? 10);
        const page = Number(url.searchParams.get("page") ?? 1);
        const all = this.chargesOn(id);
        if (url.searchParams.get("order_dir") === "desc") all.reverse();
        const data = all.slice((page - 1) * count, page * count);
        this.requests.push({ route: "listCharges", ticketId: id, status: 200, query: url.search });
        return HttpResponse.json(
          envelope(this.chargePage ? this.chargePage(structuredClone(data)) : structuredClone(data), {
            pagination: { total: all.length, count: data.length, per_page: count, current_page: page, total_pages: Math.max(1, Math.ceil(all.length / count)) },
          }),
        );
      }),
      http.post(`${base}/tickets/:id/charges`, async ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("postCharge", id);
        if (fault) return fault;
        if (!this.tickets.has(id)) return notFound();
        const body = (await request.json()) as { amount?: number; charge_time?: number; comment?: string };
        const charge = this.addCharge(id, { seconds: body.charge_time ?? null, amount: body.amount ?? null, agent: this.apiAgent });
        if (!this.dropChargeComments) charge.comment = body.comment ?? "";
        if (this.loseChargeAnswers > 0) {
          this.loseChargeAnswers--;
          this.requests.push({ route: "postCharge", ticketId: id, body, status: 502 });
          return HttpResponse.json({ status: 502, code: "bad_gateway", message: "lost" }, { status: 502 });
        }
        this.requests.push({ route: "postCharge", ticketId: id, body, status: 201 });
        return HttpResponse.json(envelope(structuredClone(charge)), { status: 201, headers: { location: `/api/v2/tickets/${id}/charges/${charge.id}` } });
      }),
      http.put(`${base}/tickets/:id/charges/:chargeId`, async ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("putCharge", id);
        if (fault) return fault;
        const charge = this.charges.get(Number(params.chargeId));
        if (!charge || charge.ticket !== id) return notFound();
        const body = (await request.json()) as { amount?: number; charge_time?: number; comment?: string };
        if (body.amount !== undefined) charge.amount = body.amount;
        if (body.charge_time !== undefined) charge.charge_time = body.charge_time;
        if (body.comment !== undefined) charge.comment = body.comment;
        this.requests.push({ route: "putCharge", ticketId: id, body, status: 204 });
        return new HttpResponse(null, { status: 204 });
      }),
      http.delete(`${base}/tickets/:id/charges/:chargeId`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const id = Number(params.id);
        const fault = this.fault("deleteCharge", id);
        if (fault) return fault;
        const charge = this.charges.get(Number(params.chargeId));
        if (!charge || charge.ticket !== id) return notFound();
        this.charges.delete(charge.id);
        this.requests.push({ route: "deleteCharge", ticketId: id, status: 200 });
        return new HttpResponse(null, { status: 200 });
      }),
      // Public: where the API is. This helpdesk is at its origin's root; under any other path is no API.
      http.get(`${base}/helpdesk/discover`, () => HttpResponse.json(envelope({ is_deskpro: true, helpdesk_url: `${DESKPRO_URL}/`, base_api_url: `${base}/` }))),
      http.get(`${DESKPRO_URL}/*/api/v2/helpdesk/discover`, () => HttpResponse.json({ status: 404, code: "not_found", message: "Not found" }, { status: 404 })),
      http.get(`${base}/me`, ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getMe");
        if (fault) return fault;
        this.requests.push({ route: "getMe", status: 200 });
        return HttpResponse.json(envelope({ auth_method: "api_key", app_id: null, person_id: this.me.id, person: { ...this.me } }));
      }),
      http.get(`${base}/:kind`, ({ request, params }) => {
        const kind = String(params.kind);
        if (!["ticket_custom_fields", "person_custom_fields", "organization_custom_fields", "slas"].includes(kind)) return undefined;
        if (!auth(request)) return unauthorized();
        const fault = this.fault("listCustomFields");
        if (fault) return fault;
        this.requests.push({ route: "listCustomFields", status: 200, query: kind });
        const fields =
          kind === "slas"
            ? this.slas
            : kind === "ticket_custom_fields"
              ? [...this.customFields.values()].map((f) => ({ ...f, field_type: "ticket_field", is_enabled: true }))
              : kind === "person_custom_fields"
                ? this.personFields
                : this.organizationFields;
        return HttpResponse.json(list(fields));
      }),
      // As Deskpro's API tests create a choice field: handler_class Choice, choices_structure rows marked @is_new.
      http.post(`${base}/ticket_custom_fields`, async ({ request }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("postCustomField");
        if (fault) return fault;
        const body = (await request.json()) as { title?: string; handler_class?: string; choices_structure?: Array<{ title: string; "@is_new"?: boolean }> };
        if (!body.title || !body.handler_class?.endsWith("\\Choice") || !body.choices_structure?.every((c) => c["@is_new"] === true && c.title))
          return HttpResponse.json({ status: 400, code: "invalid_input", message: "Request input is invalid." }, { status: 400 });
        const id = this.nextFieldId++;
        const field: FakeChoiceField = {
          id,
          title: body.title,
          widget_type: "radio",
          choices: body.choices_structure.map((c, i) => ({ id: id * 10 + i, title: c.title })),
        };
        this.customFields.set(id, field);
        this.requests.push({ route: "postCustomField", body, status: 201 });
        if (this.createFieldWithoutBody && new URL(request.url).searchParams.get("follow_location") !== "1") {
          return new HttpResponse(null, { status: 201, headers: { location: `/api/v2/ticket_custom_fields/${id}` } });
        }
        return HttpResponse.json(envelope({ ...field, field_type: "ticket_field", is_enabled: true }), {
          status: 201,
          headers: { location: `/api/v2/ticket_custom_fields/${id}` },
        });
      }),
      http.get(`${base}/ticket_custom_fields/:id`, ({ request, params }) => {
        if (!auth(request)) return unauthorized();
        const fault = this.fault("getCustomField");
        if (fault) return fault;
        const field = this.customFields.get(Number(params.id));
        if (!field) return notFound();
        this.requests.push({ route: "getCustomField", status: 200 });
        return HttpResponse.json(envelope({ ...field, field_type: "ticket_field", is_enabled: true, description: "" }));
      }),
    ];
  }
}

/** A date as Deskpro's API writes it: `2018-01-11T00:00:00+0000`. */
export const deskproDate = (at: Date) => `${at.toISOString().slice(0, 19)}+0000`;

/** A choice field's value as Deskpro's API gives it: the chosen options' ids (their titles are added under `detail`). */
export const choice = (...optionIds: number[]) => ({ aliases: [], value: optionIds });
