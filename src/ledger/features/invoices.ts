/**
 * Buying credits by invoice on net terms. An agent asks for an invoice for one pack to an
 * organisation; the ledger records it under the request's Idempotency-Key before Stripe is called,
 * then makes (or reuses) the organisation's Stripe Customer, a draft invoice with
 * `collection_method: send_invoice` and `days_until_due`, one invoice item for the pack's price,
 * and finalizes and sends it. Every Stripe call carries an idempotency key derived from the
 * ledger's key, so a retry gets the same customer, invoice and item back. Nothing is granted here:
 * the credits come when Stripe reports the invoice paid (invoice-events.ts).
 */
import { createHash } from "node:crypto";
import type { CreditPack } from "../../contract/config.js";
import type { Invoice, InvoiceRequest } from "../../contract/invoices.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../core/context.js";
import { IdempotencyKeyReused } from "../core/errors.js";
import { replayOf } from "../core/posting.js";
import * as core from "../core/wallets.js";
import * as idempotencyKeys from "../storage/idempotency.js";
import * as store from "../storage/invoices.js";
import type Stripe from "stripe";
import { isStripeError } from "../integrations/stripe/client.js";
import { PaymentProviderError, stripeFor, UnknownPack, type PaymentsOptions } from "./payments.js";

export const toApiInvoice = (row: store.InvoiceRow): Invoice => ({
  id: row.id,
  owner: row.owner,
  packId: row.packId,
  credits: row.credits,
  amount: row.amount,
  currency: row.currency,
  daysUntilDue: row.daysUntilDue,
  email: row.email,
  state: row.state,
  stripeInvoiceId: row.stripeInvoiceId,
  number: row.number,
  hostedInvoiceUrl: row.hostedInvoiceUrl,
  dueAt: row.dueAt?.toISOString() ?? null,
  grantEntryId: row.grantEntryId,
  agent: row.agent,
  createdAt: row.createdAt.toISOString(),
  paidAt: row.paidAt?.toISOString() ?? null,
  closedAt: row.closedAt?.toISOString() ?? null,
});

/**
 * A digest of the tenant and the ledger's key: the invoice's id in the ledger (given to Stripe in
 * the invoice's metadata) and the root of every Stripe idempotency key of this request, the same
 * on every retry, never another tenant's on a shared Stripe account, and short whatever the
 * ledger's key (Stripe takes keys up to 255 characters; these are at most 88).
 */
const digestOf = (tenantId: string, key: Pick<Idempotency, "scope" | "key">): string =>
  createHash("sha256").update(`invoice\n${tenantId}\n${key.scope}\n${key.key}`).digest("hex");

export const stripeInvoiceKey = (tenantId: string, key: Pick<Idempotency, "scope" | "key">, step: string): string =>
  `invoice_${digestOf(tenantId, key)}_${step}`;

async function findPack(ctx: LedgerContext, tenantId: string, packId: string): Promise<CreditPack> {
  const { config } = await core.loadConfig(ctx.db, tenantId);
  const pack = config.packs.find((p) => p.id === packId);
  if (!pack) throw new UnknownPack(`No credit pack "${packId}"; the packs are ${config.packs.map((p) => p.id).join(", ") || "not set up"}.`);
  return pack;
}

/** What failed at Stripe, in the ledger's words: Stripe's own message can name the account. */
function providerError(step: string, error: unknown): PaymentProviderError {
  if (isStripeError(error, "StripeIdempotencyError"))
    return new PaymentProviderError(
      `Stripe refused this Idempotency-Key's retry (${step}) because what it would send changed since the first attempt; use a new key.`,
    );
  const status = (error as { statusCode?: number })?.statusCode;
  return new PaymentProviderError(`Stripe did not ${step}${status ? ` (HTTP ${status})` : ""}; nothing was granted. Retry with the same Idempotency-Key.`);
}

async function atStripe<T>(step: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw providerError(step, error);
  }
}

/**
 * Issues an invoice for one pack to an organisation, once per idempotency key. A retry (the first
 * attempt's answer lost, or Stripe failing half-way) repeats every Stripe call with the same keys
 * and the first attempt's pack and price, so Stripe answers with what it already made; the answer
 * is then recorded against the key like any other write's, and the key used for another request is
 * refused with `idempotency_key_reused`.
 */
export async function issueInvoice(
  ctx: LedgerContext,
  tenantId: string,
  request: InvoiceRequest,
  idempotency: Idempotency,
  options: PaymentsOptions,
): Promise<WriteOutcome<Invoice>> {
  const answered = await idempotencyKeys.keyAnswer(ctx.db, tenantId, idempotency);
  if (answered) return replayOf<Invoice>(answered, idempotency);
  const pack = await findPack(ctx, tenantId, request.packId);
  const stripe = await stripeFor(ctx.db, tenantId, options.stripeApi);
  const row = await store.startInvoice(ctx.db, tenantId, idempotency, {
    id: `inv_${digestOf(tenantId, idempotency).slice(0, 32)}`,
    requestHash: idempotency.requestHash,
    owner: request.owner,
    packId: pack.id,
    credits: pack.credits,
    amount: pack.price,
    currency: pack.currency,
    daysUntilDue: request.daysUntilDue,
    email: request.email,
    agent: request.agent ?? null,
    now: ctx.clock(),
  });
  if (row.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReused();
  // Already sent (the answer was lost after Stripe's last reply was recorded): nothing to ask Stripe again.
  if (row.state === "issuing") await sendAtStripe(ctx, stripe, tenantId, row, request.name, (step) => stripeInvoiceKey(tenantId, idempotency, step));
  return ctx.db.transaction(async (tx) => {
    const current = (await store.lockInvoice(tx, tenantId, row.id))!;
    const body = toApiInvoice(current);
    const text = JSON.stringify(body);
    // Two attempts at once both get the invoice from Stripe; the second to get here replays the first's answer.
    const claim = await idempotencyKeys.claimIdempotencyKey(tx, tenantId, idempotency, idempotency.requestHash, ctx.clock());
    if (claim.state !== "claimed") return replayOf<Invoice>(claim, idempotency);
    await idempotencyKeys.completeIdempotencyKey(tx, tenantId, idempotency, 201, text);
    return { status: 201, body, text, replayed: false };
  });
}

async function sendAtStripe(
  ctx: LedgerContext,
  stripe: Stripe,
  tenantId: string,
  row: store.InvoiceRow,
  name: string | undefined,
  keyFor: (step: string) => string,
): Promise<void> {
  const metadata = { tenant_id: tenantId, owner: row.owner, pack_id: row.packId, credits: String(row.credits), ledger_invoice_id: row.id };
  // One Stripe Customer per organisation: made once, then reused (and given the new billing email when it changed).
  let customer = await store.getCustomer(ctx.db, tenantId, row.owner);
  if (!customer) {
    const made = await atStripe("create the organisation's customer", () =>
      stripe.customers.create(
        { email: row.email, ...(name ? { name } : {}), metadata: { tenant_id: tenantId, owner: row.owner } },
        { idempotencyKey: keyFor("customer") },
      ),
    );
    customer = await store.keepCustomer(ctx.db, tenantId, row.owner, { customerId: made.id, email: row.email, now: ctx.clock() });
  }
  if (customer.email !== row.email) {
    const customerId = customer.customerId;
    await atStripe("update the customer's billing email", () =>
      stripe.customers.update(customerId, { email: row.email }, { idempotencyKey: keyFor("customer-email") }),
    );
    await store.setCustomerEmail(ctx.db, tenantId, row.owner, row.email);
  }
  const customerId = customer.customerId;
  const draft = await atStripe("create the invoice", () =>
    stripe.invoices.create(
      {
        customer: customerId,
        collection_method: "send_invoice",
        days_until_due: row.daysUntilDue,
        currency: row.currency,
        // The ledger finalizes and sends it itself, now; Stripe should not advance it on its own.
        auto_advance: false,
        pending_invoice_items_behavior: "exclude",
        description: `Support credits: ${row.credits.toLocaleString("en")} credits (${row.packId})`,
        metadata,
      },
      { idempotencyKey: keyFor("invoice") },
    ),
  );
  const invoiceId = draft.id;
  if (!invoiceId) throw new PaymentProviderError("Stripe returned an invoice without an id.");
  await atStripe("add the pack to the invoice", () =>
    stripe.invoiceItems.create(
      {
        customer: customerId,
        invoice: invoiceId,
        amount: row.amount,
        currency: row.currency,
        description: `${row.credits.toLocaleString("en")} support credits (${row.packId})`,
        metadata,
      },
      { idempotencyKey: keyFor("item") },
    ),
  );
  await atStripe("finalize the invoice", () => stripe.invoices.finalizeInvoice(invoiceId, {}, { idempotencyKey: keyFor("finalize") }));
  const sent = await atStripe("send the invoice", () => stripe.invoices.sendInvoice(invoiceId, {}, { idempotencyKey: keyFor("send") }));
  await store.recordStripeInvoice(ctx.db, tenantId, row.id, {
    stripeInvoiceId: invoiceId,
    number: sent.number ?? null,
    hostedInvoiceUrl: sent.hosted_invoice_url ?? null,
    dueAt: sent.due_date ? new Date(sent.due_date * 1000) : null,
    finalized: true,
  });
}

export async function listInvoices(ctx: LedgerContext, tenantId: string, owner: string, limit = 20): Promise<Invoice[]> {
  return (await store.listInvoices(ctx.db, tenantId, owner, limit)).map(toApiInvoice);
}
