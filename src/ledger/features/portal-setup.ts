/**
 * The settings page's guided setup of paid tiers on the portal, in place of a terminal: what
 * Deskpro has to pick from (fields, their options, SLAs, priorities), the tier field made through
 * Deskpro's API with one option per tier titled with its price, a webhook secret made for the
 * triggers, every value of the three web hook actions ready to copy, and a checklist of what the
 * ledger has seen working.
 */
import type { OutboundPolicy } from "../core/outbound.js";
import { randomBytes } from "node:crypto";
import type { LedgerConfig } from "../../contract/config.js";
import type { DeskproFieldSummary, DeskproLookups, PortalSetup, TierFieldCreated, WebhookAction } from "../../contract/setup.js";
import type { LedgerContext } from "../core/context.js";
import { LedgerError, VersionConflict } from "../core/errors.js";
import * as core from "../core/wallets.js";
import { sameLabel, tierOptionLabel } from "../domain/tier-labels.js";
import { DeskproError, DeskproOverLimit, type DeskproClient } from "../integrations/deskpro/client.js";
import { clientFor, DeskproNotConnected, getConnection, putConnection, type DeskproClientFactory } from "../integrations/deskpro/connection.js";
import type { DeskproCustomField } from "../integrations/deskpro/schemas.js";
import * as activity from "../storage/portal-activity.js";
import * as portalStore from "../storage/portal-tiers.js";
import { deskproProblem } from "./wallet-facts.js";

/** Deskpro said no to a write (the key's permissions, or an API that doesn't take it): the page offers the manual way. */
export class DeskproRefused extends LedgerError {
  readonly code = "deskpro_unavailable";
}

const summary = (field: DeskproCustomField): DeskproFieldSummary => ({
  id: field.id,
  title: field.title?.trim() || `Field ${field.id}`,
  alias: field.alias?.trim() || null,
  choices: field.choices.map((c) => ({ id: c.id, title: c.title })),
});

type LookupName = DeskproLookups["unavailable"][number];

/**
 * Everything the settings page's pickers list, read from the helpdesk. A list Deskpro refuses (a
 * key without that permission), or answers beyond what the ledger reads (see ANSWER_LIMITS), is
 * named in `unavailable` and the page lets the admin type an id there instead; an item of a list
 * that doesn't read is left out; Deskpro being down fails the whole read.
 */
export async function deskproLookups(ledger: LedgerContext, tenantId: string, clients: DeskproClientFactory): Promise<DeskproLookups> {
  const client = await clientFor(ledger.db, tenantId, clients);
  const unavailable: LookupName[] = [];
  const read = async <T>(name: LookupName, load: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await load();
    } catch (error) {
      if (error instanceof DeskproError && error.permanent) {
        unavailable.push(name);
        return [];
      }
      if (error instanceof DeskproError) throw deskproProblem(error);
      throw error;
    }
  };
  const titled = (items: Array<{ id: number; title?: string | null }>, what: string) =>
    items.map((i) => ({ id: i.id, title: i.title?.trim() || `${what} ${i.id}` }));
  const [ticketFields, personFields, organizationFields, slas, priorities] = await Promise.all([
    read("ticketFields", async () => (await client.listCustomFields("ticket")).map(summary)),
    read("personFields", async () => (await client.listCustomFields("person")).map(summary)),
    read("organizationFields", async () => (await client.listCustomFields("organization")).map(summary)),
    read("slas", async () => titled(await client.listSlas(), "SLA")),
    read("priorities", async () => titled(await client.listTicketPriorities(), "Priority")),
  ]);
  return { ticketFields, personFields, organizationFields, slas, priorities, unavailable: unavailable.sort() };
}

const refusedOrDown = (error: unknown, what: string): never => {
  if (error instanceof DeskproError && error.permanent && !(error instanceof DeskproOverLimit)) {
    throw new DeskproRefused(`Deskpro refused to ${what} (${error.status}). Pick an existing field and its options from the lists instead.`);
  }
  if (error instanceof DeskproError) throw deskproProblem(error);
  throw error;
};

/** Which of the field's options shows which tier: by the title the tier's price calls for. */
function optionsForTiers(field: DeskproCustomField, tiers: Array<{ key: string; label: string; price: number }>) {
  return tiers.flatMap((tier) => {
    const choice = field.choices.find((c) => sameLabel(c.title, tierOptionLabel(tier)));
    return choice ? [{ tier: tier.key, optionId: choice.id, title: choice.title }] : [];
  });
}

/**
 * Makes the portal's tier field in Deskpro, one option per tier titled with its price, and saves
 * which option picks which tier. A tier field the settings already name and Deskpro still has, or
 * else a ticket field Deskpro has with the title asked for, is answered as it is, so pressing the
 * button twice makes one field, even when the first press lost Deskpro's answer.
 */
export async function createTierField(
  ledger: LedgerContext,
  tenantId: string,
  clients: DeskproClientFactory,
  request: { title: string },
): Promise<TierFieldCreated> {
  const client = await clientFor(ledger.db, tenantId, clients);
  const loaded = await core.loadConfig(ledger.db, tenantId);
  const { config } = loaded;
  const { settings } = await portalStore.getPortalSettings(ledger.db, tenantId);
  let field: DeskproCustomField | null = null;
  if (settings.tierFieldId !== null) field = await existingField(client, settings.tierFieldId);
  field ??= await fieldTitled(client, request.title, config.tiers);
  if (field === null) {
    let made: DeskproCustomField | null = null;
    try {
      made = await client.createChoiceTicketField({ title: request.title, choices: config.tiers.map(tierOptionLabel) });
      // An answer without the options (an older helpdesk): read the field back.
      if (made !== null && made.choices.length === 0) made = await client.getTicketCustomField(made.id);
    } catch (error) {
      refusedOrDown(error, "create the field");
    }
    // Answered 201 with no body (Deskpro sends the field only with ?follow_location=1): find it by its title.
    field = made ?? (await fieldTitled(client, request.title, config.tiers));
    if (field === null) {
      throw new DeskproRefused(`Deskpro accepted the field "${request.title}" but does not list it. Reload the lists and pick it, or press again.`);
    }
  }
  const prioritiesSet = await givePaidTiersPriorities(ledger, tenantId, client, loaded.config, loaded.version);
  const options = optionsForTiers(field, config.tiers);
  await portalStore.putPortalSettings(
    ledger.db,
    tenantId,
    { ...settings, tierFieldId: field.id, tierOptions: options.map((o) => ({ tier: o.tier, optionId: o.optionId, title: null })) },
    ledger.clock(),
  );
  return { fieldId: field.id, options, prioritiesSet };
}

/**
 * The ticket field titled so (case and spaces aside), of several the one whose options show the
 * most tiers, then the oldest; null when Deskpro has none.
 */
async function fieldTitled(
  client: DeskproClient,
  title: string,
  tiers: Array<{ key: string; label: string; price: number }>,
): Promise<DeskproCustomField | null> {
  let fields: DeskproCustomField[];
  try {
    fields = await client.listCustomFields("ticket");
  } catch (error) {
    return refusedOrDown(error, "list the ticket fields");
  }
  const wanted = title.trim().replace(/\s+/g, " ").toLowerCase();
  const titled = fields
    .filter((f) => (f.title ?? "").trim().replace(/\s+/g, " ").toLowerCase() === wanted)
    .sort((a, b) => optionsForTiers(b, tiers).length - optionsForTiers(a, tiers).length || a.id - b.id);
  const found = titled[0];
  if (!found) return null;
  return found.choices.length > 0 ? found : client.getTicketCustomField(found.id);
}

/**
 * A paid tier that sets no priority changes nothing agents see. Paid tiers without one get one
 * from Deskpro's list: the fastest tier the most urgent priority, the next the one below, and so
 * on (Deskpro ranks priorities by their `priority` number, higher is more urgent). An admin's
 * choice is never replaced; a list Deskpro won't give, or a configuration saved meanwhile, leaves
 * things as they are (the guide then says which tiers set none).
 */
async function givePaidTiersPriorities(
  ledger: LedgerContext,
  tenantId: string,
  client: DeskproClient,
  config: LedgerConfig,
  version: number | null,
): Promise<TierFieldCreated["prioritiesSet"]> {
  const paid = config.tiers.filter((t) => t.price > 0).sort((a, b) => (a.responseMinutes ?? Infinity) - (b.responseMinutes ?? Infinity));
  if (paid.every((t) => t.deskproPriorityId !== null)) return [];
  let listed: Array<{ id: number; title: string; rank: number }>;
  try {
    listed = (await client.listTicketPriorities()).map((p) => {
      const rank = (p as { priority?: unknown }).priority;
      return { id: p.id, title: p.title?.trim() || `Priority ${p.id}`, rank: typeof rank === "number" ? rank : 0 };
    });
  } catch (error) {
    if (error instanceof DeskproError) return [];
    throw error;
  }
  if (listed.length === 0) return [];
  const byUrgency = [...listed].sort((a, b) => b.rank - a.rank);
  const chosen = new Map(paid.map((t, i) => [t.key, byUrgency[Math.min(i, byUrgency.length - 1)]!]));
  const given: TierFieldCreated["prioritiesSet"] = [];
  const tiers = config.tiers.map((t) => {
    const pick = t.price > 0 && t.deskproPriorityId === null ? chosen.get(t.key) : undefined;
    if (!pick) return t;
    given.push({ tier: t.key, priorityId: pick.id, title: pick.title });
    return { ...t, deskproPriorityId: pick.id };
  });
  try {
    await core.putConfig(ledger, tenantId, { ...config, tiers }, version);
  } catch (error) {
    if (error instanceof VersionConflict) return [];
    throw error;
  }
  return given;
}

async function existingField(client: DeskproClient, fieldId: number): Promise<DeskproCustomField | null> {
  try {
    return await client.getTicketCustomField(fieldId);
  } catch (error) {
    if (error instanceof DeskproError && error.status === 404) return null;
    return refusedOrDown(error, "read the field");
  }
}

/** A new secret for the triggers' web hooks, answered once; the previous one stops working. */
export async function issueWebhookSecret(ledger: LedgerContext, tenantId: string, outbound: OutboundPolicy): Promise<string> {
  const connection = await getConnection(ledger.db, tenantId);
  if (connection.url === null) throw new DeskproNotConnected();
  const webhookSecret = randomBytes(32).toString("base64url");
  await putConnection(ledger.db, tenantId, { url: connection.url, webhookSecret }, ledger.clock(), outbound);
  return webhookSecret;
}

/** The three web hook actions an admin sets up in Deskpro, with every value to copy but the secret. */
export function webhookActions(ledgerBase: string, tenantId: string): WebhookAction[] {
  const headers = [
    { name: "X-Credits-Webhook-Secret", value: null },
    { name: "X-Deskpro-Ticket-Id", value: "{{ ticket.id }}" },
  ];
  const url = (event: string) => `${ledgerBase}/hooks/deskpro/${tenantId}/${event}`;
  return [
    {
      event: "ticket-created",
      where: "Admin → Business Rules → Triggers → New Ticket: add a trigger",
      when: "a ticket is created by a user on the portal",
      method: "POST",
      url: url("ticket-created"),
      headers,
    },
    {
      event: "ticket-updated",
      where: "Admin → Business Rules → Triggers → Ticket Updated: add a trigger",
      when: "the ticket's status, priority or the tier field changes",
      method: "POST",
      url: url("ticket-updated"),
      headers,
    },
    {
      event: "sla-failed",
      where: "Admin → Business Rules → SLAs → each SLA with a response target: its fail actions",
      when: "the SLA fails",
      method: "POST",
      url: url("sla-failed"),
      headers,
    },
  ];
}

/** A web hook's event as an admin says it. */
const HOOK_WORDS: Record<string, string> = { "ticket.created": "Ticket created", "ticket.updated": "Ticket updated", "sla.failed": "SLA failed" };

/** The setup page's state: the web hook actions and what the ledger has seen working. */
export async function portalSetup(ledger: LedgerContext, tenantId: string, clients: DeskproClientFactory, ledgerBase: string): Promise<PortalSetup> {
  const connection = await getConnection(ledger.db, tenantId);
  const { settings } = await portalStore.getPortalSettings(ledger.db, tenantId);
  const { config } = await core.loadConfig(ledger.db, tenantId);
  const pending = { done: false, detail: null, at: null, ticketId: null };
  const connected = connection.url !== null && connection.apiKeySet;

  let fieldFound: PortalSetup["checklist"]["fieldFound"] = pending;
  if (connected && settings.tierFieldId !== null) {
    try {
      const field = await (await clientFor(ledger.db, tenantId, clients)).getTicketCustomField(settings.tierFieldId);
      const paid = config.tiers.filter((t) => t.price > 0);
      const mapped = paid.filter((t) => settings.tierOptions.some((o) => o.tier === t.key && field.choices.some((c) => c.id === o.optionId)));
      const title = field.title ?? `Field ${field.id}`;
      const missing = paid.filter((t) => !mapped.includes(t));
      fieldFound = {
        done: missing.length === 0,
        // The next step, named: which tier has no option, and the title its option needs.
        detail:
          missing.length === 0
            ? `${title}: ${mapped.length} of ${paid.length} paid tiers have an option`
            : `${title}: no option yet for ${missing.map((t) => `${t.label} (add one titled “${tierOptionLabel(t)}”)`).join(", ")}. Add ${missing.length === 1 ? "it" : "them"} in Admin → Tickets → Fields, then press Find the new options.`,
        at: null,
        ticketId: null,
      };
    } catch (error) {
      if (!(error instanceof DeskproError)) throw error;
      const why = error instanceof DeskproOverLimit ? error.message : (error.status ?? "no answer");
      fieldFound = { ...pending, detail: `Deskpro did not give field ${settings.tierFieldId} (${why})` };
    }
  }
  const hook = await activity.lastHook(ledger.db, tenantId);
  const priority = await activity.lastPriorityWritten(ledger.db, tenantId);
  return {
    tenantId,
    tierFieldId: settings.tierFieldId,
    webhookSecretSet: connection.webhookSecretSet,
    actions: webhookActions(ledgerBase, tenantId),
    checklist: {
      connected: { done: connected, detail: connection.url, at: connection.updatedAt, ticketId: null },
      fieldFound,
      webhookReceived: hook
        ? { done: true, detail: HOOK_WORDS[hook.event] ?? hook.event, at: hook.at.toISOString(), ticketId: hook.ticketId }
        : { ...pending, detail: "No web hook yet: submit a ticket on the portal" },
      priorityWritten: priority
        ? { done: true, detail: null, at: priority.at.toISOString(), ticketId: priority.ticketId }
        : { ...pending, detail: "No priority written back yet" },
    },
  };
}
