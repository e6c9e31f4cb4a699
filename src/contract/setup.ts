import { z } from "zod";
import { DeskproApiKey, DeskproUrl } from "./portal.js";
import { IsoDateTime, Slug, TicketId } from "./primitives.js";

/**
 * Self-service: a helpdesk admin connects their Deskpro to a hosted ledger from the app's settings
 * page, then sets up paid tiers on the portal from lists read from Deskpro, without a terminal.
 */

// ---------------------------------------------------------------------------------------------
// Sign-up: one helpdesk, one tenant, proven by a Deskpro API key of an admin
// ---------------------------------------------------------------------------------------------

export const HelpdeskSignupRequest = z
  .strictObject({
    /** The helpdesk's address; only its origin counts (https://support.example.com). */
    helpdeskUrl: DeskproUrl,
    /** A Deskpro API key (Admin → Apps & Integrations → API Keys) bound to an agent who is an admin. */
    deskproApiKey: DeskproApiKey,
  })
  .meta({ id: "HelpdeskSignupRequest" });
export type HelpdeskSignupRequest = z.infer<typeof HelpdeskSignupRequest>;

export const HelpdeskSignup = z
  .object({
    tenantId: z.string(),
    /** The tenant's ledger API key, shown once: the settings page stores it in the app's backend-only setting. */
    apiKey: z.string(),
    /** The helpdesk the tenant is bound to (its origin). */
    helpdeskUrl: z.string(),
    /** True for a new tenant; false when this helpdesk had one and its keys were replaced. */
    created: z.boolean(),
    /** The admin Deskpro says the API key belongs to. */
    adminName: z.string().nullable(),
  })
  .meta({ id: "HelpdeskSignup" });
export type HelpdeskSignup = z.infer<typeof HelpdeskSignup>;

// ---------------------------------------------------------------------------------------------
// What the settings page picks from: Deskpro's fields, options, SLAs and priorities
// ---------------------------------------------------------------------------------------------

export const DeskproChoice = z.object({ id: z.int(), title: z.string() }).meta({ id: "DeskproChoice" });
export type DeskproChoice = z.infer<typeof DeskproChoice>;

export const DeskproFieldSummary = z
  .object({
    id: z.int(),
    title: z.string(),
    /** The field's alias, when it has one. */
    alias: z.string().nullable(),
    /** A choice field's options; empty for text fields. */
    choices: z.array(DeskproChoice),
  })
  .meta({ id: "DeskproFieldSummary" });
export type DeskproFieldSummary = z.infer<typeof DeskproFieldSummary>;

export const DeskproLookups = z
  .object({
    ticketFields: z.array(DeskproFieldSummary),
    personFields: z.array(DeskproFieldSummary),
    organizationFields: z.array(DeskproFieldSummary),
    slas: z.array(DeskproChoice),
    priorities: z.array(DeskproChoice),
    /** Lists Deskpro refused to give (the API key's permissions): the page falls back to typing ids there. */
    unavailable: z.array(z.enum(["ticketFields", "personFields", "organizationFields", "slas", "priorities"])),
  })
  .meta({ id: "DeskproLookups" });
export type DeskproLookups = z.infer<typeof DeskproLookups>;

// ---------------------------------------------------------------------------------------------
// Guided portal setup
// ---------------------------------------------------------------------------------------------

export const TierFieldRequest = z
  .strictObject({
    /** The field's title on the portal form. */
    title: z.string().trim().min(1).max(100).default("Response time"),
  })
  .meta({ id: "TierFieldRequest" });

export const TierFieldCreated = z
  .object({
    fieldId: z.int(),
    /** Which option picks which tier, as saved in the portal settings. */
    options: z.array(z.object({ tier: Slug, optionId: z.int(), title: z.string() })),
    /** Paid tiers that set no priority were given one from Deskpro's list (the configuration's version changed). */
    prioritiesSet: z.array(z.object({ tier: Slug, priorityId: z.int(), title: z.string() })).default([]),
  })
  .meta({ id: "TierFieldCreated" });
export type TierFieldCreated = z.infer<typeof TierFieldCreated>;

export const WebhookSecretIssued = z.object({ webhookSecret: z.string() }).meta({ id: "WebhookSecretIssued" });
export type WebhookSecretIssued = z.infer<typeof WebhookSecretIssued>;

/** One web hook action to set up in Deskpro, with every value to copy. */
export const WebhookAction = z.object({
  event: z.enum(["ticket-created", "ticket-updated", "sla-failed"]),
  /** Where it goes in Deskpro, in words. */
  where: z.string(),
  /** When it runs, in words. */
  when: z.string(),
  method: z.literal("POST"),
  url: z.string(),
  /** Custom headers, in order; the secret's value is left out (it is shown once when made). */
  headers: z.array(z.object({ name: z.string(), value: z.string().nullable() })),
});
export type WebhookAction = z.infer<typeof WebhookAction>;

export const SetupCheck = z.object({
  done: z.boolean(),
  /** What was seen, in words ("Response time, 3 options mapped"; "ticket 1044 at …"). */
  detail: z.string().nullable(),
  at: IsoDateTime.nullable(),
  ticketId: TicketId.nullable(),
});

export const PortalSetup = z
  .object({
    tenantId: z.string(),
    /** The portal's tier field once one is set (made or picked); the guide's first step then finds new options in it. */
    tierFieldId: z.int().nullable().default(null),
    webhookSecretSet: z.boolean(),
    actions: z.array(WebhookAction),
    checklist: z.object({
      connected: SetupCheck,
      fieldFound: SetupCheck,
      webhookReceived: SetupCheck,
      priorityWritten: SetupCheck,
    }),
  })
  .meta({ id: "PortalSetup" });
export type PortalSetup = z.infer<typeof PortalSetup>;
