/**
 * Low-balance alerts. `evaluateAlerts` runs after every posting that moves a balance, in its
 * transaction: levels crossed downwards fire once and are remembered on the wallet; recovering above
 * them re-arms them. What an alert sends leaves through the outbox, so it is retried and never
 * doubled: a customer message on the ticket that caused it (else their newest open ticket, else a
 * ticket started to them), an agent note, and outgoing webhooks signed in the Standard Webhooks format.
 */
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import type { AlertSettingsInput } from "../../contract/alerts.js";
import { formatCustomerDate } from "../../contract/words.js";
import { AlertEventData, type AlertEvent, type AlertSettings, type WebhookTestEvent } from "../../contract/alerts.js";
import type { LedgerConfig } from "../../contract/config.js";
import type { AfterPostHook } from "../core/context.js";
import { checkOutboundUrl, type OutboundPolicy } from "../core/outbound.js";
import { enqueueJob, handle, outboxKind, type DeliveryContext, type OutboxHandler } from "../core/outbox.js";
import { planOf } from "../core/posting.js";
import { openSecret, sealSecret } from "../core/secrets.js";
import { alertLevelsFor, alertTransitions, thresholdsInCredits } from "../domain/alerts.js";
import { atExpiry } from "../domain/plans.js";
import type { DeskproClient } from "../integrations/deskpro/client.js";
import type { DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { deskproForDelivery, DeskproNotConnected } from "../integrations/deskpro/connection.js";
import { firstNameOf } from "../integrations/deskpro/schemas.js";
import { isOpenStatus } from "../integrations/deskpro/statuses.js";
import { deliverDeskproMessage, messageMarker, startTicketOnce } from "../integrations/deskpro/writes.js";
import * as alertSettings from "../storage/alert-settings.js";
import type { Database, Sql } from "../storage/db.js";
import * as grants from "../storage/grants.js";
import * as portalTiers from "../storage/portal-tiers.js";
import * as wallets from "../storage/wallets.js";
import { buyLinkFor } from "./customer-links.js";
import { renderTemplate } from "./message-template.js";

type StoredSettings = alertSettings.StoredAlertSettings;
const binding = (tenantId: string, id: string) => `${tenantId}:alerts.webhook.${id}`;

export const loadAlertSettings = (sql: Sql, tenantId: string): Promise<StoredSettings> => alertSettings.getAlertSettings(sql, tenantId);

export const alertSettingsView = (s: StoredSettings): AlertSettings => ({
  ...s,
  webhooks: s.webhooks.map((w) => ({ id: w.id, url: w.url, secretSet: w.secretCiphertext !== null })),
});

export async function saveAlertSettings(
  sql: Sql,
  tenantId: string,
  input: z.infer<typeof AlertSettingsInput>,
  now: Date,
  outbound: OutboundPolicy,
): Promise<AlertSettings> {
  input.webhooks.forEach((w, i) => checkOutboundUrl(w.url, outbound, `body.webhooks.${i}.url`));
  const current = await loadAlertSettings(sql, tenantId);
  const stored: StoredSettings = {
    ...input,
    webhooks: input.webhooks.map((w) => ({
      id: w.id,
      url: w.url,
      secretCiphertext: w.secret
        ? sealSecret(w.secret, binding(tenantId, w.id))
        : (current.webhooks.find((c) => c.id === w.id && c.url === w.url)?.secretCiphertext ?? null),
    })),
  };
  await alertSettings.putAlertSettings(sql, tenantId, stored, now);
  return alertSettingsView(stored);
}

/** An alert as queued and as webhooks receive it in `data`: the contract documents it. */
type AlertPayload = AlertEventData;

/** Tells the customer (a message on their ticket) and the agents (a note) about an alert. */
export const alertDeskproJob = outboxKind("alert.deskpro", AlertEventData, "helpdesk");
/** Posts an alert, signed, to one of the tenant's webhook endpoints. */
export const alertWebhookJob = outboxKind("alert.webhook", AlertEventData.extend({ webhookId: z.string() }), "webhooks");

/** Fires what the new balance crosses and queues its deliveries: the after-post hook of every posting. */
export const evaluateAlerts: AfterPostHook = async (tx, posted) => {
  const { wallet, config, plan, tenantId, now } = posted;
  const thresholds = thresholdsInCredits(alertLevelsFor(wallet.alertLevels, plan, config.alerts.levels).levels, plan);
  const { events, fired } = alertTransitions(thresholds, wallet.alertFired, posted.balance);
  if (fired.join(",") !== wallet.alertFired.join(",")) {
    await wallets.setAlertFired(tx, tenantId, wallet.owner, fired);
    wallet.alertFired = fired;
  }
  if (events.length === 0) return;
  const settings = await loadAlertSettings(tx, tenantId);
  for (const event of events) {
    const payload: AlertPayload = {
      owner: wallet.owner,
      type: event.type,
      level: event.level,
      balance: posted.balance,
      ticketId: posted.ticketId,
      at: now.toISOString(),
    };
    const key = `alert:${wallet.owner}:${event.type}:${event.level}:${posted.entryId}`;
    await enqueueJob(tx, alertDeskproJob, { tenantId, dedupeKey: key, payload, now });
    for (const hook of settings.webhooks) {
      await enqueueJob(tx, alertWebhookJob, { tenantId, dedupeKey: `${key}:${hook.id}`, payload: { ...payload, webhookId: hook.id }, now });
    }
  }
};

/**
 * Queues `credits.expiring` for every grant that still holds credits and expires within the
 * configured days (called by the cron). Each grant is told about once: the outbox's dedupe key
 * is the grant's id, so later runs, or two runs at once, queue nothing new.
 */
export async function queueExpiringNotices(sql: Database, tenantId: string, config: LedgerConfig, now: Date): Promise<number> {
  if (config.alerts.expiringDays === 0) return 0;
  const until = new Date(now.getTime() + config.alerts.expiringDays * 86_400_000);
  const settings = await loadAlertSettings(sql, tenantId);
  let after = "";
  let queued = 0;
  for (;;) {
    const page = await grants.grantsExpiringBetween(sql, tenantId, now, until, after, 500);
    if (page.length === 0) return queued;
    for (const grant of page) {
      const wallet = await wallets.findWallet(sql, tenantId, grant.owner);
      const plan = planOf(config, wallet).plan;
      // Credits that will roll over aren't lost: the rest is announced (with what rolls over), and nothing if none.
      const { lost, rollsOver } = atExpiry(grant, plan)!;
      if (lost === 0) continue;
      const payload: AlertPayload = {
        owner: grant.owner,
        type: "credits.expiring",
        level: 0,
        balance: wallet?.balance ?? 0,
        ticketId: null,
        at: now.toISOString(),
        grantId: grant.id,
        credits: lost,
        rollsOver,
        expiresAt: grant.expiresAt.toISOString(),
      };
      const key = `alert:${grant.owner}:credits.expiring:${grant.id}`;
      await sql.transaction(async (tx: Sql) => {
        if (!(await enqueueJob(tx, alertDeskproJob, { tenantId, dedupeKey: key, payload, now })).added) return; // told already
        queued++;
        for (const hook of settings.webhooks) {
          await enqueueJob(tx, alertWebhookJob, { tenantId, dedupeKey: `${key}:${hook.id}`, payload: { ...payload, webhookId: hook.id }, now });
        }
      });
    }
    after = page[page.length - 1]!.id;
  }
}

/** What a customer message says when there is no buy link to give. */
const REPLY_TO_BUY = "Reply to this message if you would like to buy more credits.";

/** Where an alert is told: the ticket, and its requester when the ticket was read to find it. */
interface AlertTicket {
  id: string;
  personId?: number | null;
}

/** The customer's first name for {name}: the person wallet's own person, else the ticket's requester. */
async function customerName(client: DeskproClient, owner: string, ticket: AlertTicket): Promise<string> {
  const personId = owner.startsWith("person:")
    ? owner.slice("person:".length)
    : ticket.personId !== undefined
      ? ticket.personId
      : (await client.getTicket(ticket.id)).person;
  if (personId === null) return "";
  return firstNameOf(await client.getPerson(personId)) ?? "";
}

/**
 * Where to tell the customer: the ticket whose charge crossed the level, else their newest open
 * ticket; with neither, the person a ticket could be started to (a person bank's own person, an
 * organisation's person of its most recent ticket, null when it has none).
 */
async function ticketFor(client: DeskproClient, payload: AlertPayload): Promise<{ ticket: AlertTicket } | { ticket: null; recipient: number | null }> {
  if (payload.ticketId) return { ticket: { id: payload.ticketId } };
  const [type, id] = payload.owner.split(":") as ["org" | "person", string];
  const tickets = await client.listTicketsOf({ type, id });
  const open = tickets.find((t) => isOpenStatus(t.status));
  if (open) return { ticket: { id: String(open.id), personId: open.person } };
  return { ticket: null, recipient: type === "person" ? Number(id) : (tickets[0]?.person ?? null) };
}

/** What the alert features reach out with: the tenants' helpdesks and the webhook endpoints. */
export interface AlertDeliveryDeps {
  deskproClients: DeskproClientFactory;
  fetch: typeof fetch;
}

async function deliverToDeskpro(payload: AlertPayload, context: DeliveryContext, deps: AlertDeliveryDeps): Promise<void> {
  const settings = await loadAlertSettings(context.ledger.db, context.tenantId);
  let client: DeskproClient;
  try {
    client = await deskproForDelivery(context, deps.deskproClients);
  } catch (error) {
    if (error instanceof DeskproNotConnected) return; // no helpdesk to tell: the sidebar still shows it
    throw error;
  }
  const date = payload.expiresAt ? formatCustomerDate(payload.expiresAt) : "";
  const words = {
    "balance.low": "running low",
    "balance.depleted": "empty",
    "balance.recovered": "topped up",
    "credits.expiring": `expiring (${(payload.credits ?? 0).toLocaleString("en")} on ${date})`,
  }[payload.type];
  const customerTemplate = !settings.messageCustomers
    ? null
    : {
        "balance.low": settings.lowMessage,
        "balance.depleted": settings.depletedMessage,
        "balance.recovered": null,
        "credits.expiring": settings.expiringMessage,
      }[payload.type];
  const wantsName = [customerTemplate, settings.agentNote].some((t) => t?.includes("{name}"));
  // The wallet's own page when the ledger has a public address, else the portal settings' buy URL.
  const link =
    buyLinkFor(context.tenantId, payload.owner, context.now, (await portalTiers.getPortalSettings(context.ledger.db, context.tenantId)).settings.buyUrl) ?? "";
  // Read once: a ticket started to the customer has the same person as the values written for it.
  let name: Promise<string> | null = null;
  const valuesOn = async (ticket: AlertTicket) => ({
    event: words,
    balance: payload.balance,
    // A notice of expiring credits has no alert level: "(alert level {level})" is left out of it.
    level: payload.type === "credits.expiring" ? null : payload.level,
    credits: payload.credits ?? "",
    rollover: payload.rollsOver ? payload.rollsOver : null,
    date,
    name: await (name ??= wantsName ? customerName(client, payload.owner, ticket) : Promise.resolve("")),
    // With no link to give, the sentence with {link} is left out (see renderTemplate).
    link,
    ticket: ticket.id,
  });
  const dedupeKey = context.row.dedupeKey;
  const customerMarker = messageMarker(`${context.tenantId}|${dedupeKey}|customer`);

  const found = await ticketFor(client, payload);
  let ticket: AlertTicket;
  if (found.ticket !== null) ticket = found.ticket;
  else {
    // No open ticket: start one to the customer, so the message reaches them (it is that ticket's first message).
    if (customerTemplate === null || !settings.startTicketWhenNoneOpen || found.recipient === null) return;
    const html = renderTemplate(customerTemplate, await valuesOn({ id: "", personId: found.recipient }), { withoutLink: REPLY_TO_BUY });
    const id = await startTicketOnce(client, { personId: found.recipient, subject: `Support credits ${words}`, html, marker: customerMarker });
    ticket = { id: String(id), personId: found.recipient };
  }
  const values = await valuesOn(ticket);
  await deliverDeskproMessage(
    { ticketId: ticket.id, html: renderTemplate(settings.agentNote, values), note: true, marker: messageMarker(`${context.tenantId}|${dedupeKey}|note`) },
    client,
  );
  if (customerTemplate) {
    await deliverDeskproMessage(
      { ticketId: ticket.id, html: renderTemplate(customerTemplate, values, { withoutLink: REPLY_TO_BUY }), note: false, marker: customerMarker },
      client,
    );
  }
}

/** Posts one alert to one endpoint, signed with the Standard Webhooks library. */
export async function sendAlertWebhook(
  tenantId: string,
  hook: StoredSettings["webhooks"][number],
  messageId: string,
  body: AlertEvent | WebhookTestEvent,
  at: Date,
  doFetch: typeof fetch,
): Promise<Response> {
  if (!hook.secretCiphertext) throw new Error(`webhook ${hook.id} has no signing secret`);
  const signer = new Webhook(openSecret(hook.secretCiphertext, binding(tenantId, hook.id)));
  const text = JSON.stringify(body);
  const signature = signer.sign(messageId, at, text);
  return doFetch(hook.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": messageId,
      "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
      "webhook-signature": signature,
    },
    body: text,
    signal: AbortSignal.timeout(10_000),
    redirect: "error",
  });
}

async function deliverWebhook(raw: AlertPayload & { webhookId: string }, context: DeliveryContext, deps: AlertDeliveryDeps): Promise<void> {
  const { webhookId, ...payload } = raw;
  const settings = await loadAlertSettings(context.ledger.db, context.tenantId);
  const hook = settings.webhooks.find((w) => w.id === webhookId);
  if (!hook) return; // the endpoint was removed since
  // The outbox row id is the message id: a retry is recognisably the same message.
  // Signed at wall-clock time: receivers check a signature's freshness against their own clocks.
  const response = await sendAlertWebhook(
    context.tenantId,
    hook,
    context.row.id,
    { type: payload.type, timestamp: payload.at, data: payload },
    new Date(),
    deps.fetch,
  );
  await response.arrayBuffer().catch(() => undefined);
  // 429 and 5xx say the endpoint is not coping: they count towards the tenant's webhooks breaker.
  if (!response.ok)
    throw Object.assign(new Error(`the endpoint answered ${response.status}`), { retryable: response.status === 429 || response.status >= 500 });
}

/** The outbox kinds that deliver alerts. */
export const alertHandlers = (deps: AlertDeliveryDeps): OutboxHandler[] => [
  handle(alertDeskproJob, (payload, context) => deliverToDeskpro(payload, context, deps)),
  handle(alertWebhookJob, (payload, context) => deliverWebhook(payload, context, deps)),
];
