/**
 * Stripe's events about invoices the ledger issued (features/invoices.ts). `invoice.paid` grants
 * the pack once, whenever it comes: its grant's idempotency key is the ledger's invoice id, and the
 * invoice row is locked in the grant's transaction. `invoice.voided` and
 * `invoice.marked_uncollectible` grant nothing and say so on the invoice; an uncollectible invoice
 * paid after all is granted then (Stripe allows paying one). `invoice.finalized` fills in the
 * number, payment page and due date if the issuing request never heard them. Stripe doesn't order
 * events: a late event never takes an invoice back from paid, nor out of void.
 */
import type Stripe from "stripe";
import type { StripeHookResult } from "../../contract/stripe.js";
import type { LedgerContext } from "../core/context.js";
import * as core from "../core/wallets.js";
import { formatMoney } from "../domain/currency.js";
import * as store from "../storage/invoices.js";

export type InvoiceEventType = "invoice.paid" | "invoice.voided" | "invoice.marked_uncollectible" | "invoice.finalized";
type Result = (outcome: StripeHookResult["outcome"], detail?: string) => StripeHookResult;

export async function handleInvoiceEvent(
  ctx: LedgerContext,
  tenantId: string,
  type: InvoiceEventType,
  invoice: Stripe.Invoice,
  result: Result,
): Promise<StripeHookResult> {
  // As for checkouts: an invoice the ledger didn't issue for this tenant is none of its business.
  if (invoice.metadata?.tenant_id !== tenantId || !invoice.id)
    return result("ignored", "the invoice belongs to another tenant or was not issued by the ledger");
  const found = await store.findInvoice(ctx.db, tenantId, invoice.id, invoice.metadata.ledger_invoice_id ?? null);
  if (!found) return result("ignored", "no invoice with this id was issued by the ledger");
  // Whatever the event, it tells what the issuing request may not have heard yet.
  await store.recordStripeInvoice(ctx.db, tenantId, found.id, {
    stripeInvoiceId: invoice.id,
    number: invoice.number ?? null,
    hostedInvoiceUrl: invoice.hosted_invoice_url ?? null,
    dueAt: invoice.due_date ? new Date(invoice.due_date * 1000) : null,
    finalized: invoice.status !== "draft" && invoice.status !== null,
  });
  switch (type) {
    case "invoice.paid":
      return grantPaidInvoice(ctx, tenantId, found, result);
    case "invoice.voided":
    case "invoice.marked_uncollectible": {
      const state = type === "invoice.voided" ? "void" : "uncollectible";
      const changed = await store.closeInvoice(ctx.db, tenantId, found.id, state, ctx.clock());
      const now = await store.findInvoice(ctx.db, tenantId, invoice.id, found.id);
      if (now?.state === "paid") return result("already_granted", "the invoice was paid; its credits stay granted");
      return result(
        "not_granted",
        `${changed ? "" : "already "}${state === "void" ? "voided" : "marked uncollectible"}: nothing is granted${state === "uncollectible" ? " unless it is paid after all" : ""}`,
      );
    }
    case "invoice.finalized":
      return result("not_paid_yet", "awaiting payment: the credits are granted when Stripe reports the invoice paid");
  }
}

async function grantPaidInvoice(ctx: LedgerContext, tenantId: string, invoice: store.InvoiceRow, result: Result): Promise<StripeHookResult> {
  const reason = `Bought ${invoice.credits.toLocaleString("en")} credits (${invoice.packId}) for ${formatMoney(invoice.amount, invoice.currency)} by invoice`;
  const outcome = await core.grantCredits(
    ctx,
    tenantId,
    invoice.owner,
    { amount: invoice.credits, reason, source: "purchase", paid: true, ...(invoice.agent ? { agent: invoice.agent } : {}) },
    // Every `invoice.paid` of one invoice carries the same key and body: the second is a replay.
    { scope: "ledger", key: `stripe:invoice:${invoice.id}`, requestHash: `stripe:invoice:${invoice.id}` },
    async (tx, written, now) => {
      const locked = await store.lockInvoice(tx, tenantId, invoice.id);
      if (locked && locked.state !== "paid") await store.markInvoicePaid(tx, tenantId, invoice.id, { grantEntryId: written.entry.id, now });
    },
  );
  return outcome.replayed ? result("already_granted") : result("granted", `${invoice.credits} credits granted to ${invoice.owner}`);
}
