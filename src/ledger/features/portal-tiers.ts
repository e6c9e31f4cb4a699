/**
 * Paid response tiers from the portal form. Deskpro's triggers call the ledger's webhooks; each
 * call queues a job (one per ticket, coalesced) in the outbox and answers at once. The job reads
 * the ticket from Deskpro, decides what changed, and writes the charge or refund together with
 * the portal ticket's state and the write-backs (priority, agent note, customer message) in one
 * transaction. Every step is idempotent, so a redelivered webhook or a retried job changes nothing twice.
 */
import { z } from "zod";
import type { LedgerConfig, Tier } from "../../contract/config.js";
import type { WriteResult } from "../../contract/ledger.js";
import type { PortalEvent, PortalSettings, PortalTicket, PortalTierLabels } from "../../contract/portal.js";
import type { Idempotency, LedgerContext } from "../core/context.js";
import { AlreadyReversed, InsufficientCredits, InvalidRequest, NotFound, TierAlreadyCharged, TierNotOffered } from "../core/errors.js";
import { enqueueJob, handle, outboxKind, type DeliveryContext, type OutboxHandler } from "../core/outbox.js";
import * as core from "../core/wallets.js";
import { payingOrganisation } from "../domain/payer.js";
import { decidePortalChange, fallbackTier, tierFromFieldValues } from "../domain/portal.js";
import { findTier } from "../domain/pricing.js";
import { chargeablePrice, priceInLabel, sameLabel, tierOptionLabel } from "../domain/tier-labels.js";
import { DeskproError, type DeskproClient } from "../integrations/deskpro/client.js";
import { clientFor, deskproForDelivery, type DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { chosenOptionTitle, customFieldValues, firstNameOf, type DeskproCustomField, type DeskproTicket } from "../integrations/deskpro/schemas.js";
import { isCancelled } from "../integrations/deskpro/statuses.js";
import { enqueueMessage, enqueuePriority } from "../integrations/deskpro/writes.js";
import type { Sql } from "../storage/db.js";
import * as entries from "../storage/entries.js";
import * as outbox from "../storage/outbox.js";
import * as activity from "../storage/portal-activity.js";
import * as store from "../storage/portal-tiers.js";
import { buyLinkFor } from "./customer-links.js";
import { renderTemplate } from "./message-template.js";
import { askBeforeOverage } from "./overage.js";
import { deskproProblem, refreshWalletProfile, ticketSlaIds } from "./wallet-facts.js";

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export const loadPortalSettings = (sql: Sql, tenantId: string) => store.getPortalSettings(sql, tenantId);

export async function savePortalSettings(
  ledger: LedgerContext,
  tenantId: string,
  input: PortalSettings,
): Promise<{ settings: PortalSettings; updatedAt: Date }> {
  const { config } = await core.loadConfig(ledger.db, tenantId);
  const errors: { path: string; message: string }[] = [];
  const known = (key: string) => config.tiers.some((t) => t.key === key);
  input.tierOptions.forEach((o: PortalSettings["tierOptions"][number], i: number) => {
    if (!known(o.tier)) errors.push({ path: `body.tierOptions.${i}.tier`, message: `no tier has the key "${o.tier}"` });
    if (o.optionId === null && o.title === null) errors.push({ path: `body.tierOptions.${i}`, message: "give the option's id or its title" });
  });
  if (input.fallbackTier !== null && !known(input.fallbackTier))
    errors.push({ path: "body.fallbackTier", message: `no tier has the key "${input.fallbackTier}"` });
  if (errors.length > 0) throw new InvalidRequest(`The portal settings are invalid: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors);
  const now = ledger.clock();
  await store.putPortalSettings(ledger.db, tenantId, input, now);
  return { settings: input, updatedAt: now };
}

/**
 * The portal field's options in Deskpro against the titles the tiers' prices call for, for the
 * settings page: the admin pastes each title shown until they all match.
 */
export async function checkTierLabels(ledger: LedgerContext, tenantId: string, clients: DeskproClientFactory): Promise<PortalTierLabels> {
  const { settings } = await loadPortalSettings(ledger.db, tenantId);
  if (settings.tierFieldId === null) return { fieldId: null, fieldTitle: null, options: [], allMatch: true };
  const { config } = await core.loadConfig(ledger.db, tenantId);
  const client = await clientFor(ledger.db, tenantId, clients);
  let field: DeskproCustomField;
  try {
    field = await client.getTicketCustomField(settings.tierFieldId);
  } catch (error) {
    if (error instanceof DeskproError) throw deskproProblem(error);
    throw error;
  }
  const options = settings.tierOptions.flatMap((option) => {
    const tier = findTier(config, option.tier);
    if (!tier) return [];
    const choice = field.choices.find((c) => (option.optionId !== null ? c.id === option.optionId : option.title !== null && sameLabel(c.title, option.title)));
    const label = tierOptionLabel(tier);
    const deskproTitle = choice?.title ?? null;
    return [{ tier: tier.key, optionId: choice?.id ?? option.optionId, label, deskproTitle, matches: deskproTitle !== null && sameLabel(deskproTitle, label) }];
  });
  // A tier with no option yet (added after the field was made) is listed too: the field doesn't show its price.
  const unmapped = config.tiers
    .filter((t) => !options.some((o) => o.tier === t.key))
    .map((t) => ({ tier: t.key, optionId: null, label: tierOptionLabel(t), deskproTitle: null, matches: false }));
  const all = [...options, ...unmapped];
  return { fieldId: field.id, fieldTitle: field.title ?? null, options: all, allMatch: all.every((o) => o.matches) };
}

// ---------------------------------------------------------------------------------------------
// Webhooks in: queue a job and answer
// ---------------------------------------------------------------------------------------------

const PortalJobPayload = z.object({ job: z.enum(["reconcile", "sla"]), ticketId: z.string() });
export type PortalJobPayload = z.infer<typeof PortalJobPayload>;

/** Reads a portal ticket from Deskpro and charges, refunds or writes back what changed; one per ticket, coalesced. */
export const portalJob = outboxKind("portal.job", PortalJobPayload, "helpdesk");

/**
 * Queues the work a Deskpro webhook asks for. Created and updated tickets share one job per
 * ticket (it re-reads the ticket, so a burst of updates is one run); an SLA failure has its own.
 */
export async function queuePortalEvent(ledger: LedgerContext, tenantId: string, event: PortalEvent, ticketId: string): Promise<string> {
  const job: PortalJobPayload["job"] = event === "sla.failed" ? "sla" : "reconcile";
  const now = ledger.clock();
  // For the settings page's setup checklist: a trigger has reached the ledger from a real ticket.
  await activity.recordHook(ledger.db, tenantId, { at: now, event, ticketId });
  return (await enqueueJob(ledger.db, portalJob, { tenantId, dedupeKey: `portal:${job}:${ticketId}`, payload: { job, ticketId }, now, coalesce: true })).id;
}

async function processPortalJob(payload: PortalJobPayload, context: DeliveryContext, deskpro: () => Promise<DeskproClient>): Promise<void> {
  if (payload.job === "sla") await refundMissedSla(context, payload.ticketId, deskpro);
  else await reconcileTicket(context, payload.ticketId, deskpro);
}

/** The outbox kind that runs a portal ticket's job. */
export const portalTierHandlers = (deskproClients: DeskproClientFactory): OutboxHandler[] => [
  handle(portalJob, (payload, context) => processPortalJob(payload, context, () => deskproForDelivery(context, deskproClients))),
];

// ---------------------------------------------------------------------------------------------
// The ticket's state → charges, refunds and write-backs
// ---------------------------------------------------------------------------------------------

interface Job {
  ledger: LedgerContext;
  context: DeliveryContext;
  tenantId: string;
  ticketId: string;
  settings: PortalSettings;
  config: LedgerConfig;
  ticket: DeskproTicket;
  client: DeskproClient;
  personId: number | null;
  /** The ticket's organisation, else (read from Deskpro when needed) the person's primary one. */
  organisations(): Promise<{ ticketOrg: string | null; personOrg: string | null }>;
}

const idempotencyFor = (key: string): Idempotency => ({ scope: "ledger", key, requestHash: `portal:${key}` });

function messageValues(
  job: Pick<Job, "settings" | "ticketId" | "tenantId" | "ledger">,
  values: { tier: Tier | null; tierKey?: string; price?: number; balance: number | null; reason?: string; name?: string | null; owner?: string | null },
) {
  return {
    tier: values.tier?.label ?? values.tierKey ?? "",
    price: values.price ?? values.tier?.price ?? 0,
    balance: values.balance,
    reason: values.reason ?? "",
    name: values.name ?? "",
    // No link to give: the sentence with {link} is left out and the customer is told to reply instead.
    link: buyLinkFor(job.tenantId, values.owner ?? null, job.ledger.clock(), job.settings.buyUrl) ?? "",
    ticket: job.ticketId,
  };
}

async function customerName(client: DeskproClient, personId: number | null, templates: string[]): Promise<string | null> {
  if (personId === null || !templates.some((t) => t.includes("{name}"))) return null;
  return firstNameOf(await client.getPerson(personId));
}

/**
 * A read that only refines the outcome: what Deskpro refuses to show (a 4xx: gone, not allowed for
 * the key, an endpoint an older helpdesk lacks) gives `fallback`; a timeout or 5xx retries the job.
 */
async function unlessRefused<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof DeskproError && !error.retryable) return fallback;
    throw error;
  }
}

/** The organisations a ticket's payer is chosen among: the ticket's, else the person's primary one. */
export function organisationsOf(client: DeskproClient, ticket: DeskproTicket): Job["organisations"] {
  let read: Promise<{ ticketOrg: string | null; personOrg: string | null }> | null = null;
  const person = ticket.person;
  return () =>
    (read ??=
      ticket.organization !== null || person === null
        ? Promise.resolve({ ticketOrg: ticket.organization === null ? null : String(ticket.organization), personOrg: null })
        : unlessRefused(async () => (await client.getPerson(person)).organization, null).then((org) => ({
            ticketOrg: null,
            personOrg: org === null ? null : String(org),
          })));
}

async function refreshFacts(job: Job): Promise<void> {
  const { ledger, tenantId, client, ticket } = job;
  const org = payingOrganisation(await job.organisations());
  const owners = [`person:${ticket.person}`, ...(org !== null ? [`org:${org.id}`] : [])];
  // The ticket's SLAs count for the bank that pays for it: its organisation's, else the person's.
  const slaIds = job.config.planRules.some((r) => r.type === "sla") ? await unlessRefused(() => ticketSlaIds(client, ticket), null) : null;
  const slas = slaIds === null ? null : { owner: owners.at(-1)!, slaIds };
  for (const owner of owners) {
    // A record Deskpro won't show (deleted, no permission) leaves the facts as they were.
    await unlessRefused(() => refreshWalletProfile(ledger, tenantId, owner, client, slas), null);
  }
}

/** What the customer was shown for the option they picked: the price in its title (null: none shown, or unknown). */
async function shownPrice(job: Job, picked: number | string): Promise<number | null> {
  const fieldId = job.settings.tierFieldId!;
  let title = typeof picked === "string" ? picked : chosenOptionTitle(job.ticket, fieldId, picked);
  if (title === null && typeof picked === "number") {
    const field = await unlessRefused(() => job.context.perTenant(`deskpro.field.${fieldId}`, () => job.client.getTicketCustomField(fieldId)), null);
    title = field?.choices.find((c) => c.id === picked)?.title ?? null;
  }
  return title === null ? null : priceInLabel(title);
}

async function reconcileTicket(context: DeliveryContext, ticketId: string, deskpro: () => Promise<DeskproClient>): Promise<void> {
  const { ledger, tenantId } = context;
  const { settings } = await loadPortalSettings(ledger.db, tenantId);
  if (settings.tierFieldId === null) return; // the portal flow is off
  const { config } = await core.loadConfig(ledger.db, tenantId);
  const client = await deskpro();
  const ticket = await client.getTicket(ticketId);
  if (ticket.person === null) return; // no customer to charge
  const job: Job = {
    ledger,
    context,
    tenantId,
    ticketId,
    settings,
    config,
    ticket,
    client,
    personId: ticket.person,
    organisations: organisationsOf(client, ticket),
  };

  const picked = tierFromFieldValues(customFieldValues(ticket, settings.tierFieldId), settings.tierOptions, config.tiers);
  const fieldTier = picked?.tier ?? null;
  const seen = await store.lockPortalTicket(ledger.db, tenantId, ticketId);
  // A new ticket is when the plan rules learn what Deskpro knows of its customer (fields chosen at
  // registration, the organisation's membership level, the ticket's SLAs), before a fee is priced.
  if (!seen && config.planRules.length > 0) await refreshFacts(job);
  const active = await entries.activePriorityCharge(ledger.db, tenantId, ticketId);
  const decision = decidePortalChange(
    seen,
    {
      fieldTier,
      priorityId: ticket.priority,
      // Spam and Deleted are hidden status records: read the helpdesk's records once per drain.
      cancelled: await isCancelled(ticket, () => unlessRefused(() => context.perTenant("deskpro.ticket_statuses", () => client.listTicketStatuses()), [])),
      priorityWritePending: await outbox.hasPendingPriorityWrite(ledger.db, tenantId, ticketId),
    },
    config.tiers,
    active?.tier ?? null,
  );
  const lastSeen = { lastFieldTier: fieldTier, lastPriorityId: ticket.priority };
  const base = {
    ticketId,
    owner: seen?.owner ?? null,
    requestedTier: seen?.requestedTier ?? null,
    chargedTier: active?.tier ?? null,
    chargeEntryId: active?.id ?? null,
  };

  if (decision.kind === "unchanged") {
    if (seen && seen.lastPriorityId !== ticket.priority) await saveState(job, { ...base, outcome: seen.outcome, ...lastSeen });
    return;
  }
  if (decision.kind === "cancel") {
    if (active) await refund(job, active, "ticket cancelled", { ...lastSeen, outcome: "cancelled", tellCustomer: false });
    else if (seen?.outcome !== "cancelled") await saveState(job, { ...base, outcome: "cancelled", ...lastSeen });
    return;
  }

  const wanted = decision.tier === null ? null : (findTier(config, decision.tier) ?? null);
  if (active && wanted && active.tier === wanted.key) {
    await saveState(job, { ...base, requestedTier: wanted.key, outcome: "charged", ...lastSeen });
    return;
  }
  // A customer's own choice costs what its option's title showed them, never more.
  const shown = wanted !== null && wanted.price > 0 && decision.source === "field" && picked !== null ? await shownPrice(job, picked.value) : null;
  const price = wanted === null ? 0 : chargeablePrice(wanted.price, shown);
  if (wanted === null || price === 0) {
    // No tier, a free one, or one the form showed as free: whatever was charged comes back; the tier's priority is set.
    const priorityId = decision.source === "field" && wanted?.deskproPriorityId != null ? wanted.deskproPriorityId : ticket.priority;
    const outcome = wanted ? "free" : "none";
    if (active) {
      await refund(job, active, wanted ? `changed to ${wanted.label}` : "tier removed", {
        lastFieldTier: fieldTier,
        lastPriorityId: priorityId,
        outcome,
        requestedTier: wanted?.key ?? null,
        setPriority: priorityId !== ticket.priority ? priorityId : null,
      });
    } else {
      await inTransaction(job, async (tx, now) => {
        await saveStateIn(tx, job, { ...base, requestedTier: wanted?.key ?? null, outcome, lastFieldTier: fieldTier, lastPriorityId: priorityId }, now);
        if (priorityId !== null && priorityId !== ticket.priority)
          await enqueuePriority(tx, tenantId, `portal:${ticketId}:free-priority:${wanted!.key}:${seenStamp(seen)}`, { ticketId, priorityId }, now);
      });
    }
    return;
  }

  // A paid tier: a different charge comes back first (the difference is what moves), then this one is charged.
  if (active) await refund(job, active, `changed to ${wanted.label}`, { keepSeen: seen, outcome: "refunded", tellCustomer: false });
  await charge(job, { tier: wanted, price, shown }, decision.source, fieldTier, active?.id ?? null, seen);
}

/** A tier to charge, at what price, and the price its option's title showed (null: none shown). */
interface Priced {
  tier: Tier;
  price: number;
  shown: number | null;
}

const seenStamp = (seen: store.PortalTicketRow | null) => (seen ? String(seen.updatedAt.getTime()) : "new");

async function charge(
  job: Job,
  priced: Priced,
  source: "field" | "priority",
  fieldTier: string | null,
  replacedEntryId: string | null,
  seen: store.PortalTicketRow | null,
): Promise<void> {
  const { ledger, tenantId, ticketId, ticket, settings } = job;
  const { tier, price, shown } = priced;
  const payer = await core.getTicketPayer(ledger, tenantId, ticketId, String(ticket.person), await job.organisations());
  const setPriority = source === "field" && tier.deskproPriorityId !== null && tier.deskproPriorityId !== ticket.priority ? tier.deskproPriorityId : null;
  const belowPrice = price < tier.price;
  try {
    await core.debitCredits(
      ledger,
      tenantId,
      payer.owner,
      { kind: "priority", tier: tier.key, ticketId, reason: `${tier.label} (chosen on the portal${belowPrice ? ", at the price the form showed" : ""})` },
      idempotencyFor(`portal:${ticketId}:charge:${tier.key}:${replacedEntryId ?? "first"}`),
      {
        priceAtMost: price,
        alsoInTransaction: async (tx, result, now) => {
          await saveStateIn(
            tx,
            job,
            {
              ticketId,
              owner: payer.owner,
              requestedTier: tier.key,
              chargedTier: tier.key,
              chargeEntryId: result.entry.id,
              outcome: "charged",
              lastFieldTier: fieldTier,
              lastPriorityId: setPriority ?? ticket.priority,
            },
            now,
          );
          if (setPriority !== null)
            await enqueuePriority(tx, tenantId, `portal:${ticketId}:priority:${result.entry.id}`, { ticketId, priorityId: setPriority }, now);
          let note = renderTemplate(settings.messages.charged, messageValues(job, { tier, price, balance: result.balance }));
          if (belowPrice)
            note += `<p>The portal form showed ${shown} credits; the tier costs ${tier.price} now. Give the option the title shown on the app's settings page.</p>`;
          await enqueueMessage(tx, tenantId, `portal:${ticketId}:charged-note:${result.entry.id}`, { ticketId, html: note, note: true }, now);
        },
      },
    );
  } catch (error) {
    if (error instanceof TierAlreadyCharged) return; // charged by a concurrent run
    if (error instanceof InsufficientCredits)
      await notCharged(job, priced, source, fieldTier, seen, payer.owner, error.balance, "insufficient_credits", error.available);
    else if (error instanceof TierNotOffered) await notCharged(job, priced, source, fieldTier, seen, payer.owner, payer.wallet.balance, "tier_not_offered");
    else throw error;
  }
}

/**
 * The chosen tier can't be had. Never a silent downgrade: the ticket keeps (or gets) the fallback
 * tier's priority, the customer is told what they chose, its price, their balance and how to buy
 * credits, and agents get a note. An agent's own priority change is left as the agent made it.
 */
async function notCharged(
  job: Job,
  { tier, price }: Priced,
  source: "field" | "priority",
  fieldTier: string | null,
  seen: store.PortalTicketRow | null,
  owner: string,
  balance: number,
  code: "insufficient_credits" | "tier_not_offered",
  available: number | null = null,
): Promise<void> {
  const { tenantId, ticketId, ticket, settings, config, client } = job;
  const fallback = fallbackTier(config.tiers, settings.fallbackTier);
  const priorityId = source === "field" && fallback?.deskproPriorityId != null ? fallback.deskproPriorityId : ticket.priority;
  const template = code === "insufficient_credits" ? settings.messages.unaffordable : settings.messages.notOffered;
  const name = source === "field" ? await customerName(client, ticket.person, [template]) : null;
  const reason = code === "insufficient_credits" ? "not enough credits" : "not part of the plan";
  const stamp = `${tier.key}:${seenStamp(seen)}`;
  await inTransaction(job, async (tx, now) => {
    await saveStateIn(
      tx,
      job,
      {
        ticketId,
        owner,
        requestedTier: tier.key,
        chargedTier: null,
        chargeEntryId: null,
        outcome: code === "insufficient_credits" ? "unaffordable" : "not_offered",
        lastFieldTier: fieldTier,
        lastPriorityId: priorityId,
      },
      now,
    );
    if (priorityId !== null && priorityId !== ticket.priority)
      await enqueuePriority(tx, tenantId, `portal:${ticketId}:fallback-priority:${stamp}`, { ticketId, priorityId }, now);
    if (source === "field") {
      let html = renderTemplate(template, messageValues(job, { tier, price, balance, name, owner }), {
        withoutLink: "Reply to this ticket if you would like to buy credits.",
      });
      // The customer may approve going past the balance (asked-before-overage), when the admin allows it.
      const dedupeKey = `portal:${ticketId}:not-charged-message:${stamp}`;
      if (available !== null) html += (await askBeforeOverage(tx, { tenantId, ticketId, owner, tier, price, balance, available, dedupeKey, now })) ?? "";
      await enqueueMessage(tx, tenantId, dedupeKey, { ticketId, html, note: false }, now);
    }
    const note = renderTemplate(settings.messages.notCharged, messageValues(job, { tier, price, balance, reason }));
    await enqueueMessage(tx, tenantId, `portal:${ticketId}:not-charged-note:${stamp}`, { ticketId, html: note, note: true }, now);
  });
}

interface RefundOptions {
  outcome: store.PortalOutcome;
  /** Record these as seen (the decision is complete); otherwise `keepSeen`'s values stay (a charge follows). */
  lastFieldTier?: string | null;
  lastPriorityId?: number | null;
  keepSeen?: store.PortalTicketRow | null;
  requestedTier?: string | null;
  setPriority?: number | null;
  tellCustomer?: boolean;
}

async function refund(job: Job | SlaJob, active: entries.EntryRow, reason: string, options: RefundOptions): Promise<void> {
  const { ledger, tenantId, ticketId, settings, config } = job;
  const tier = active.tier ? (findTier(config, active.tier) ?? null) : null;
  const price = -active.amount;
  const name = options.tellCustomer && job.client ? await customerName(job.client, job.personId, [settings.messages.slaRefund]) : null;
  try {
    await core.reverseEntry(
      ledger,
      tenantId,
      active.id,
      { reason: `${tier?.label ?? active.tier ?? "Tier"}: ${reason}` },
      idempotencyFor(`portal:${ticketId}:refund:${active.id}`),
      async (tx, result: WriteResult, now) => {
        const seen = options.keepSeen;
        await saveStateIn(
          tx,
          job,
          {
            ticketId,
            owner: active.owner,
            requestedTier: options.requestedTier !== undefined ? options.requestedTier : (seen?.requestedTier ?? active.tier),
            chargedTier: null,
            chargeEntryId: null,
            outcome: options.outcome,
            lastFieldTier: options.lastFieldTier !== undefined ? options.lastFieldTier : (seen?.lastFieldTier ?? null),
            lastPriorityId: options.lastPriorityId !== undefined ? options.lastPriorityId : (seen?.lastPriorityId ?? null),
          },
          now,
        );
        const values = messageValues(job, { tier, tierKey: active.tier ?? "", price, balance: result.balance, reason, name });
        await enqueueMessage(
          tx,
          tenantId,
          `portal:${ticketId}:refund-note:${active.id}`,
          { ticketId, html: renderTemplate(settings.messages.refunded, values), note: true },
          now,
        );
        if (options.tellCustomer) {
          await enqueueMessage(
            tx,
            tenantId,
            `portal:${ticketId}:refund-message:${active.id}`,
            { ticketId, html: renderTemplate(settings.messages.slaRefund, values), note: false },
            now,
          );
        }
        if (options.setPriority != null)
          await enqueuePriority(tx, tenantId, `portal:${ticketId}:priority-after-refund:${active.id}`, { ticketId, priorityId: options.setPriority }, now);
      },
    );
  } catch (error) {
    if (error instanceof AlreadyReversed) return; // refunded by an earlier run
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// SLA failed: the fee comes back
// ---------------------------------------------------------------------------------------------

interface SlaJob {
  ledger: LedgerContext;
  tenantId: string;
  ticketId: string;
  settings: PortalSettings;
  config: LedgerConfig;
  client: DeskproClient | null;
  personId: number | null;
}

async function refundMissedSla(context: DeliveryContext, ticketId: string, deskpro: () => Promise<DeskproClient>): Promise<void> {
  const { ledger, tenantId } = context;
  const active = await entries.activePriorityCharge(ledger.db, tenantId, ticketId);
  if (!active || active.amount === 0) return; // nothing paid, nothing to return
  const { settings } = await loadPortalSettings(ledger.db, tenantId);
  const { config } = await core.loadConfig(ledger.db, tenantId);
  let client: DeskproClient | null = null;
  let personId: number | null = null;
  if (settings.messages.slaRefund.includes("{name}")) {
    client = await deskpro();
    personId = (await client.getTicket(ticketId)).person;
  }
  const seen = await store.lockPortalTicket(ledger.db, tenantId, ticketId);
  await refund({ ledger, tenantId, ticketId, settings, config, client, personId }, active, "response target missed", {
    outcome: "refunded",
    keepSeen: seen,
    tellCustomer: true,
  });
}

// ---------------------------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------------------------

async function inTransaction(job: Pick<Job, "ledger">, work: (tx: Sql, now: Date) => Promise<void>): Promise<void> {
  await job.ledger.db.transaction(async (tx) => work(tx, job.ledger.clock()));
}

async function saveStateIn(tx: Sql, job: Pick<Job, "tenantId" | "ticketId">, row: Omit<store.PortalTicketRow, "updatedAt">, now: Date): Promise<void> {
  await store.lockPortalTicket(tx, job.tenantId, job.ticketId);
  await store.savePortalTicket(tx, job.tenantId, row, now);
}

async function saveState(job: Job, row: Omit<store.PortalTicketRow, "updatedAt">): Promise<void> {
  await inTransaction(job, (tx, now) => saveStateIn(tx, job, row, now));
}

export async function getPortalTicket(ledger: LedgerContext, tenantId: string, ticketId: string): Promise<PortalTicket> {
  const row = await store.lockPortalTicket(ledger.db, tenantId, ticketId);
  if (!row) throw new NotFound(`The ledger has not seen portal ticket ${ticketId}.`);
  return {
    ticketId: row.ticketId,
    owner: row.owner,
    requestedTier: row.requestedTier,
    chargedTier: row.chargedTier,
    chargeEntryId: row.chargeEntryId,
    outcome: row.outcome,
    lastPriorityId: row.lastPriorityId,
    updatedAt: row.updatedAt.toISOString(),
  };
}
