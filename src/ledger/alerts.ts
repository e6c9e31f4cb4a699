/**
 * Low-balance alerts. A write that changes a bank's balance calls `evaluateAlerts` in its own
 * transaction: levels crossed downwards fire once and are remembered on the bank; recovering above
 * them re-arms them. What an alert sends leaves through the outbox, so it is retried and never
 * doubled: a customer message on the ticket that caused it (else their newest open ticket), an
 * agent note, and outgoing webhooks signed in the Standard Webhooks format.
 */
import { Webhook } from "standardwebhooks";
import { z } from "zod";
import { AlertSettingsInput, BankProfile, type AlertSettings, type LedgerConfig, type Plan } from "../contract/index.js";
import { alertLevelsFor, alertTransitions, parseAlertLevels, thresholdsInCredits, type AlertEventType } from "./domain/alerts.js";
import { creditsLostAtExpiry, resolvePlan } from "./domain/plans.js";
import { newId } from "./ids.js";
import { DeskproNotConnected } from "./integrations/deskpro/connection.js";
import { firstNameOf, OPEN_STATUSES } from "./integrations/deskpro/schemas.js";
import { deliverDeskproMessage, messageMarker } from "./integrations/deskpro/writes.js";
import { renderTemplate } from "./message-template.js";
import type { DeliveryContext, OutboxHandler } from "./outbox.js";
import { buyLinkFor, loadPortalSettings } from "./portal.js";
import { openSecret, sealSecret } from "./secrets.js";
import type { Database, Sql } from "./storage/db.js";
import * as outbox from "./storage/outbox.js";
import * as repo from "./storage/repo.js";

const StoredSettings = AlertSettingsInput.extend({
  webhooks: z.array(z.object({ id: z.string(), url: z.string(), secretCiphertext: z.string().nullable() })).default([]),
});
type StoredSettings = z.infer<typeof StoredSettings>;
const binding = (tenantId: string, id: string) => `${tenantId}:alerts.webhook.${id}`;

export async function loadAlertSettings(sql: Sql, tenantId: string): Promise<StoredSettings> {
  return StoredSettings.parse((await repo.getAlertSettings(sql, tenantId)) ?? {});
}

export const alertSettingsView = (s: StoredSettings): AlertSettings => ({
  ...s,
  webhooks: s.webhooks.map((w) => ({ id: w.id, url: w.url, secretSet: w.secretCiphertext !== null })),
});

export async function saveAlertSettings(sql: Sql, tenantId: string, input: z.infer<typeof AlertSettingsInput>, now: Date): Promise<AlertSettings> {
  const current = await loadAlertSettings(sql, tenantId);
  const stored: StoredSettings = {
    ...input,
    webhooks: input.webhooks.map((w) => ({
      id: w.id,
      url: w.url,
      secretCiphertext: w.secret ? sealSecret(w.secret, binding(tenantId, w.id)) : (current.webhooks.find((c) => c.id === w.id && c.url === w.url)?.secretCiphertext ?? null),
    })),
  };
  await repo.putAlertSettings(sql, tenantId, stored, now);
  return alertSettingsView(stored);
}

export interface AlertCause {
  tenantId: string;
  wallet: repo.WalletRow;
  config: LedgerConfig;
  plan: Plan | null;
  balance: number;
  /** The entry that moved the balance, and its ticket (where the customer is told). */
  entryId: string;
  ticketId: string | null;
  now: Date;
}

interface AlertPayload {
  owner: string;
  type: AlertEventType;
  level: number;
  balance: number;
  ticketId: string | null;
  at: string;
  /** credits.expiring only: the grant, what is left of it and when it expires. */
  grantId?: string;
  credits?: number;
  expiresAt?: string;
}

/** Fires what the new balance crosses and queues its deliveries. Call inside the write's transaction, with the bank locked. */
export async function evaluateAlerts(tx: Sql, cause: AlertCause): Promise<void> {
  const { wallet, config, plan, tenantId, now } = cause;
  const thresholds = thresholdsInCredits(alertLevelsFor(parseAlertLevels(wallet.alertLevels), plan, config.alerts.levels).levels, plan);
  const { events, fired } = alertTransitions(thresholds, wallet.alertFired, cause.balance);
  if (fired.join(",") !== wallet.alertFired.join(",")) {
    await repo.setAlertFired(tx, tenantId, wallet.owner, fired);
    wallet.alertFired = fired;
  }
  if (events.length === 0) return;
  const settings = await loadAlertSettings(tx, tenantId);
  for (const event of events) {
    const payload: AlertPayload = { owner: wallet.owner, type: event.type, level: event.level, balance: cause.balance, ticketId: cause.ticketId, at: now.toISOString() };
    const key = `alert:${wallet.owner}:${event.type}:${event.level}:${cause.entryId}`;
    await outbox.enqueue(tx, { id: newId("obx", now), tenantId, kind: "alert.deskpro", dedupeKey: key, payload, now });
    for (const hook of settings.webhooks) {
      await outbox.enqueue(tx, { id: newId("obx", now), tenantId, kind: "alert.webhook", dedupeKey: `${key}:${hook.id}`, payload: { ...payload, webhookId: hook.id }, now });
    }
  }
}

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
    const page = await repo.grantsExpiringBetween(sql, tenantId, now, until, after, 500);
    if (page.length === 0) return queued;
    for (const grant of page) {
      const wallet = await repo.findWallet(sql, tenantId, grant.owner);
      const plan = resolvePlan(config, wallet?.planKey ?? null, BankProfile.safeParse(wallet?.profile).data ?? null).plan;
      // Credits that will roll over aren't lost: only the rest is announced, and nothing if none.
      const lost = creditsLostAtExpiry(grant, plan);
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
        expiresAt: grant.expiresAt.toISOString(),
      };
      const key = `alert:${grant.owner}:credits.expiring:${grant.id}`;
      await sql.transaction(async (tx: Sql) => {
        const id = newId("obx", now);
        if ((await outbox.enqueue(tx, { id, tenantId, kind: "alert.deskpro", dedupeKey: key, payload, now })) !== id) return; // told already
        queued++;
        for (const hook of settings.webhooks) {
          await outbox.enqueue(tx, { id: newId("obx", now), tenantId, kind: "alert.webhook", dedupeKey: `${key}:${hook.id}`, payload: { ...payload, webhookId: hook.id }, now });
        }
      });
    }
    after = page[page.length - 1]!.id;
  }
}

const longDate = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });

/** Where an alert is told: the ticket, and its requester when the ticket was read to find it. */
interface AlertTicket {
  id: string;
  personId?: number | null;
}

/** The customer's first name for {name}: the person bank's own person, else the ticket's requester. */
async function customerName(context: DeliveryContext, owner: string, ticket: AlertTicket): Promise<string> {
  const client = await context.deskpro();
  const personId = owner.startsWith("person:") ? owner.slice("person:".length) : (ticket.personId !== undefined ? ticket.personId : (await client.getTicket(ticket.id)).person);
  if (personId === null) return "";
  return firstNameOf(await client.getPerson(personId)) ?? "";
}

/** The ticket to tell: the one whose charge crossed the level, else the customer's newest open ticket. */
async function ticketFor(context: DeliveryContext, payload: AlertPayload): Promise<AlertTicket | null> {
  if (payload.ticketId) return { id: payload.ticketId };
  const [type, id] = payload.owner.split(":") as ["org" | "person", string];
  const client = await context.deskpro();
  const open = (await client.listTicketsOf({ type, id })).filter((t) => OPEN_STATUSES.has(t.status));
  return open[0] ? { id: String(open[0].id), personId: open[0].person } : null;
}

const deliverToDeskpro: OutboxHandler = async (raw, context, row) => {
  const payload = raw as AlertPayload;
  const settings = await loadAlertSettings(context.ledger.db, context.tenantId);
  let ticket: AlertTicket | null;
  try {
    ticket = await ticketFor(context, payload);
  } catch (error) {
    if (error instanceof DeskproNotConnected) return; // no helpdesk to tell: the sidebar still shows it
    throw error;
  }
  if (!ticket) return;
  const ticketId = ticket.id;
  const words = { "balance.low": "running low", "balance.depleted": "empty", "balance.recovered": "topped up", "credits.expiring": "expiring" }[payload.type];
  const customerTemplate = !settings.messageCustomers
    ? null
    : { "balance.low": settings.lowMessage, "balance.depleted": settings.depletedMessage, "balance.recovered": null, "credits.expiring": settings.expiringMessage }[payload.type];
  const wantsName = [customerTemplate, settings.agentNote].some((t) => t?.includes("{name}"));
  const values = {
    event: words,
    balance: payload.balance,
    level: payload.level,
    credits: payload.credits ?? "",
    date: payload.expiresAt ? longDate.format(new Date(payload.expiresAt)) : "",
    name: wantsName ? await customerName(context, payload.owner, ticket) : "",
    // The bank's own page when the ledger has a public address, else the portal settings' buy URL.
    link: buyLinkFor(context.tenantId, payload.owner, context.now, (await loadPortalSettings(context.ledger.db, context.tenantId)).settings.buyUrl) ?? "",
    ticket: ticketId,
  };
  await deliverDeskproMessage({ ticketId, html: renderTemplate(settings.agentNote, values), note: true, marker: messageMarker(`${context.tenantId}|${row.dedupeKey}|note`) }, context);
  if (customerTemplate) {
    await deliverDeskproMessage({ ticketId, html: renderTemplate(customerTemplate, values), note: false, marker: messageMarker(`${context.tenantId}|${row.dedupeKey}|customer`) }, context);
  }
};

/** Posts one alert to one endpoint, signed with the Standard Webhooks library. */
export async function sendAlertWebhook(
  context: Pick<DeliveryContext, "tenantId" | "options">,
  hook: StoredSettings["webhooks"][number],
  messageId: string,
  body: Record<string, unknown>,
  at: Date,
): Promise<Response> {
  if (!hook.secretCiphertext) throw new Error(`webhook ${hook.id} has no signing secret`);
  const signer = new Webhook(openSecret(hook.secretCiphertext, binding(context.tenantId, hook.id)));
  const text = JSON.stringify(body);
  const signature = signer.sign(messageId, at, text);
  return (context.options.fetch ?? fetch)(hook.url, {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": messageId, "webhook-timestamp": String(Math.floor(at.getTime() / 1000)), "webhook-signature": signature },
    body: text,
    signal: AbortSignal.timeout(10_000),
    redirect: "error",
  });
}

const deliverWebhook: OutboxHandler = async (raw, context, row) => {
  const { webhookId, ...payload } = raw as AlertPayload & { webhookId: string };
  const settings = await loadAlertSettings(context.ledger.db, context.tenantId);
  const hook = settings.webhooks.find((w) => w.id === webhookId);
  if (!hook) return; // the endpoint was removed since
  // The outbox row id is the message id: a retry is recognisably the same message.
  // Signed at wall-clock time: receivers check a signature's freshness against their own clocks.
  const response = await sendAlertWebhook(context, hook, row.id, { type: payload.type, timestamp: payload.at, data: payload }, new Date());
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) throw new Error(`the endpoint answered ${response.status}`);
};

export const alertHandlers: Record<string, OutboxHandler> = {
  "alert.deskpro": deliverToDeskpro,
  "alert.webhook": deliverWebhook,
};

