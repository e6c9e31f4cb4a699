import { z } from "zod";
import { EntryId, IsoDateTime, TicketId } from "./primitives.js";

/**
 * The link with Deskpro's own Billing & Time Log: time charges agents add on a ticket's Billing
 * tab are charged to the ticket's paying bank, and time logged in the app's sidebar is written to
 * that tab. Charges belong to tickets in Deskpro; chats have none (see docs/deskpro-fidelity.md).
 */

/** Which ways the link runs, and whether money charges count. */
export const DeskproBillingSettings = z
  .strictObject({
    /** Time charges from Deskpro's Billing tab are charged to the ticket's paying bank. */
    fromDeskpro: z.boolean().default(true),
    /** Time logged in the sidebar is also written to the ticket's Billing tab (and never counted back). */
    toDeskpro: z.boolean().default(true),
    /** Credits per 1.00 of the helpdesk's billing currency for money charges; null leaves them alone. */
    creditsPerCurrencyUnit: z.int().min(1).max(1_000_000).nullable().default(null),
  })
  .meta({ id: "DeskproBillingSettings" });
export type DeskproBillingSettings = z.infer<typeof DeskproBillingSettings>;
export type DeskproBillingSettingsInput = z.input<typeof DeskproBillingSettings>;

/** Which ways the link runs, in one word. */
export const DeskproBillingMode = z.enum(["both_ways", "from_deskpro", "to_deskpro", "off"]).meta({ id: "DeskproBillingMode" });
export type DeskproBillingMode = z.infer<typeof DeskproBillingMode>;

/**
 * What the ledger did with one part (its time or its money amount) of a Deskpro charge:
 * - `charged`: counted; `entryId` is its debit
 * - `unpaid`: the bank can't pay it yet; it is tried again whenever the ticket is read
 * - `refunded`: an agent refunded its debit in the sidebar; that version of the charge stays uncounted
 * - `removed`: deleted or zeroed in Deskpro, its debit reversed
 * - `money_not_counted`: a money amount, with no credits-per-currency rate set
 * - `before_link`: made before the link started
 * - `no_customer`: the ticket has no person to charge
 * - `refused`: the ledger can't take it (see `refusal`); the ticket's other charges still count
 * - `logged_here`: written by the ledger from sidebar time (`entryId`), never counted back
 * - `writing`: sidebar time on its way to Deskpro (no charge id yet); `write_failed`: Deskpro refused it
 */
export const DeskproChargeState = z
  .enum(["charged", "unpaid", "refunded", "removed", "money_not_counted", "before_link", "no_customer", "refused", "logged_here", "writing", "write_failed"])
  .meta({ id: "DeskproChargeState" });
export type DeskproChargeState = z.infer<typeof DeskproChargeState>;

/**
 * Why the ledger refused a part of a Deskpro charge:
 * - `out_of_range`: its time or amount isn't whole seconds or an amount the ledger can read (a
 *   fraction, a negative time, text, a number too large to be exact)
 * - `over_write_limit`: more minutes than one entry takes (100,000)
 * - `over_credit_limit`: it would move more credits than one entry may (1,000,000,000)
 */
export const DeskproChargeRefusal = z.enum(["out_of_range", "over_write_limit", "over_credit_limit"]).meta({ id: "DeskproChargeRefusal" });
export type DeskproChargeRefusal = z.infer<typeof DeskproChargeRefusal>;

export const DeskproChargeId = z.string().regex(/^[1-9][0-9]{0,17}$/, "must be a numeric Deskpro charge id");

export const DeskproChargeLine = z
  .object({
    /** Deskpro's charge id; null while sidebar time is still being written. */
    chargeId: DeskproChargeId.nullable(),
    ticketId: TicketId,
    part: z.enum(["time", "money"]),
    state: DeskproChargeState,
    /** The charge's time as Deskpro records it, in seconds (time part). */
    seconds: z.int().nullable(),
    /** The charge's amount in the billing currency, two decimals (money part). */
    amount: z.string().nullable(),
    /** The ledger entry that counts it (or, for `logged_here`, the sidebar entry it came from). */
    entryId: EntryId.nullable(),
    dateCreated: IsoDateTime.nullable(),
    /** When the ledger first saw it. */
    seenAt: IsoDateTime,
    /** For `refused`: why, and the same in words for agents and admins; null otherwise. */
    refusal: z.object({ reason: DeskproChargeRefusal, detail: z.string() }).nullable(),
  })
  .meta({ id: "DeskproChargeLine" });
export type DeskproChargeLine = z.infer<typeof DeskproChargeLine>;

/** A ticket's Billing tab as the ledger knows it, after reading it. */
export const TicketDeskproBilling = z
  .object({
    ticketId: TicketId,
    mode: DeskproBillingMode,
    /** False until the ledger has read a Billing tab of this helpdesk (nothing is counted or written before). */
    linked: z.boolean(),
    /** Whether this read charged, reversed or recorded anything. */
    changed: z.boolean(),
    /**
     * Items of Deskpro's list this read couldn't take as charges at all (no usable id). While any
     * are listed, no charge the ledger knows is taken as deleted.
     */
    unreadable: z.int().min(0),
    charges: z.array(DeskproChargeLine),
  })
  .meta({ id: "TicketDeskproBilling" });
export type TicketDeskproBilling = z.infer<typeof TicketDeskproBilling>;

/** The settings page's view: the settings, the mode in use and what the ledger saw last. */
export const DeskproBillingStatus = z
  .object({
    settings: DeskproBillingSettings,
    mode: DeskproBillingMode,
    /** When the link started (charges made before are not counted); null until a Billing tab was read. */
    linkedFrom: IsoDateTime.nullable(),
    /** The Deskpro charge the ledger saw most recently. */
    lastCharge: DeskproChargeLine.nullable(),
    /** The last read of a ticket's Billing tab, and why it failed, if it did. */
    lastRead: z.object({ at: IsoDateTime, ticketId: TicketId, error: z.string().nullable() }).nullable(),
    /** Deskpro charges waiting for their bank to have credits. */
    unpaid: z.int().min(0),
    /** Deskpro charges the ledger refused (see `DeskproChargeLine.refusal`), and the latest few of them. */
    refused: z.object({ count: z.int().min(0), latest: z.array(DeskproChargeLine) }),
  })
  .meta({ id: "DeskproBillingStatus" });
export type DeskproBillingStatus = z.infer<typeof DeskproBillingStatus>;
