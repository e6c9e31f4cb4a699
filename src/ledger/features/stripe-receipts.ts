/**
 * What a card purchase leaves behind beyond its credits: the tax details Checkout collects, a
 * receipt and an invoice for every purchase (their addresses as Stripe's events report them), and
 * the last event the webhook received, which tells an admin whether card payments work.
 */
import type Stripe from "stripe";
import type { Purchase, StripeHookResult, StripeLastEvent } from "../../contract/stripe.js";
import type { LedgerContext } from "../core/context.js";
import type { Sql } from "../storage/db.js";
import * as store from "../storage/stripe-receipts.js";

type Result = (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult;

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : (value?.id ?? null));

/**
 * What Checkout asks for so that every purchase can be taxed and has a receipt: the billing address
 * (tax follows it), the buyer's tax id where they have one, Stripe's own tax calculation when the
 * tenant turned it on, and an invoice for the purchase (a paid invoice is its receipt; Stripe emails
 * it to the address the customer gives). The invoice carries the ledger's metadata so its events
 * can be told from other invoices of the account.
 */
export function checkoutTaxParams(
  automaticTax: boolean,
  metadata: Record<string, string>,
): Pick<Stripe.Checkout.SessionCreateParams, "billing_address_collection" | "tax_id_collection" | "automatic_tax" | "invoice_creation"> {
  return {
    billing_address_collection: "required",
    tax_id_collection: { enabled: true },
    automatic_tax: { enabled: automaticTax },
    invoice_creation: { enabled: true, invoice_data: { metadata } },
  };
}

export const automaticTaxOf = (sql: Sql, tenantId: string) => store.getAutomaticTax(sql, tenantId);
export const setAutomaticTax = (sql: Sql, tenantId: string, enabled: boolean) => store.setAutomaticTax(sql, tenantId, enabled);

/** Only web addresses become links on the customer page (a signed event is trusted, but not with `javascript:`). */
function webAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** A charge's receipt, kept by its payment intent (the purchase learns its intent when paid). */
export async function noteChargeReceipt(ctx: LedgerContext, tenantId: string, charge: Stripe.Charge): Promise<boolean> {
  const paymentIntent = idOf(charge.payment_intent);
  const url = webAddress(charge.receipt_url);
  if (charge.metadata?.tenant_id !== tenantId || !paymentIntent || !url) return false;
  await store.putStripeDocument(ctx.db, tenantId, { stripeId: paymentIntent, kind: "receipt", url, now: ctx.clock() });
  return true;
}

/** `charge.succeeded`: the payment's receipt. */
export async function chargeSucceeded(ctx: LedgerContext, tenantId: string, charge: Stripe.Charge, result: Result): Promise<StripeHookResult> {
  return (await noteChargeReceipt(ctx, tenantId, charge))
    ? result("document_recorded", "the payment's receipt")
    : result("ignored", "not a charge of the ledger's, or no receipt yet");
}

/** `invoice.finalized` / `invoice.paid`: the invoice Checkout made for a purchase, and its page. */
export async function invoiceReported(ctx: LedgerContext, tenantId: string, invoice: Stripe.Invoice, result: Result): Promise<StripeHookResult> {
  const url = webAddress(invoice.hosted_invoice_url);
  if (invoice.metadata?.tenant_id !== tenantId || !invoice.id || !url) return result("ignored", "not an invoice of the ledger's, or no page yet");
  await store.putStripeDocument(ctx.db, tenantId, { stripeId: invoice.id, kind: "invoice", url, now: ctx.clock() });
  return result("document_recorded", "the purchase's invoice");
}

/** The invoice a completed session made, so the purchase finds the invoice's page whichever event comes first. */
export async function noteSessionInvoice(ctx: LedgerContext, tenantId: string, session: Stripe.Checkout.Session): Promise<void> {
  const invoiceId = idOf(session.invoice);
  if (invoiceId) await store.setPurchaseInvoice(ctx.db, tenantId, session.id, invoiceId);
}

/** Purchases with their receipt and invoice addresses. */
export async function withDocuments<P extends Omit<Purchase, "receiptUrl" | "invoiceUrl">>(
  sql: Sql,
  tenantId: string,
  purchases: P[],
): Promise<(P & Pick<Purchase, "receiptUrl" | "invoiceUrl">)[]> {
  const documents = await store.documentsOfPurchases(
    sql,
    tenantId,
    purchases.map((p) => p.sessionId),
  );
  return purchases.map((p) => ({
    ...p,
    receiptUrl: documents.get(p.sessionId)?.receiptUrl ?? null,
    invoiceUrl: documents.get(p.sessionId)?.invoiceUrl ?? null,
  }));
}

export async function recordLastEvent(
  sql: Sql,
  tenantId: string,
  event: { id: string; type: string },
  outcome: string,
  detail: string | null,
  receivedAt: Date,
): Promise<void> {
  await store.recordWebhookEvent(sql, tenantId, { eventId: event.id, eventType: event.type, outcome, detail, receivedAt });
}

export async function lastEvent(sql: Sql, tenantId: string): Promise<StripeLastEvent | null> {
  const row = await store.getWebhookStatus(sql, tenantId);
  return row ? { id: row.eventId, type: row.eventType, receivedAt: row.receivedAt.toISOString(), outcome: row.outcome, detail: row.detail } : null;
}
