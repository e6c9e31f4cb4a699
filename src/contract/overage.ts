import { z } from "zod";
import { IsoDateTime, Owner, Slug, TicketId } from "./primitives.js";

/**
 * Asked before overage. When a bank can't pay for the response tier its customer picked on the
 * portal, the customer gets a signed link to a page where they choose: approve the extra credits
 * (the bank goes past its balance by up to the admin's per-ticket limit), buy a pack, or keep the
 * free tier. The choice is recorded with the ticket and acted on once.
 */

/** The largest per-ticket limit an admin may set. */
export const MAX_OVERAGE_LIMIT = 1_000_000;

export const OverageSettings = z
  .strictObject({
    /** How many credits past its balance (and its plan's overdraft) a bank may go on one ticket when its customer approves; 0: never ask. */
    perTicketLimit: z.int().min(0).max(MAX_OVERAGE_LIMIT).default(0),
  })
  .meta({ id: "OverageSettings" });
export type OverageSettings = z.infer<typeof OverageSettings>;

export const OverageSettingsResponse = z.object({ settings: OverageSettings, updatedAt: IsoDateTime.nullable() }).meta({ id: "OverageSettingsResponse" });
export type OverageSettingsResponse = z.infer<typeof OverageSettingsResponse>;

/** Where a question stands: waiting, answered (approved or kept free), no longer applying (withdrawn), or expired unanswered. */
export const OverageState = z.enum(["pending", "approved", "kept_free", "withdrawn", "expired"]).meta({ id: "OverageState" });
export type OverageState = z.infer<typeof OverageState>;

/** One question asked on a ticket and its answer. */
export const OverageChoice = z
  .object({
    ticketId: TicketId,
    owner: Owner,
    tier: Slug,
    /** The tier's price as the customer was shown it. */
    price: z.int(),
    /** The bank's balance when it was asked. */
    balance: z.int(),
    /** Credits beyond what the bank could spend: what approving adds. */
    shortfall: z.int(),
    state: OverageState,
    askedAt: IsoDateTime,
    expiresAt: IsoDateTime,
    answeredAt: IsoDateTime.nullable(),
    /** The charge an approval made. */
    entryId: z.string().nullable(),
  })
  .meta({ id: "OverageChoice" });
export type OverageChoice = z.infer<typeof OverageChoice>;

/** The ticket's latest question, or null when none was asked. */
export const TicketOverage = z.object({ choice: OverageChoice.nullable() }).meta({ id: "TicketOverage" });
export type TicketOverage = z.infer<typeof TicketOverage>;

/** The customer's answer, posted by the page's form. */
export const OverageAnswer = z.enum(["approve", "keep_free"]);
export type OverageAnswer = z.infer<typeof OverageAnswer>;
