import { z } from "zod";
import { GrantId, IsoDateTime, Owner, Slug, storable, TicketId, Text } from "./primitives.js";

/** Low-balance alerts: message wording and outgoing webhooks (Standard Webhooks signatures). */

const template = Text(2000);

export const AlertWebhookInput = z
  .strictObject({
    id: Slug,
    url: storable(z.url({ protocol: /^https?$/ }).max(500)),
    /** The signing secret in Standard Webhooks form (whsec_ + base64); left out: keep the stored one. */
    secret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]{24,200}={0,2}$/, "use a Standard Webhooks secret: whsec_ followed by base64 (at least 18 random bytes)")
      .optional(),
  })
  .meta({ id: "AlertWebhookInput" });

export const AlertSettingsInput = z
  .strictObject({
    /**
     * To the customer on the ticket that crossed the level (else their newest open ticket). Placeholders:
     * {name}, {balance}, {level}, {link}. Without a link to give, the sentence with {link} is left out
     * and the customer is asked to reply instead.
     */
    lowMessage: template.default("Hello {name}, your support credits are running low: {balance} credits left. You can top up here: {link}"),
    depletedMessage: template.default("Hello {name}, your support credits have run out. You can top up here: {link}"),
    /**
     * To the customer some days before credits expire (their newest open ticket). Placeholders: {name},
     * {credits} (what will be lost), {rollover} (what carries into the next period; an aside naming it
     * is left out when nothing does), {date}, {balance}, {link}.
     */
    expiringMessage: template.default(
      "Hello {name}, {credits} of your support credits expire unused on {date} ({rollover} more roll over into your next period). Your balance is {balance} credits. Top up or use them here: {link}",
    ),
    /** Internal note for agents. Placeholders: {event}, {balance}, {level}, {credits}, {date}. */
    agentNote: template.default("Support credits {event}: {balance} credits left (alert level {level})."),
    /** Tell customers by message (agents always get the note). */
    messageCustomers: z.boolean().default(true),
    /**
     * When the customer has no open ticket, start one to them through Deskpro's API (agent-initiated,
     * awaiting their reply) so the message still reaches them. For an organisation's bank, the person
     * of its most recent ticket is told.
     */
    startTicketWhenNoneOpen: z.boolean().default(true),
    webhooks: z.array(AlertWebhookInput).max(10).default([]),
  })
  .meta({ id: "AlertSettingsInput" });
export type AlertSettingsInput = z.input<typeof AlertSettingsInput>;

export const AlertSettings = AlertSettingsInput.extend({
  webhooks: z.array(z.object({ id: Slug, url: z.string(), secretSet: z.boolean() })),
}).meta({ id: "AlertSettings" });
export type AlertSettings = z.infer<typeof AlertSettings>;

export const AlertWebhookTest = z.object({ delivered: z.boolean(), status: z.int().nullable(), detail: z.string() }).meta({ id: "AlertWebhookTest" });
export type AlertWebhookTest = z.infer<typeof AlertWebhookTest>;

// ---------------------------------------------------------------------------------------------
// What the ledger posts to the webhook endpoints (signed in the Standard Webhooks format)
// ---------------------------------------------------------------------------------------------

export const AlertEventType = z.enum(["balance.low", "balance.depleted", "balance.recovered", "credits.expiring"]).meta({ id: "AlertEventType" });
export type AlertEventType = z.infer<typeof AlertEventType>;

export const AlertEventData = z
  .object({
    owner: Owner,
    type: AlertEventType,
    /** The level crossed, in credits: 0 for depleted and for credits.expiring; the highest recovered level for recovered. */
    level: z.int(),
    balance: z.int(),
    /** The ticket whose charge crossed the level; null when no ticket caused it (a grant, an expiry, the hourly sweep). */
    ticketId: TicketId.nullable(),
    at: IsoDateTime,
    /** credits.expiring only: the grant, the credits of it that will be lost, those that roll over into the next period, and when. */
    grantId: GrantId.optional(),
    credits: z.int().optional(),
    rollsOver: z.int().optional(),
    expiresAt: IsoDateTime.optional(),
  })
  .meta({ id: "AlertEventData" });
export type AlertEventData = z.infer<typeof AlertEventData>;

export const AlertEvent = z
  .object({ type: AlertEventType, timestamp: IsoDateTime, data: AlertEventData })
  .meta({ id: "AlertEvent", description: "A low-balance or expiring-credits alert, as posted to alert webhook endpoints." });
export type AlertEvent = z.infer<typeof AlertEvent>;

/** What "Send test event" posts: proves the URL and the secret, carries nothing. */
export const WebhookTestEvent = z
  .object({ type: z.literal("webhook.test"), timestamp: IsoDateTime, data: z.strictObject({}) })
  .meta({ id: "WebhookTestEvent" });
export type WebhookTestEvent = z.infer<typeof WebhookTestEvent>;
