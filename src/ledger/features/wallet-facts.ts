/**
 * What Deskpro knows about a wallet's customer, read through the REST API for the plan rules: the
 * organisation's custom fields (membership level), the person's custom fields (the choice made at
 * registration) and the SLAs Deskpro applies to their tickets (people and organisations have no
 * SLA of their own: a ticket lists ticket-SLA links, whose `sla` is the SLA). The ledger reads them
 * when a portal ticket arrives and when an agent opens a sidebar
 * (`POST /v1/wallets/{owner}/profile/refresh`); integrations may also send them with
 * `PUT /v1/wallets/{owner}/profile`.
 */
import type { LedgerConfig } from "../../contract/config.js";
import { WalletProfile, type Wallet, type WalletProfileRefresh } from "../../contract/ledger.js";
import type { LedgerContext } from "../core/context.js";
import * as core from "../core/wallets.js";
import { resolvePlan } from "../domain/plans.js";
import { LedgerError } from "../core/errors.js";
import { DeskproError, DeskproOverLimit, type DeskproClient } from "../integrations/deskpro/client.js";
import { clientFor, type DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { fieldValues, type DeskproTicket } from "../integrations/deskpro/schemas.js";
import * as wallets from "../storage/wallets.js";

const FIELD_KEY = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A record's custom fields as the profile stores them: one string per field, holding every value
 * the field has (a choice field's option id and its title, each option of a multi-choice) one per
 * line, so a rule may name either the option's id or its title.
 */
export function profileFields(fields: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const entries: Array<[string, unknown]> = Array.isArray(fields)
    ? fields.flatMap((f) => (f !== null && typeof f === "object" && "id" in f ? [[String((f as { id: unknown }).id), f] as [string, unknown]] : []))
    : fields !== null && typeof fields === "object"
      ? Object.entries(fields as Record<string, unknown>)
      : [];
  for (const [rawKey, raw] of entries.slice(0, 200)) {
    const values = [...new Set(fieldValues(raw).map((v) => String(v).replaceAll(/\s+/g, " ").trim()))].filter((v) => v !== "");
    const joined = values.join("\n").slice(0, 200);
    if (joined === "") continue;
    // A field is known by its id and by any aliases the admin gave it in Deskpro.
    const aliases =
      raw !== null && typeof raw === "object" && Array.isArray((raw as { aliases?: unknown }).aliases) ? (raw as { aliases: unknown[] }).aliases : [];
    const keys = [rawKey.replace(/^field(?=[0-9]+$)/, ""), ...aliases.filter((a): a is string => typeof a === "string")];
    for (const key of keys) if (FIELD_KEY.test(key)) out[key] = joined;
  }
  return out;
}

/** Which kinds of facts the rules read for a wallet of this kind; nothing to read means no call to Deskpro. */
function wanted(config: LedgerConfig, ownerType: "org" | "person"): { fields: boolean; slas: boolean } {
  const kinds = new Set(config.planRules.map((r) => r.type));
  return ownerType === "org" ? { fields: kinds.has("org_field"), slas: kinds.has("sla") } : { fields: kinds.has("person_field"), slas: kinds.has("sla") };
}

const sameProfile = (a: WalletProfile | null, b: WalletProfile) => a !== null && JSON.stringify(a) === JSON.stringify(b);

/** The SLAs on a ticket and the wallet they count for (the bank that pays for the ticket). */
export interface TicketSlas {
  owner: string;
  slaIds: string[];
}

/** The SLA ids Deskpro applies to a ticket, read from its ticket-SLA links (none asked for when it lists none). */
export async function ticketSlaIds(client: DeskproClient, ticket: DeskproTicket): Promise<string[]> {
  if (ticket.ticket_slas !== undefined && ticket.ticket_slas.length === 0) return [];
  const links = await client.listTicketSlas(ticket.id);
  return [...new Set(links.flatMap((link) => (link.sla === null ? [] : [String(link.sla)])))].slice(0, 50);
}

/**
 * Reads the wallet's facts from Deskpro: its record's custom fields, and the SLAs of the ticket at
 * hand when they count for this wallet. Without one, the SLAs seen last are kept.
 */
export async function readWalletProfile(
  client: DeskproClient,
  owner: string,
  previous: WalletProfile | null,
  ticketSlas: TicketSlas | null,
): Promise<WalletProfile> {
  const [type, id] = owner.split(":") as ["org" | "person", string];
  const record = type === "org" ? await client.getOrganization(id) : await client.getPerson(id);
  const fields = profileFields(record.fields);
  const slaIds = ticketSlas !== null && ticketSlas.owner === owner ? ticketSlas.slaIds : (previous?.slaIds ?? []);
  return WalletProfile.parse(type === "org" ? { orgFields: fields, personFields: {}, slaIds } : { orgFields: {}, personFields: fields, slaIds });
}

export interface RefreshResult {
  /** False when no plan rule reads this kind of wallet, so Deskpro was not asked. */
  read: boolean;
  changed: boolean;
  /** The wallet on the plan its new facts give, when they changed; null otherwise. */
  wallet: Wallet | null;
}

/** Reads the wallet's facts from Deskpro and stores them when they changed; the plan follows from the rules. */
export async function refreshWalletProfile(
  ledger: LedgerContext,
  tenantId: string,
  owner: string,
  client: DeskproClient,
  ticketSlas: TicketSlas | null = null,
): Promise<RefreshResult> {
  const { config } = await core.loadConfig(ledger.db, tenantId);
  const want = wanted(config, owner.startsWith("org:") ? "org" : "person");
  if (!want.fields && !want.slas) return { read: false, changed: false, wallet: null };
  const row = await wallets.findWallet(ledger.db, tenantId, owner);
  const previous = row?.profile ?? null;
  const profile = await readWalletProfile(client, owner, previous, ticketSlas);
  if (sameProfile(previous, profile)) return { read: true, changed: false, wallet: null };
  // A wallet that doesn't exist yet is only opened when a rule gives it a plan: reading every
  // customer's facts must not open a wallet for each of them.
  if (row === null && !["org_field", "sla", "person_field"].includes(resolvePlan(config, null, profile).source))
    return { read: true, changed: false, wallet: null };
  return { read: true, changed: true, wallet: await core.setWalletProfile(ledger, tenantId, owner, profile) };
}

/** Deskpro did not answer or refused; nothing was changed. */
export class DeskproUnavailable extends LedgerError {
  readonly code = "deskpro_unavailable";
  constructor(status: number | null) {
    // The status only: Deskpro's answer may echo request details that don't belong in our errors.
    super(`Deskpro could not be read (${status ?? "no answer"}). Nothing was changed.`);
  }
}

/** The helpdesk answered more than the ledger reads, or took longer than one read may; nothing was changed. */
export class DeskproAnswerOverLimit extends LedgerError {
  readonly code = "deskpro_over_limit";
  constructor(error: DeskproOverLimit) {
    // The ledger's own words (the path asked and the limit), never what Deskpro sent.
    super(`${error.message}. Nothing was changed.`, { limit: error.limit });
  }
}

/** The problem a failed call to the helpdesk answers. */
export const deskproProblem = (error: DeskproError): LedgerError =>
  error instanceof DeskproOverLimit ? new DeskproAnswerOverLimit(error) : new DeskproUnavailable(error.status);

/** Reads the wallet's facts from the tenant's helpdesk now (the sidebars ask when opened) and answers the wallet. */
export async function refreshWalletProfileNow(
  ledger: LedgerContext,
  tenantId: string,
  owner: string,
  clients: DeskproClientFactory,
): Promise<WalletProfileRefresh> {
  const client = await clientFor(ledger.db, tenantId, clients);
  try {
    const result = await refreshWalletProfile(ledger, tenantId, owner, client);
    return { read: result.read, changed: result.changed, wallet: result.wallet ?? (await core.getWallet(ledger, tenantId, owner)) };
  } catch (error) {
    if (error instanceof DeskproError) throw deskproProblem(error);
    throw error;
  }
}
