import { z } from "zod";
import { Actor, IsoDateTime, Owner, Slug, storable } from "./primitives.js";

/**
 * Buying credits by invoice on net terms: an agent issues a Stripe invoice for a credit pack to an
 * organisation; the credits are granted when Stripe reports the invoice paid, never before.
 */

/** Net terms an invoice may be given, in days (Stripe's `days_until_due`). */
export const MAX_DAYS_UNTIL_DUE = 365;

export const InvoiceRequest = z
  .strictObject({
    /** Invoices are for organisations' banks. */
    owner: Owner.refine((owner) => owner.startsWith("org:"), "invoices are issued to organisations (org:<id>)"),
    packId: Slug,
    /** Net terms: the invoice is due this many days after it is sent. */
    daysUntilDue: z.int().min(1).max(MAX_DAYS_UNTIL_DUE),
    /** Where Stripe emails the invoice: the organisation's billing address (its Stripe Customer's email). */
    email: storable(z.email().max(254)),
    /** The organisation's name on the invoice, when its Stripe Customer is made. */
    name: storable(z.string().trim().min(1).max(200)).optional(),
    agent: Actor.optional(),
  })
  .meta({ id: "InvoiceRequest" });
export type InvoiceRequest = z.infer<typeof InvoiceRequest>;
export type InvoiceRequestInput = z.input<typeof InvoiceRequest>;

/**
 * `issuing`: asked for, Stripe has not confirmed it sent yet; `open`: sent, awaiting payment;
 * `paid`: paid, and the pack granted; `void` and `uncollectible`: closed in Stripe, nothing granted
 * (an uncollectible invoice that is paid after all becomes `paid`).
 */
export const InvoiceState = z.enum(["issuing", "open", "paid", "void", "uncollectible"]).meta({ id: "InvoiceState" });
export type InvoiceState = z.infer<typeof InvoiceState>;

export const Invoice = z
  .object({
    id: z.string(),
    owner: Owner,
    packId: Slug,
    credits: z.int(),
    /** In the currency's minor unit. */
    amount: z.int(),
    currency: z.string(),
    daysUntilDue: z.int(),
    email: z.string(),
    state: InvoiceState,
    stripeInvoiceId: z.string().nullable(),
    /** The invoice's number as Stripe gave it once finalized. */
    number: z.string().nullable(),
    /** Stripe's page where the customer pays the invoice. */
    hostedInvoiceUrl: z.string().nullable(),
    dueAt: IsoDateTime.nullable(),
    grantEntryId: z.string().nullable(),
    agent: z.string().nullable(),
    createdAt: IsoDateTime,
    paidAt: IsoDateTime.nullable(),
    /** When it was voided or marked uncollectible. */
    closedAt: IsoDateTime.nullable(),
  })
  .meta({ id: "Invoice" });
export type Invoice = z.infer<typeof Invoice>;
export const InvoicePage = z.object({ invoices: z.array(Invoice) }).meta({ id: "InvoicePage" });
export type InvoicePage = z.infer<typeof InvoicePage>;

/** An invoice's state as agents and customers read it. */
export const INVOICE_STATE_WORDS: Record<InvoiceState, string> = {
  issuing: "Being sent",
  open: "Awaiting payment",
  paid: "Paid",
  void: "Voided",
  uncollectible: "Uncollectible",
};
