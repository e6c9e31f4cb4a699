import { z } from "zod";
import { Slug, storable, Text } from "./primitives.js";

/** Low-balance alerts: message wording and outgoing webhooks (Standard Webhooks signatures). */

const template = Text(2000);

export const AlertWebhookInput = z.strictObject({
  id: Slug,
  url: storable(z.url({ protocol: /^https?$/ }).max(500)),
  /** The signing secret in Standard Webhooks form (whsec_ + base64); left out: keep the stored one. */
  secret: z
    .string()
    .regex(/^whsec_[A-Za-z0-9+/]{24,200}={0,2}$/, "use a Standard Webhooks secret: whsec_ followed by base64 (at least 18 random bytes)")
    .optional(),
});

export const AlertSettingsInput = z.strictObject({
  /** To the customer on the ticket that crossed the level (else their newest open ticket). Placeholders: {name}, {balance}, {level}, {link}. */
  lowMessage: template.default("Hello {name}, your support credits are running low: {balance} credits left. You can top up here: {link}"),
  depletedMessage: template.default("Hello {name}, your support credits have run out. You can top up here: {link}"),
  /** To the customer some days before credits expire (their newest open ticket). Placeholders: {name}, {credits}, {date}, {balance}, {link}. */
  expiringMessage: template.default(
    "Hello {name}, {credits} of your support credits expire on {date}. Your balance is {balance} credits. Top up or use them here: {link}",
  ),
  /** Internal note for agents. Placeholders: {event}, {balance}, {level}, {credits}, {date}. */
  agentNote: template.default("Support credits {event}: {balance} credits left (alert level {level})."),
  /** Tell customers by message (agents always get the note). */
  messageCustomers: z.boolean().default(true),
  webhooks: z.array(AlertWebhookInput).max(10).default([]),
});
export type AlertSettingsInput = z.input<typeof AlertSettingsInput>;

export const AlertSettings = AlertSettingsInput.extend({
  webhooks: z.array(z.object({ id: Slug, url: z.string(), secretSet: z.boolean() })),
});
export type AlertSettings = z.infer<typeof AlertSettings>;

export const AlertWebhookTest = z.object({ delivered: z.boolean(), status: z.int().nullable(), detail: z.string() });
export type AlertWebhookTest = z.infer<typeof AlertWebhookTest>;
