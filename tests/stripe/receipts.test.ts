/**
 * Receipts, tax and the webhook's last event, with the real `stripe` package (msw answers Stripe's
 * API; events are signed with Stripe's own generateTestHeaderString): what Checkout is asked to
 * collect, receipt and invoice addresses kept from events in any order and listed with purchases,
 * and the last signed event shown on the connection.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CheckoutSession, CustomerLink, PurchasePage, StripeConnection, StripeHookResult, Wallet } from "../../src/contract/index.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, openTestDatabase, type TestLedger } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const SECRET_KEY = "sk_test_51ReceiptsAbCdEfGhIjKl";
const WEBHOOK_SECRET = "whsec_receiptsAbCdEfGhIjKlMn";
const signer = new Stripe(SECRET_KEY);

const sent: URLSearchParams[] = [];
const server = setupServer(
  http.post("https://api.stripe.com/v1/checkout/sessions", async ({ request }) => {
    sent.push(new URLSearchParams(await request.text()));
    const id = `cs_test_${randomBytes(12).toString("hex")}`;
    return HttpResponse.json({ id, object: "checkout.session", mode: "payment", url: `https://checkout.stripe.com/c/pay/${id}`, status: "open" });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe.each(backends())("receipts, tax and the last event on %s", (backend) => {
  let ledger: TestLedger;
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    ledger = await createTestLedger(backend, { db });
    sent.length = 0;
    expect(
      (await ledger.call("PUT", "/v1/config", { body: { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }] } }))
        .status,
    ).toBe(200);
    expect((await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } })).status).toBe(200);
  });
  afterEach(() => ledger.close());

  const checkout = async (owner = "org:42") => {
    const response = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner, packId: "pack-500" } });
    expect(response.status).toBe(201);
    return CheckoutSession.parse(response.body);
  };
  const event = (type: string, object: Record<string, unknown>) => ({
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type,
    created: 1,
    data: { object },
  });
  const deliver = async (payload: unknown, secret = WEBHOOK_SECRET) => {
    const body = JSON.stringify(payload);
    const signature = signer.webhooks.generateTestHeaderString({ payload: body, secret });
    return ledger.call("POST", `/hooks/stripe/${ledger.tenantId}`, {
      rawBody: body,
      headers: { "content-type": "application/json", "stripe-signature": signature },
      key: null,
      idempotencyKey: null,
    });
  };
  const ours = (extra: Record<string, string> = {}) => ({ tenant_id: ledger.tenantId, owner: "org:42", pack_id: "pack-500", ...extra });
  const completed = (session: CheckoutSession, invoice: string | null) =>
    event("checkout.session.completed", {
      id: session.id,
      object: "checkout.session",
      payment_status: "paid",
      payment_intent: `pi_${session.id}`,
      invoice,
      metadata: ours(),
    });
  const chargeSucceeded = (session: CheckoutSession, receiptUrl: string, metadata = ours()) =>
    event("charge.succeeded", {
      id: `ch_${session.id}`,
      object: "charge",
      amount: 25_000,
      amount_refunded: 0,
      currency: "usd",
      payment_intent: `pi_${session.id}`,
      receipt_url: receiptUrl,
      metadata,
    });
  const invoicePaid = (id: string, url: string) => event("invoice.paid", { id, object: "invoice", status: "paid", hosted_invoice_url: url, metadata: ours() });
  const purchases = async () => PurchasePage.parse((await ledger.call("GET", "/v1/wallets/org:42/purchases")).body).purchases;

  it("asks Checkout for the billing address, a tax id, an invoice per purchase, and automatic tax once the tenant turns it on", async () => {
    await checkout();
    const first = sent[0]!;
    expect(first.get("billing_address_collection")).toBe("required");
    expect(first.get("tax_id_collection[enabled]")).toBe("true");
    expect(first.get("automatic_tax[enabled]")).toBe("false");
    expect(first.get("invoice_creation[enabled]")).toBe("true");
    expect(first.get("invoice_creation[invoice_data][metadata][tenant_id]")).toBe(ledger.tenantId);
    expect(first.get("invoice_creation[invoice_data][metadata][owner]")).toBe("org:42");

    const turnedOn = await ledger.call("PUT", "/v1/integrations/stripe", { body: { automaticTax: true } });
    expect(StripeConnection.parse(turnedOn.body)).toMatchObject({ automaticTax: true, secretKeySet: true, webhookSecretSet: true });
    await checkout();
    expect(sent[1]!.get("automatic_tax[enabled]")).toBe("true");
    // Leaving it out keeps it.
    await ledger.call("PUT", "/v1/integrations/stripe", { body: { webhookSecret: WEBHOOK_SECRET } });
    expect(StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body).automaticTax).toBe(true);
  });

  it("refuses an automaticTax that isn't a boolean and changes nothing", async () => {
    const bad = await ledger.call("PUT", "/v1/integrations/stripe", { body: { automaticTax: "yes" } });
    expect(bad.status).toBe(400);
    expect(StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body).automaticTax).toBe(false);
  });

  it("lists each purchase with its receipt and invoice, whichever event arrives first", async () => {
    const session = await checkout();
    // The invoice's event before the session's, the charge's after: Stripe doesn't order events.
    expect(StripeHookResult.parse((await deliver(invoicePaid("in_1", "https://invoice.stripe.com/i/acct_1/test_1"))).body).outcome).toBe("document_recorded");
    expect(StripeHookResult.parse((await deliver(completed(session, "in_1"))).body).outcome).toBe("granted");
    expect((await purchases())[0]).toMatchObject({ invoiceUrl: "https://invoice.stripe.com/i/acct_1/test_1", receiptUrl: null });
    expect(StripeHookResult.parse((await deliver(chargeSucceeded(session, "https://pay.stripe.com/receipts/payment/abc"))).body).outcome).toBe(
      "document_recorded",
    );
    expect((await purchases())[0]).toMatchObject({
      sessionId: session.id,
      receiptUrl: "https://pay.stripe.com/receipts/payment/abc",
      invoiceUrl: "https://invoice.stripe.com/i/acct_1/test_1",
    });
    expect(Wallet.parse((await ledger.call("GET", "/v1/wallets/org:42")).body).balance).toBe(500);

    const link = CustomerLink.parse((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
    const page = await (await ledger.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")))).text();
    expect(page).toContain('<a href="https://pay.stripe.com/receipts/payment/abc"');
    expect(page).toContain('<a href="https://invoice.stripe.com/i/acct_1/test_1"');
  });

  it("keeps no receipt from another tenant's charge or with an address that isn't a web page", async () => {
    const session = await checkout();
    await deliver(completed(session, null));
    expect(
      StripeHookResult.parse((await deliver(chargeSucceeded(session, "https://pay.stripe.com/r/other", ours({ tenant_id: "tnt_other" })))).body).outcome,
    ).toBe("ignored");
    expect(StripeHookResult.parse((await deliver(chargeSucceeded(session, "javascript:alert(1)"))).body).outcome).toBe("ignored");
    expect((await purchases())[0]).toMatchObject({ receiptUrl: null, invoiceUrl: null });
    const link = CustomerLink.parse((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
    const page = await (await ledger.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")))).text();
    expect(page).toContain("Receipt on its way");
    expect(page).not.toContain("javascript:");
  });

  it("shows the last signed event and what the ledger did with it; an unsigned one changes nothing", async () => {
    expect(StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body).lastEvent).toBeNull();
    const session = await checkout();
    const paid = completed(session, null);
    await deliver(paid);
    const connection = StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body);
    expect(connection.lastEvent).toMatchObject({
      id: paid.id,
      type: "checkout.session.completed",
      outcome: "granted",
      detail: "500 credits granted to org:42",
    });
    expect(Date.parse(connection.lastEvent!.receivedAt)).toBe(ledger.clock.now().getTime());

    const forged = event("checkout.session.completed", { id: "cs_forged", object: "checkout.session", payment_status: "paid", metadata: ours() });
    expect((await deliver(forged, "whsec_notTheEndpointsSecret1234")).status).toBe(400);
    expect(StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body).lastEvent?.id).toBe(paid.id);

    const other = event("customer.created", { id: "cus_1", object: "customer" });
    await deliver(other);
    expect(StripeConnection.parse((await ledger.call("GET", "/v1/integrations/stripe")).body).lastEvent).toMatchObject({ id: other.id, outcome: "ignored" });
  });
});
