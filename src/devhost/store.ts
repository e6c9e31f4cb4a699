/**
 * What the development host remembers between runs of `npm start`: the demo tenant and its key,
 * the app's installed settings, app and user state, entity associations and the demo helpdesk
 * (tickets, people, organisations, messages). One JSON file in the data folder, written
 * atomically (temp file + rename) shortly after each change.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

export const HelpdeskPerson = z.object({
  id: z.int(),
  first_name: z.string(),
  last_name: z.string(),
  primary_email: z.string(),
  organization: z.int().nullable(),
  is_agent: z.boolean().default(false),
  /** Custom fields as Deskpro's API gives them: keyed by field id, with aliases and the value. */
  fields: z.record(z.string(), z.unknown()).default({}),
});
export type HelpdeskPerson = z.infer<typeof HelpdeskPerson>;
export const fullName = (person: Pick<HelpdeskPerson, "first_name" | "last_name">) => `${person.first_name} ${person.last_name}`;

export const HelpdeskOrganization = z.object({ id: z.int(), name: z.string(), fields: z.record(z.string(), z.unknown()).default({}) });
export type HelpdeskOrganization = z.infer<typeof HelpdeskOrganization>;

export const HelpdeskMessage = z.object({
  id: z.int(),
  ticket: z.int(),
  person: z.int(),
  message: z.string(),
  is_agent_note: z.boolean(),
  date_created: z.string(),
});
export type HelpdeskMessage = z.infer<typeof HelpdeskMessage>;

export const HelpdeskTicket = z.object({
  id: z.int(),
  subject: z.string(),
  /** As Deskpro writes it: `awaiting_agent`, `awaiting_user.7`, `hidden.deleted`… */
  status: z.string(),
  person: z.int(),
  organization: z.int().nullable(),
  priority: z.int().nullable(),
  /** Custom fields keyed by id; a choice field's `value` is the chosen option ids. */
  fields: z.record(z.string(), z.unknown()).default({}),
  /** Ids of the ticket's ticket-SLA links (see `ticketSlas`), not SLA ids. */
  ticket_slas: z.array(z.int()).default([]),
  date_created: z.string(),
});
export type HelpdeskTicket = z.infer<typeof HelpdeskTicket>;

/**
 * A charge on a ticket's Billing & Time Log, as `GET /api/v2/tickets/{id}/charges` lists it:
 * `charge_time` in seconds, `amount` in the billing currency, dates as Deskpro writes them.
 */
export const HelpdeskCharge = z.object({
  id: z.int(),
  ticket: z.int(),
  person: z.int(),
  agent: z.int().nullable(),
  organization: z.int().nullable(),
  amount: z.number().nullable(),
  charge_time: z.int().nullable(),
  comment: z.string(),
  date_created: z.string(),
});
export type HelpdeskCharge = z.infer<typeof HelpdeskCharge>;

/** A date as Deskpro's API writes it: `2018-01-11T00:00:00+0000`. */
export const deskproDate = (at: Date) => `${at.toISOString().slice(0, 19)}+0000`;

/** A ticket↔SLA link, as `GET /api/v2/tickets/{id}/ticket_slas` lists it. */
export const HelpdeskTicketSla = z.object({ id: z.int(), ticket: z.int(), sla: z.int(), sla_status: z.enum(["ok", "warning", "fail"]) });
export type HelpdeskTicketSla = z.infer<typeof HelpdeskTicketSla>;

/** A custom field with choices (the portal's "Response time" field, the registration form's "Support choice"). */
export const HelpdeskChoiceField = z.object({
  id: z.int(),
  title: z.string(),
  alias: z.string().nullable().default(null),
  choices: z.array(z.object({ id: z.int(), title: z.string() })),
});
export type HelpdeskChoiceField = z.infer<typeof HelpdeskChoiceField>;

export const Helpdesk = z.object({
  priorities: z.array(z.object({ id: z.int(), title: z.string(), sort: z.int() })),
  organizations: z.array(HelpdeskOrganization),
  people: z.array(HelpdeskPerson),
  tickets: z.array(HelpdeskTicket),
  messages: z.array(HelpdeskMessage),
  nextMessageId: z.int(),
  /** SLA definitions (read-only in Deskpro's API). */
  slas: z.array(z.object({ id: z.int(), title: z.string(), sla_type: z.string() })).default(() => DEMO_SLAS.map((s) => ({ ...s }))),
  ticketSlas: z.array(HelpdeskTicketSla).default([]),
  customFields: z.array(HelpdeskChoiceField).default(() => [structuredClone(TIER_FIELD_DEFINITION)]),
  /** Every ticket's Billing & Time Log; Deskpro deletes charges outright. */
  charges: z.array(HelpdeskCharge).default([]),
  nextChargeId: z.int().default(1),
  personFields: z.array(HelpdeskChoiceField).default(() => [structuredClone(REGISTRATION_FIELD_DEFINITION)]),
  organizationFields: z.array(HelpdeskChoiceField).default(() => [structuredClone(MEMBERSHIP_FIELD_DEFINITION)]),
  /** The last option id an admin's edit gave: like Deskpro's, an option id is never given twice, even after its option was removed. */
  lastChoiceId: z.int().default(0),
});
export type Helpdesk = z.infer<typeof Helpdesk>;

const StateRow = z.record(z.string(), z.string());

export const HostState = z.object({
  version: z.literal(1),
  /** The ledger's LEDGER_SECRETS_KEY for this data folder, unless the environment sets one. */
  secretsKey: z.string(),
  /** The Deskpro stand-in's API key the ledger uses for write-backs. */
  helpdeskApiKey: z.string(),
  /** What the stand-in's "New Ticket" trigger sends the ledger in X-Credits-Webhook-Secret. */
  webhookSecret: z.string().default(() => randomBytes(24).toString("base64url")),
  tenant: z.object({ id: z.string(), apiKey: z.string() }).nullable(),
  /** The helpdesk's web hook actions as its admin set them up: where each sends, with which secret. */
  triggers: z.partialRecord(z.enum(["ticket-created", "ticket-updated", "sla-failed"]), z.object({ url: z.string(), secret: z.string() })).default({}),
  /** The app's installed settings, as an admin would have saved them in Deskpro. */
  settings: z.record(z.string(), z.string()),
  /** App state by scope ("ticket:1042") then name; values are the SDK's JSON strings. */
  appState: z.record(z.string(), StateRow),
  /** User state by agent and scope, then name. */
  userState: z.record(z.string(), StateRow),
  entityAssociations: z.record(z.string(), StateRow),
  helpdesk: Helpdesk,
});
export type HostState = z.infer<typeof HostState>;

export const DEMO_AGENT_ID = 5;

/** The portal's "Response time" ticket field: which option is which tier (its titles live in the helpdesk). */
export const TIER_FIELD = {
  id: 7,
  options: [
    { id: 70, tier: "standard" },
    { id: 71, tier: "4-hour" },
    { id: 72, tier: "1-hour" },
  ],
} as const;

/** The field as an admin first sets it up in Deskpro: each option's title shows its tier's price. */
const TIER_FIELD_DEFINITION: HelpdeskChoiceField = {
  id: TIER_FIELD.id,
  title: "Response time",
  alias: null,
  choices: [
    { id: 70, title: "Standard response (free)" },
    { id: 71, title: "4-hour response — 150 credits" },
    { id: 72, title: "1-hour response — 250 credits" },
  ],
};

const DEMO_SLAS = [
  { id: 1, title: "First response within a business day", sla_type: "first_response" },
  { id: 2, title: "Resolution within a week", sla_type: "resolution" },
];

/** The person field the portal's registration form asks ("Standard support" or "Priority support with credits"). */
export const REGISTRATION_FIELD_ID = 21;
export const PRIORITY_SUPPORT_OPTION = { id: 212, title: "Priority support with credits" } as const;
const REGISTRATION_FIELD_DEFINITION: HelpdeskChoiceField = {
  id: REGISTRATION_FIELD_ID,
  title: "Support choice",
  alias: "support_choice",
  choices: [{ id: 211, title: "Standard support" }, { ...PRIORITY_SUPPORT_OPTION }],
};
const MEMBERSHIP_FIELD_DEFINITION: HelpdeskChoiceField = {
  id: 31,
  title: "Membership level",
  alias: null,
  choices: [
    { id: 311, title: "Silver" },
    { id: 312, title: "Gold" },
  ],
};

/** The helpdesk a new data folder starts with; the demo seed gives its banks credits and history. */
export function demoHelpdesk(now: Date): Helpdesk {
  const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
  return {
    priorities: [
      { id: 1, title: "Low", sort: 1 },
      { id: 2, title: "Normal", sort: 2 },
      { id: 3, title: "High", sort: 3 },
      { id: 4, title: "Urgent", sort: 4 },
    ],
    organizations: [
      { id: 42, name: "Analytical Engines Ltd", fields: {} },
      { id: 43, name: "Difference & Co", fields: {} },
    ],
    people: [
      { id: 5, first_name: "Grace", last_name: "Hopper", primary_email: "grace@support.example", organization: null, is_agent: true, fields: {} },
      { id: 77, first_name: "Ada", last_name: "Lovelace", primary_email: "ada@analytical.example", organization: 42, is_agent: false, fields: {} },
      { id: 78, first_name: "Charles", last_name: "Babbage", primary_email: "charles@difference.example", organization: 43, is_agent: false, fields: {} },
      // Chose "Priority support with credits" when registering on the portal (a person custom field).
      {
        id: 79,
        first_name: "Mary",
        last_name: "Somerville",
        primary_email: "mary@example.org",
        organization: null,
        is_agent: false,
        fields: { [String(REGISTRATION_FIELD_ID)]: { aliases: ["support_choice"], value: [PRIORITY_SUPPORT_OPTION.id] } },
      },
    ],
    tickets: [
      {
        id: 1042,
        subject: "Printer on fire",
        status: "awaiting_agent",
        person: 77,
        organization: 42,
        priority: 2,
        fields: {},
        ticket_slas: [301],
        date_created: daysAgo(0),
      },
      {
        id: 1043,
        subject: "Invoice export is empty",
        status: "awaiting_agent",
        person: 78,
        organization: 43,
        priority: 2,
        fields: {},
        ticket_slas: [302],
        date_created: daysAgo(1),
      },
    ],
    slas: DEMO_SLAS.map((s) => ({ ...s })),
    ticketSlas: [
      { id: 301, ticket: 1042, sla: 1, sla_status: "ok" },
      { id: 302, ticket: 1043, sla: 1, sla_status: "warning" },
    ],
    customFields: [structuredClone(TIER_FIELD_DEFINITION)],
    personFields: [structuredClone(REGISTRATION_FIELD_DEFINITION)],
    organizationFields: [structuredClone(MEMBERSHIP_FIELD_DEFINITION)],
    messages: [
      {
        id: 1,
        ticket: 1042,
        person: 77,
        message: "<p>The office printer caught fire when we printed the quarterly report. Can you help?</p>",
        is_agent_note: false,
        date_created: daysAgo(0),
      },
      {
        id: 2,
        ticket: 1043,
        person: 78,
        message: "<p>Exporting invoices gives an empty file since Monday.</p>",
        is_agent_note: false,
        date_created: daysAgo(1),
      },
    ],
    nextMessageId: 3,
    charges: [],
    nextChargeId: 1,
    lastChoiceId: 0,
  };
}

export interface HostStore {
  readonly state: HostState;
  /** Call after changing `state`; the file is written soon after. */
  changed(): void;
  flush(): void;
}

export function openHostStore(file: string, now = new Date(), options: { fresh?: boolean } = {}): HostStore {
  mkdirSync(dirname(file), { recursive: true });
  let state: HostState;
  if (existsSync(file)) {
    const parsed = HostState.safeParse(JSON.parse(readFileSync(file, "utf8")));
    if (!parsed.success) throw new Error(`${file} is not a development host state file this version understands; delete it to start afresh.`);
    state = parsed.data;
  } else {
    state = {
      version: 1,
      secretsKey: randomBytes(32).toString("base64"),
      helpdeskApiKey: `1:${randomBytes(18).toString("base64url")}`,
      webhookSecret: randomBytes(24).toString("base64url"),
      tenant: null,
      triggers: {},
      settings: {},
      appState: {},
      userState: {},
      entityAssociations: {},
      helpdesk: demoHelpdesk(now),
    };
    // A helpdesk that has just installed the app: nothing made for it yet (no tier field).
    if (options.fresh) state.helpdesk.customFields = [];
  }
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const temp = `${file}.tmp`;
    writeFileSync(temp, JSON.stringify(state, null, 2), { mode: 0o600 });
    renameSync(temp, file);
  };
  flush();
  return {
    state,
    changed: () => {
      timer ??= setTimeout(flush, 50);
    },
    flush,
  };
}
