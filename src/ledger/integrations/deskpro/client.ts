/**
 * A typed client for the parts of Deskpro's REST API v2 the ledger reads and writes back through.
 * Every answer with a body is parsed with zod; a 2xx without one (Deskpro's `204 No Content` to a
 * PUT) is a success. Every call has a timeout; 429 and 5xx answers are retried with exponential
 * back-off (honouring Retry-After) for reads and idempotent writes. A POST is retried only on 429,
 * which Deskpro sends before doing anything: a 5xx on a POST may have created the message or
 * ticket, so the outbox re-checks before posting again. Errors carry the status and path, never
 * the API key.
 *
 * What a helpdesk answers is bounded before it costs the ledger memory (see ANSWER_LIMITS): each
 * answer's body is read as a stream up to a cap and its JSON values are counted before it is parsed;
 * a list's items are validated one by one (an item that doesn't read is left out and counted, the
 * rest stand); a ticket's charges are read page by page within a budget of pages and seconds; and
 * at most a few calls to one helpdesk are in flight at once in a process. Anything beyond is a
 * DeskproOverLimit, and nothing of the read is used.
 */
import { z } from "zod";
import { UrlNotAllowed } from "../../core/outbound.js";
import {
  DeskproCharge,
  DeskproCustomField,
  DeskproDiscover,
  DeskproMe,
  DeskproMessage,
  DeskproOrganization,
  DeskproPerson,
  DeskproTicket,
  DeskproTicketSla,
  DeskproTicketStatus,
  DeskproTitled,
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

/** Which of the ledger's bounds an answer went past. */
export type DeskproLimit = "answer_bytes" | "answer_values" | "page_items" | "pages" | "read_seconds";

/**
 * A helpdesk answered more than the ledger reads (a larger body, more JSON values, more items than
 * asked for, more pages), or a read took longer than its budget. Nothing of the read is used. Not
 * retryable at once; the outbox gives up on the size limits (the same answer would come again) and
 * retries the time limit later.
 */
export class DeskproOverLimit extends DeskproError {
  constructor(
    readonly limit: DeskproLimit,
    path: string,
    message: string,
  ) {
    super(null, path, message, false);
    this.name = "DeskproOverLimit";
  }

  override get permanent(): boolean {
    return this.limit !== "read_seconds";
  }
}

type Method = "GET" | "PUT" | "POST" | "DELETE";

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * How much of a helpdesk's answer the ledger reads (docs/deskpro-fidelity.md, "Bounded reads").
 * Deskpro's lists page at most 200 items (`CrudController::$listMaxResults`; the ledger asks for 100
 * charges or 25 messages a page), so these are many times what a real answer holds:
 * - a record (ticket, person, organisation, field) or a page of 100 charges: 1 MiB. A charge is
 *   about a dozen short fields and a comment of at most 255 characters (6 bytes each at worst,
 *   escaped): under 2 kB, so 200 kB a page;
 * - a list of definitions (up to 200 fields with their options, statuses, priorities, SLAs): 2 MiB;
 * - the newest 25 messages, whose HTML bodies Deskpro does not bound: 4 MiB.
 * Every answer also holds at most 100,000 JSON values, counted on the text before it is parsed:
 * parsing is what multiplies memory (1 MiB of `{},{},…` is 21 MB of objects), values bound it.
 */
export const ANSWER_LIMITS = {
  recordBytes: 1 * MiB,
  listBytes: 2 * MiB,
  messagesBytes: 4 * MiB,
  values: 100_000,
} as const;

/**
 * One read of a ticket's charges, all pages together: 100 charges a page, at most 50 pages (5,000
 * charges on one ticket), within 30 seconds whatever the helpdesk does (its retries included).
 */
export const CHARGE_READ_LIMITS = { perPage: 100, pages: 50, seconds: 30 } as const;

/** Calls to one helpdesk in flight at once in this process; more wait their turn within their own timeout. */
export const CALLS_PER_HELPDESK = 4;

/** Deskpro's largest page (`count` above it is refused), for lists the ledger doesn't page. */
const DESKPRO_MAX_PAGE = 200;
/** The newest messages a write looks through for its own before posting again (it posted them minutes ago). */
const MESSAGES_PER_PAGE = 25;

/** A page of a list as read: the items that passed validation, and how many didn't. */
export interface ListPage<T> {
  items: T[];
  /** Items left out because they didn't read (not an object, no usable id, a field of the wrong kind). */
  unreadable: number;
  /** Deskpro's `meta.pagination` when it gives one. */
  total: number | null;
  totalPages: number | null;
}

/** The envelope of a list: `data` an array, read item by item afterwards; `meta.pagination` when given (older helpdesks send `[]`). */
const ListEnvelope = z.object({
  data: z.array(z.unknown()),
  meta: z
    .looseObject({
      pagination: z
        .looseObject({ total: z.number().optional().catch(undefined), total_pages: z.number().optional().catch(undefined) })
        .optional()
        .catch(undefined),
    })
    .or(z.array(z.unknown()))
    .optional()
    .catch(undefined)
    .transform((meta) => (Array.isArray(meta) ? undefined : meta)),
});

/** How many JSON values (containers and the commas between items) the text holds, up to `max` + 1: counted without parsing. */
function countJsonValues(text: string, max: number): number {
  let count = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      // A backslash escapes the next character; a quote ends the string.
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 44 || c === 91 || c === 123) {
      if (++count > max) return count;
    }
  }
  return count;
}

const busy = new Map<string, { active: number; waiting: Array<() => void> }>();

/** Waits for one of the helpdesk's slots; rejects when `signal` aborts first. Answers the release. */
async function takeSlot(helpdesk: string, signal: AbortSignal): Promise<() => void> {
  let slots = busy.get(helpdesk);
  if (!slots) busy.set(helpdesk, (slots = { active: 0, waiting: [] }));
  const held = slots;
  if (signal.aborted) throw signal.reason;
  if (held.active >= CALLS_PER_HELPDESK) {
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener("abort", giveUp);
        resolve();
      };
      const giveUp = () => {
        held.waiting.splice(held.waiting.indexOf(wake), 1);
        reject(signal.reason);
      };
      held.waiting.push(wake);
      signal.addEventListener("abort", giveUp, { once: true });
    });
  } else {
    held.active++;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = held.waiting.shift();
    // The slot passes on to the next waiting call, or is given back.
    if (next) next();
    else if (--held.active === 0) busy.delete(helpdesk);
  };
}

const sleeper = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type DeskproClient = ReturnType<typeof createDeskproClient>;

export function createDeskproClient(options: DeskproClientOptions) {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 250;
  const sleep = options.sleep ?? sleeper;
  const base = options.baseUrl.replace(/\/+$/, "");

  interface CallLimits {
    /** The most bytes of the answer's body read. */
    bytes?: number;
    /** When the whole read this call belongs to must be done (a `performance.now()` time). */
    deadline?: number;
  }

  /** With `schema` null the answer's content is not needed (an update): an empty 2xx is fine. */
  async function call<T extends z.ZodType>(method: Method, path: string, schema: T, body?: unknown, limits?: CallLimits): Promise<z.infer<T>>;
  async function call(method: Method, path: string, schema: null, body?: unknown, limits?: CallLimits): Promise<void>;
  async function call<T extends z.ZodType>(
    method: Method,
    path: string,
    schema: T | null,
    body?: unknown,
    limits: CallLimits = {},
  ): Promise<z.infer<T> | void> {
    const text = await answerText(method, path, body, limits);
    if (text === null || text.trim() === "") {
      if (schema === null) return undefined;
      throw new DeskproError(200, path, `Deskpro answered ${method} ${path} with no body`, false);
    }
    if (schema === null) return undefined;
    return parseAnswer(method, path, schema, text);
  }

  /** A create's answer: Deskpro may answer 201 with only a `Location` (no body unless `?follow_location=1`): null then. */
  async function create<T extends z.ZodType>(path: string, schema: T, body: unknown): Promise<z.infer<T> | null> {
    const text = await answerText("POST", path, body, {});
    return text === null || text.trim() === "" ? null : parseAnswer("POST", path, schema, text);
  }

  function parseAnswer<T extends z.ZodType>(method: Method, path: string, schema: T, text: string): z.infer<T> {
    const parsed = schema.safeParse(parseJson(method, path, text));
    if (!parsed.success) {
      const where = parsed.error.issues[0]?.path.join(".") || "(root)";
      throw new DeskproError(200, path, `Deskpro's answer to ${method} ${path} has an unexpected shape at ${where}`, false);
    }
    return parsed.data;
  }

  /**
   * A list's page: the envelope is checked whole, each item on its own (one that doesn't read is
   * left out and counted). More items than asked for is not a page Deskpro would send.
   */
  async function listPage<T extends z.ZodType>(path: string, item: T, maxItems: number, limits: CallLimits = {}): Promise<ListPage<z.infer<T>>> {
    const text = await answerText("GET", path, undefined, limits);
    const envelope = ListEnvelope.safeParse(text === null || text.trim() === "" ? undefined : parseJson("GET", path, text));
    if (!envelope.success) throw new DeskproError(200, path, `Deskpro's answer to GET ${path} is not a list`, false);
    const { data, meta } = envelope.data;
    if (data.length > maxItems) {
      throw new DeskproOverLimit("page_items", path, `Deskpro's answer to GET ${path} lists ${data.length} items, more than the ${maxItems} asked for`);
    }
    const items: Array<z.infer<T>> = [];
    let unreadable = 0;
    for (const raw of data) {
      const parsed = item.safeParse(raw);
      if (parsed.success) items.push(parsed.data);
      else unreadable++;
    }
    const pagination = meta?.pagination;
    return { items, unreadable, total: pagination?.total ?? null, totalPages: pagination?.total_pages ?? null };
  }

  function parseJson(method: Method, path: string, text: string): unknown {
    // Parsing is what multiplies memory: the values are counted first, on the text.
    if (countJsonValues(text, ANSWER_LIMITS.values) > ANSWER_LIMITS.values) {
      throw new DeskproOverLimit(
        "answer_values",
        path,
        `Deskpro's answer to ${method} ${path} holds more than ${ANSWER_LIMITS.values.toLocaleString("en")} values`,
      );
    }
    try {
      return JSON.parse(text);
    } catch {
      throw new DeskproError(200, path, `Deskpro answered ${method} ${path} with a body that is not JSON`, false);
    }
  }

  /**
   * Sends the request (retrying as the header says) and reads a 2xx answer's body as text, up to
   * the byte limit; null for a 2xx without a body. Each attempt holds one of the helpdesk's slots.
   */
  async function answerText(method: Method, path: string, body: unknown, limits: CallLimits): Promise<string | null> {
    const retryOn5xx = method !== "POST";
    const maxBytes = limits.bytes ?? ANSWER_LIMITS.recordBytes;
    for (let attempt = 0; ; attempt++) {
      const left = limits.deadline === undefined ? Infinity : limits.deadline - performance.now();
      if (left <= 0) throw overTime(method, path);
      const attemptMs = Math.min(timeoutMs, Math.ceil(left)); // whole milliseconds: AbortSignal.timeout takes no fraction
      const signal = AbortSignal.timeout(attemptMs);
      let release: () => void = () => undefined;
      let response: Response;
      try {
        release = await takeSlot(base, signal);
        response = await doFetch(`${base}${path}`, {
          method,
          headers: {
            authorization: `key ${options.apiKey}`,
            accept: "application/json",
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal,
          redirect: "error",
        });
      } catch (error) {
        release();
        // The address is refused (not public, not https): retrying now won't change that, and the rule is the message.
        if (error instanceof UrlNotAllowed) throw error;
        if (attemptMs < timeoutMs && signal.aborted) throw overTime(method, path);
        const timedOut = (error as Error)?.name === "TimeoutError" || (error as Error)?.name === "AbortError";
        // A GET or PUT can be repeated safely; whether a POST arrived is unknown, so the caller re-checks.
        if (retryOn5xx && attempt < retries) {
          await pause(backoff(attempt, null), limits.deadline, method, path);
          continue;
        }
        throw new DeskproError(
          null,
          path,
          timedOut ? `Deskpro did not answer ${method} ${path} within ${timeoutMs} ms` : `Deskpro unreachable for ${method} ${path}`,
          true,
        );
      }
      let text: string | null = null;
      try {
        if (response.ok) text = await readBody(method, path, response, maxBytes, attemptMs < timeoutMs);
        // An error's body says nothing the ledger uses: read a little of it (frees the connection) and drop it.
        else await readBody(method, path, response, 64 * KiB, false).catch(() => undefined);
      } catch (error) {
        release();
        // The body broke off or timed out: a GET or PUT is asked again; past a limit, it is not.
        const again = error instanceof DeskproError && error.retryable && !(error instanceof DeskproOverLimit);
        if (again && retryOn5xx && attempt < retries) {
          await pause(backoff(attempt, null), limits.deadline, method, path);
          continue;
        }
        throw error;
      } finally {
        release();
      }
      if (response.ok) return text;
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable && (response.status === 429 || retryOn5xx) && attempt < retries) {
        await pause(backoff(attempt, response.headers.get("retry-after")), limits.deadline, method, path);
        continue;
      }
      throw new DeskproError(response.status, path, `Deskpro answered ${method} ${path} with ${response.status}`, retryable);
    }
  }

  const overTime = (method: Method, path: string) =>
    new DeskproOverLimit("read_seconds", path, `Deskpro's answers took longer than one read may (${CHARGE_READ_LIMITS.seconds} s), at ${method} ${path}`);

  /** Waits before a retry, unless the read's time would run out meanwhile. */
  async function pause(ms: number, deadline: number | undefined, method: Method, path: string): Promise<void> {
    if (deadline !== undefined && performance.now() + ms >= deadline) throw overTime(method, path);
    await sleep(ms);
  }

  /** The body as text, read as a stream and given up past `maxBytes` (the rest is never read). */
  async function readBody(method: Method, path: string, response: Response, maxBytes: number, lastOfBudget: boolean): Promise<string | null> {
    if (response.body === null) return null;
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) {
      void response.body.cancel().catch(() => undefined);
      throw tooLarge(method, path, maxBytes);
    }
    const reader = response.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          // Not awaited: a stream stuck in its source may never settle its cancel.
          void reader.cancel().catch(() => undefined);
          throw tooLarge(method, path, maxBytes);
        }
        chunks.push(value);
      }
    } catch (error) {
      if (error instanceof DeskproOverLimit) throw error;
      if (lastOfBudget) throw overTime(method, path);
      throw new DeskproError(response.status, path, `Deskpro's answer to ${method} ${path} broke off`, true);
    }
    return new TextDecoder().decode(Buffer.concat(chunks, size));
  }

  const tooLarge = (method: Method, path: string, maxBytes: number) =>
    new DeskproOverLimit("answer_bytes", path, `Deskpro's answer to ${method} ${path} is larger than ${maxBytes / MiB} MiB, the most the ledger reads there`);

  function backoff(attempt: number, retryAfter: string | null): number {
    const seconds = retryAfter !== null && /^\d{1,4}$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
    if (seconds !== null) return Math.min(seconds * 1000, 5_000);
    return Math.min(retryBaseMs * 2 ** attempt, 5_000) * (0.75 + Math.random() * 0.5);
  }

  /**
   * The ticket's Billing & Time Log, oldest first, one page at a time: at most
   * CHARGE_READ_LIMITS.pages pages within CHARGE_READ_LIMITS.seconds, all pages and retries
   * together. A ticket with more charges than that is a DeskproOverLimit, never a list cut short (a
   * charge missing from it would look deleted). Stops at a short page, at `total_pages`, or at a
   * page that brings no charge not seen already (a helpdesk that ignores `page`).
   */
  async function* ticketChargePages(ticketId: string | number): AsyncGenerator<ListPage<DeskproCharge>> {
    const { perPage, pages, seconds } = CHARGE_READ_LIMITS;
    const deadline = performance.now() + seconds * 1000;
    const seen = new Set<number>();
    for (let page = 1; ; page++) {
      const path = `/api/v2/tickets/${ticketId}/charges?order_by=id&order_dir=asc&count=${perPage}&page=${page}`;
      if (page > pages)
        throw new DeskproOverLimit("pages", path, `The ticket lists more than ${(pages * perPage).toLocaleString("en")} charges, more than one read takes`);
      const answer = await listPage(path, DeskproCharge, perPage, { bytes: ANSWER_LIMITS.recordBytes, deadline });
      const before = seen.size;
      for (const charge of answer.items) seen.add(charge.id);
      yield answer;
      const listed = answer.items.length + answer.unreadable;
      if (listed < perPage || (answer.totalPages !== null && page >= answer.totalPages) || seen.size === before) return;
    }
  }

  return {
    getTicket: async (ticketId: string | number) => (await call("GET", `/api/v2/tickets/${ticketId}`, one(DeskproTicket))).data,
    /** Sets the ticket's priority; other fields are left alone. Deskpro answers 204 with no body. */
    setTicketPriority: async (ticketId: string | number, priorityId: number): Promise<void> => {
      await call("PUT", `/api/v2/tickets/${ticketId}`, null, { priority: priorityId });
    },
    /** The ticket's newest messages, newest first (where a write looks for its own before posting again). */
    listTicketMessages: async (ticketId: string | number) =>
      (
        await listPage(
          `/api/v2/tickets/${ticketId}/messages?count=${MESSAGES_PER_PAGE}&order_by=date_created&order_dir=desc`,
          DeskproMessage,
          MESSAGES_PER_PAGE,
          {
            bytes: ANSWER_LIMITS.messagesBytes,
          },
        )
      ).items,
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
      return (await listPage(`/api/v2/tickets?${filter}&order_by=date_created&order_dir=desc&count=25`, DeskproTicket, 25, { bytes: ANSWER_LIMITS.listBytes }))
        .items;
    },
    /** The helpdesk's status records (sub-statuses, and the hidden Spam and Deleted records). */
    listTicketStatuses: async () => (await listPage("/api/v2/ticket_statuses?count=200", DeskproTicketStatus, 200, { bytes: ANSWER_LIMITS.listBytes })).items,
    /** The SLAs on a ticket, as ticket-SLA links: `sla` is the SLA's id. */
    listTicketSlas: async (ticketId: string | number) =>
      (await listPage(`/api/v2/tickets/${ticketId}/ticket_slas`, DeskproTicketSla, DESKPRO_MAX_PAGE, { bytes: ANSWER_LIMITS.listBytes })).items,
    getTicketCustomField: async (fieldId: number) => (await call("GET", `/api/v2/ticket_custom_fields/${fieldId}`, one(DeskproCustomField))).data,
    ticketChargePages,
    /** Every charge on the ticket, as the pages list them. */
    listTicketCharges: async (ticketId: string | number): Promise<DeskproCharge[]> => {
      const charges: DeskproCharge[] = [];
      for await (const page of ticketChargePages(ticketId)) charges.push(...page.items);
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
    /** Where the helpdesk's API is (`base_api_url`), asked of `baseUrl`; public in Deskpro. */
    discover: async () => (await call("GET", "/api/v2/helpdesk/discover", one(DeskproDiscover))).data,
    listCustomFields: async (kind: "ticket" | "person" | "organization") =>
      (await listPage(`/api/v2/${kind}_custom_fields?count=200`, DeskproCustomField, 200, { bytes: ANSWER_LIMITS.listBytes })).items,
    /**
     * A choice ticket field with one option per title, in that order, as Deskpro's own API tests
     * create one (`handler_class` Choice, `choices_structure` rows marked `@is_new`).
     */
    createChoiceTicketField: async (field: { title: string; choices: string[] }): Promise<DeskproCustomField | null> =>
      (
        await create("/api/v2/ticket_custom_fields", one(DeskproCustomField), {
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
      )?.data ?? null,
    listSlas: async () => (await listPage("/api/v2/slas?count=200", DeskproTitled, 200, { bytes: ANSWER_LIMITS.listBytes })).items,
    listTicketPriorities: async () => (await listPage("/api/v2/ticket_priorities?count=200", DeskproTitled, 200, { bytes: ANSWER_LIMITS.listBytes })).items,
  };
}
