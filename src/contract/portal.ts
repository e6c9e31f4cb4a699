import { z } from "zod";
import { IsoDateTime, Owner, Slug, storable, Text, TicketId } from "./primitives.js";

/**
 * Paid response tiers picked on the Deskpro portal form. No app can render in the portal, so a
 * ticket custom field carries the choice, Deskpro triggers call the ledger's webhooks and the
 * ledger writes back through Deskpro's REST API.
 */

// ---------------------------------------------------------------------------------------------
// The tenant's Deskpro connection (secrets go in, never come out)
// ---------------------------------------------------------------------------------------------

/** `<api key id>:<code>` as Deskpro shows it under Admin → Apps & Integrations → API Keys. */
export const DeskproApiKey = z
  .string()
  .trim()
  .regex(/^[1-9][0-9]{0,9}:[A-Za-z0-9_-]{8,200}$/, "use Deskpro's API key as <id>:<code>");

export const WebhookSecret = z.string().regex(/^[\x21-\x7e]{24,200}$/, "use 24 to 200 visible ASCII characters (a long random string)");

export const DeskproUrl = storable(z.url({ protocol: /^https?$/, message: "use the helpdesk's address, e.g. https://support.example.com" }).max(300)).transform(
  (url) => url.replace(/\/+$/, ""),
);

export const DeskproConnectionRequest = z
  .strictObject({
    url: DeskproUrl,
    /** Left out: keep the stored key, which is allowed only while the address stays on the same origin. */
    apiKey: DeskproApiKey.optional(),
    /** Left out: keep the stored secret. */
    webhookSecret: WebhookSecret.optional(),
  })
  .meta({ id: "DeskproConnectionRequest" });
export type DeskproConnectionRequest = z.infer<typeof DeskproConnectionRequest>;

/** What the API says about the connection: never the secrets themselves. */
export const DeskproConnection = z
  .object({
    url: z.string().nullable(),
    apiKeySet: z.boolean(),
    /** The key's id (the part before the colon), so an admin can tell keys apart. */
    apiKeyId: z.string().nullable(),
    webhookSecretSet: z.boolean(),
    updatedAt: IsoDateTime.nullable(),
  })
  .meta({ id: "DeskproConnection" });
export type DeskproConnection = z.infer<typeof DeskproConnection>;

// ---------------------------------------------------------------------------------------------
// Portal settings
// ---------------------------------------------------------------------------------------------

/** One option of the portal's tier field and the tier it picks. */
export const TierOption = z
  .object({
    tier: Slug,
    /** The option's id in Deskpro (Admin → Ticket fields → the field → its choices). */
    optionId: z.int().min(1).nullable().default(null),
    /** The option's title, matched when the ticket carries titles rather than ids (case and spacing ignored). */
    title: Text(200).nullable().default(null),
  })
  .meta({ id: "TierOption" });
export type TierOption = z.infer<typeof TierOption>;

const template = Text(2000);

/**
 * Messages with placeholders in braces: {name}, {tier}, {price}, {balance}, {link}, {ticket}.
 * Unknown placeholders are left as written; values are HTML-escaped; numbers get thousands
 * separators. Without a link to give, the sentence with {link} is left out and the customer is
 * asked to reply instead.
 */
export const PortalMessages = z.object({
  /** Agent note after a tier fee was charged. */
  charged: template.default("{tier}: {price} credits charged, balance {balance}."),
  /** To the customer when the chosen tier can't be paid for. */
  unaffordable: template.default(
    "You chose {tier} ({price} credits) but your balance is {balance} credits, so this ticket keeps the standard response time. Buy credits here: {link}",
  ),
  /** To the customer when the chosen tier is not part of the bank's plan. */
  notOffered: template.default("{tier} is not part of your plan, so this ticket keeps the standard response time."),
  /** To the customer when the response target was missed and the fee came back. */
  slaRefund: template.default("We missed the {tier} response target on this ticket, so the {price} credits have been returned. Balance: {balance} credits."),
  /** Agent note after a tier fee came back (tier changed, ticket cancelled, SLA missed). */
  refunded: template.default("{tier}: {price} credits refunded ({reason}), balance {balance}."),
  /** Agent note when the chosen tier was not charged. */
  notCharged: template.default("{tier} ({price} credits) not charged: {reason}. Balance {balance}."),
});
export type PortalMessages = z.infer<typeof PortalMessages>;

export const PortalSettings = z
  .object({
    /** The ticket custom field whose options are the tiers; null turns the portal flow off. */
    tierFieldId: z.int().min(1).nullable().default(null),
    tierOptions: z.array(TierOption).max(50).default([]),
    /** The tier a ticket keeps when the chosen one can't be paid for; null: the cheapest free tier. */
    fallbackTier: Slug.nullable().default(null),
    /** Where customers buy credits, used for {link} when no balance page link can be made. */
    buyUrl: storable(z.url({ protocol: /^https?$/ }).max(500))
      .nullable()
      .default(null),
    messages: PortalMessages.default(PortalMessages.parse({})),
  })
  .meta({ id: "PortalSettings" });
export type PortalSettings = z.infer<typeof PortalSettings>;
export type PortalSettingsInput = z.input<typeof PortalSettings>;

export const PortalSettingsResponse = z.object({ settings: PortalSettings, updatedAt: IsoDateTime.nullable() }).meta({ id: "PortalSettingsResponse" });
export type PortalSettingsResponse = z.infer<typeof PortalSettingsResponse>;

/** One tier's option on the portal field: the title it must carry and the one it has in Deskpro. */
export const TierLabelCheck = z.object({
  tier: Slug,
  optionId: z.int().nullable(),
  /** The exact title to give the option, showing the tier's current price. */
  label: z.string(),
  /** The option's title in Deskpro now; null when Deskpro has no such option. */
  deskproTitle: z.string().nullable(),
  matches: z.boolean(),
});
export type TierLabelCheck = z.infer<typeof TierLabelCheck>;

/**
 * The portal field's options against the tiers' prices. Until an option's title shows its tier's
 * current price, customers who pick it are charged the lower of the two.
 */
export const PortalTierLabels = z.object({
  /** The portal's tier field; null while the portal flow is off. */
  fieldId: z.int().nullable(),
  fieldTitle: z.string().nullable(),
  options: z.array(TierLabelCheck),
  allMatch: z.boolean(),
});
export type PortalTierLabels = z.infer<typeof PortalTierLabels>;

// ---------------------------------------------------------------------------------------------
// Webhooks from Deskpro and what the ledger did with them
// ---------------------------------------------------------------------------------------------

export const PortalEvent = z.enum(["ticket.created", "ticket.updated", "sla.failed"]).meta({ id: "PortalEvent" });
export type PortalEvent = z.infer<typeof PortalEvent>;

export const PortalHookAccepted = z
  .object({
    received: z.literal(true),
    event: PortalEvent,
    ticketId: TicketId,
    /** The queued job; a redelivery of the same event names the same job. */
    jobId: z.string(),
  })
  .meta({ id: "PortalHookAccepted" });
export type PortalHookAccepted = z.infer<typeof PortalHookAccepted>;

/** The ledger's view of one portal ticket. */
export const PortalTicket = z
  .object({
    ticketId: TicketId,
    owner: Owner.nullable(),
    /** The tier the customer asked for (or an agent set). */
    requestedTier: Slug.nullable(),
    /** The tier charged and not refunded. */
    chargedTier: Slug.nullable(),
    chargeEntryId: z.string().nullable(),
    outcome: z.enum(["none", "free", "charged", "unaffordable", "not_offered", "refunded", "cancelled"]),
    lastPriorityId: z.int().nullable(),
    updatedAt: IsoDateTime,
  })
  .meta({ id: "PortalTicket" });
export type PortalTicket = z.infer<typeof PortalTicket>;

// ---------------------------------------------------------------------------------------------
// The outbox
// ---------------------------------------------------------------------------------------------

export const OutboxState = z.enum(["pending", "done", "failed"]).meta({ id: "OutboxState" });
export const OutboxItem = z
  .object({
    id: z.string(),
    kind: z.string(),
    state: OutboxState,
    attempts: z.int(),
    lastError: z.string().nullable(),
    nextAttemptAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
    doneAt: IsoDateTime.nullable(),
    /** What the row is about, in a few words (event, bank, ticket, endpoint); never message text or secrets. */
    summary: z.string().nullable().default(null),
  })
  .meta({ id: "OutboxItem" });
export type OutboxItem = z.infer<typeof OutboxItem>;

export const OutboxDrainResult = z
  .object({
    delivered: z.int(),
    retrying: z.int(),
    failed: z.int(),
    /** Rows still due after this run (call again to continue). */
    remaining: z.int(),
  })
  .meta({ id: "OutboxDrainResult" });
export type OutboxDrainResult = z.infer<typeof OutboxDrainResult>;

export const DeliveryBreaker = z
  .object({
    /** Where the deliveries go: the tenant's helpdesk, or its alert webhook endpoints. */
    target: z.enum(["helpdesk", "webhooks"]),
    /** `open`: deliveries to the target wait until `nextTryAt`; `half_open`: the next delivery is a trial; `closed`: working. */
    state: z.enum(["closed", "open", "half_open"]),
    /** Failures in a row for want of an answer (time-outs, 5xx, refused connections). */
    failures: z.int(),
    openedAt: IsoDateTime.nullable(),
    nextTryAt: IsoDateTime.nullable(),
    lastError: z.string().nullable(),
  })
  .meta({
    id: "DeliveryBreaker",
    description:
      "A circuit breaker on the tenant's deliveries to one target: after several failures in a row for want of an answer it opens, and the target is left alone until `nextTryAt`",
  });
export type DeliveryBreaker = z.infer<typeof DeliveryBreaker>;

export const OutboxPage = z
  .object({
    items: z.array(OutboxItem),
    /** The tenant's circuit breakers that have seen failures since their last success (none: all is well). */
    breakers: z.array(DeliveryBreaker).default([]),
  })
  .meta({ id: "OutboxPage" });
export type OutboxPage = z.infer<typeof OutboxPage>;
