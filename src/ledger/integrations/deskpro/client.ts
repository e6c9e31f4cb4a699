/**
 * A typed client for the parts of Deskpro's REST API v2 the ledger reads and writes back through.
 * Every answer with a body is parsed with zod; a 2xx without one (Deskpro's `204 No Content` to a
 * PUT) is a success. Every call has a timeout; 429 and 5xx answers are retried with exponential
 * back-off (honouring Retry-After) for reads and idempotent writes. A POST is retried only on 429,
 * which Deskpro sends before doing anything: a 5xx on a POST may have created the message or
 * ticket, so the outbox re-checks before posting again. Errors carry the status and path, never
 * the API key.
 */
import type { z } from "zod";
import { UrlNotAllowed } from "../../core/outbound.js";
import {
  DeskproCharge,
  DeskproChargePage,
  DeskproCustomField,
  DeskproMe,
  DeskproMessage,
  DeskproOrganization,
  DeskproPerson,
  DeskproTicket,
  DeskproTicketSla,
  DeskproTicketStatus,
  DeskproTitled,
  many,
  one,
} from "./schemas.js";

export interface DeskproClientOptions {
  /** The helpdesk's address, e.g. https://support.example.com (no trailing slash). */
  baseUrl: string;
  /** `<id>:<code>`, sent as `Authorization: key <id>:<code>`. */
  apiKey: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Extra attempts after the first on 429/5xx. */
  retries?: number;
  retryBaseMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export class DeskproError extends Error {
  /** The message names the method, path and status only: safe to keep in the outbox's last error. */
  readonly safeToRecord = true;
  constructor(
    readonly status: number | null,
    readonly path: string,
    message: string,
    /** Worth trying again later: a timeout, a network failure, 429 or 5xx. */
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "DeskproError";
  }

  /** A 4xx other than 429 will answer the same next time (a deleted ticket, a bad priority id). */
  get permanent(): boolean {
    return !this.retryable && this.status !== null && this.status >= 400 && this.status < 500;
  }
}

type Method = "GET" | "PUT" | "POST" | "DELETE";

const CHARGES_PER_PAGE = 100;
const MAX_CHARGE_PAGES = 50;

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type DeskproClient = ReturnType<typeof createDeskproClient>;

export function createDeskproClient(options: DeskproClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const sleep = options.sleep ?? sleeper;
  const base = options.baseUrl.replace(/\/+$/, "");

  /** With `schema` null the answer's content is not needed (an update): an empty 2xx is fine. */
  async function call<T extends z.ZodType>(method: Method, path: string, schema: T, body?: unknown): Promise<z.infer<T>>;
  async function call(method: Method, path: string, schema: null, body?: unknown): Promise<void>;
  async function call<T extends z.ZodType>(method: Method, path: string, schema: T | null, body?: unknown): Promise<z.infer<T> | void> {
    const retryOn5xx = method !== "POST";
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `key ${options.apiKey}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(timeoutMs),
          redirect: "error",
        });
      } catch (error) {
        // The address is refused (not public, not https): retrying now won't change that, and the rule is the message.
        if (error instanceof UrlNotAllowed) throw error;
        const timedOut = (error as Error)?.name === "TimeoutError" || (error as Error)?.name === "AbortError";
        // A GET or PUT can be repeated safely; whether a POST arrived is unknown, so the caller re-checks.
        if (retryOn5xx && attempt < retries) {
          await sleep(backoff(attempt, null));
          continue;
        }
        throw new DeskproError(
          null,
          path,
          timedOut ? `Deskpro did not answer ${method} ${path} within ${timeoutMs} ms` : `Deskpro unreachable for ${method} ${path}`,
          true,
        );
      }
      if (response.ok) return parseAnswer(method, path, response, schema);
      // Read (not cancel) the error body: frees the connection, and cancelling a mocked stream can hang.
      await response.arrayBuffer().catch(() => undefined);
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable && (response.status === 429 || retryOn5xx) && attempt < retries) {
        await sleep(backoff(attempt, response.headers.get("retry-after")));
        continue;
      }
      throw new DeskproError(response.status, path, `Deskpro answered ${method} ${path} with ${response.status}`, retryable);
    }
  }

  async function parseAnswer<T extends z.ZodType>(method: Method, path: string, response: Response, schema: T | null): Promise<z.infer<T> | void> {
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new DeskproError(response.status, path, `Deskpro's answer to ${method} ${path} broke off`, true);
    }
    if (text.trim() === "") {
      if (schema === null) return undefined;
      throw new DeskproError(response.status, path, `Deskpro answered ${method} ${path} with no body`, false);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new DeskproError(response.status, path, `Deskpro answered ${method} ${path} with a body that is not JSON`, false);
    }
    if (schema === null) return undefined;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join(".") || "(root)";
      throw new DeskproError(response.status, path, `Deskpro's answer to ${method} ${path} has an unexpected shape at ${where}`, false);
    }
    return parsed.data;
  }

  function backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter !== null && /^\d{1,4}$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
    if (seconds !== null) return Math.min(seconds * 1000, 5_000);
    return Math.min(retryBaseMs * 2 ** attempt, 5_000) * (0.75 + Math.random() * 0.5);
  }

  return {
    getTicket: async (ticketId: string | number) => (await call("GET", `/api/v2/tickets/${ticketId}`, one(DeskproTicket))).data,
    /** Sets the ticket's priority; other fields are left alone. Deskpro answers 204 with no body. */
    setTicketPriority: async (ticketId: string | number, priorityId: number): Promise<void> => {
      await call("PUT", `/api/v2/tickets/${ticketId}`, null, { priority: priorityId });
    },
    listTicketMessages: async (ticketId: string | number) =>
      (await call("GET", `/api/v2/tickets/${ticketId}/messages?count=100&order_by=date_created&order_dir=desc`, many(DeskproMessage))).data,
    /** A reply the customer sees, or with `note` an internal note only agents see. */
    postTicketMessage: async (ticketId: string | number, message: { html: string; note: boolean }) =>
      (await call("POST", `/api/v2/tickets/${ticketId}/messages`, one(DeskproMessage), { message: message.html, format: "html", is_note: message.note })).data,
    /** An agent-initiated ticket to a person: its first message is a reply they are sent. */
    createTicket: async (ticket: { personId: number; subject: string; html: string; status: "awaiting_user" | "awaiting_agent" }) =>
      (
        await call("POST", "/api/v2/tickets", one(DeskproTicket), {
          person: ticket.personId,
          subject: ticket.subject,
          status: ticket.status,
          message: { message: ticket.html, format: "html" },
        })
      ).data,
    getPerson: async (personId: string | number) => (await call("GET", `/api/v2/people/${personId}`, one(DeskproPerson))).data,
    getOrganization: async (orgId: string | number) => (await call("GET", `/api/v2/organizations/${orgId}`, one(DeskproOrganization))).data,
    /** A person's or an organisation's newest tickets, newest first. */
    listTicketsOf: async (owner: { type: "person" | "org"; id: string }) => {
      const filter = owner.type === "person" ? `person=${owner.id}` : `organization=${owner.id}`;
      return (await call("GET", `/api/v2/tickets?${filter}&order_by=date_created&order_dir=desc&count=25`, many(DeskproTicket))).data;
    },
    /** The helpdesk's status records (sub-statuses, and the hidden Spam and Deleted records). */
    listTicketStatuses: async () => (await call("GET", "/api/v2/ticket_statuses?count=200", many(DeskproTicketStatus))).data,
    /** The SLAs on a ticket, as ticket-SLA links: `sla` is the SLA's id. */
    listTicketSlas: async (ticketId: string | number) => (await call("GET", `/api/v2/tickets/${ticketId}/ticket_slas`, many(DeskproTicketSla))).data,
    getTicketCustomField: async (fieldId: number) => (await call("GET", `/api/v2/ticket_custom_fields/${fieldId}`, one(DeskproCustomField))).data,
    /** Every charge on the ticket's Billing & Time Log, oldest first, page by page. */
    listTicketCharges: async (ticketId: string | number) => {
      const charges: DeskproCharge[] = [];
      for (let page = 1; page <= MAX_CHARGE_PAGES; page++) {
        const answer = await call(
          "GET",
          `/api/v2/tickets/${ticketId}/charges?order_by=id&order_dir=asc&count=${CHARGES_PER_PAGE}&page=${page}`,
          DeskproChargePage,
        );
        charges.push(...answer.data);
        const totalPages = answer.meta?.pagination?.total_pages;
        if (answer.data.length < CHARGES_PER_PAGE || (typeof totalPages === "number" && page >= totalPages)) break;
      }
      return charges;
    },
    /** Adds a charge; Deskpro answers 201 with it (the person, organisation and agent default from the ticket and the key). */
    createTicketCharge: async (ticketId: string | number, charge: { chargeTime: number; comment: string }) =>
      (await call("POST", `/api/v2/tickets/${ticketId}/charges`, one(DeskproCharge), { charge_time: charge.chargeTime, comment: charge.comment })).data,
    /** Deletes a charge for good (Deskpro keeps no trace of it). */
    deleteTicketCharge: async (ticketId: string | number, chargeId: number): Promise<void> => {
      await call("DELETE", `/api/v2/tickets/${ticketId}/charges/${chargeId}`, null);
    },
    /** Who the API key acts as, with `person.can_admin`. */
    getMe: async () => (await call("GET", "/api/v2/me", one(DeskproMe))).data,
    listCustomFields: async (kind: "ticket" | "person" | "organization") =>
      (await call("GET", `/api/v2/${kind}_custom_fields?count=200`, many(DeskproCustomField))).data,
    /**
     * A choice ticket field with one option per title, in that order, as Deskpro's own API tests
     * create one (`handler_class` Choice, `choices_structure` rows marked `@is_new`).
     */
    createChoiceTicketField: async (field: { title: string; choices: string[] }) =>
      (
        await call("POST", "/api/v2/ticket_custom_fields", one(DeskproCustomField), {
          title: field.title,
          is_enabled: true,
          handler_class: "Application\\DeskPRO\\CustomFields\\Handler\\Choice",
          field_type: "radio",
          choices_structure: field.choices.map((title, i) => ({
            id: `cb_${i + 1}`,
            "@is_new": true,
            title,
            parent_id: null,
            display_order: (i + 1) * 10,
            depth: 0,
          })),
        })
      ).data,
    listSlas: async () => (await call("GET", "/api/v2/slas?count=200", many(DeskproTitled))).data,
    listTicketPriorities: async () => (await call("GET", "/api/v2/ticket_priorities?count=200", many(DeskproTitled))).data,
  };
}
