/**
 * The development host's Stripe simulation against a real ledger over loopback: the ledger's
 * `stripe` package creates the session there, the simulated Checkout's Pay sends events signed by
 * the `stripe` package with the endpoint's secret, and the ledger accepts them (once) or, signed
 * with another secret, refuses them and changes nothing. Its API answers as Stripe's does to a
 * wrong key, a reused idempotency key and a missing parameter.
 */
import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckoutSession, PurchasePage, StripeConnection, StripeHookResult, Wallet } from "../../src/contract/index.js";
import { startStripeStandIn, type StripeStandIn } from "../../src/devhost/stripe/server.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { startLedgerServer, type LedgerServer } from "../../src/ledger/node.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

describe("the Stripe simulation and the ledger", () => {
  let stripe: StripeStandIn;
  let ledger: LedgerServer;
  let tenant: { tenantId: string; apiKey: string };

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${ledger.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${tenant.apiKey}`,
        "content-type": "application/json",
        ...(method === "POST" ? { "idempotency-key": crypto.randomUUID() } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as unknown };
  };
  const balance = async (owner: string) => Wallet.parse((await call("GET", `/v1/wallets/${owner}`)).body).balance;
  /** The customer fills in the simulated Checkout and presses Pay. */
  const pay = (url: string) =>
    fetch(url, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email: "ada@example.com", country: "GB", line1: "1 Main St", city: "London", postal_code: "N1 1AA", tax_id: "" }).toString(),
    });

  beforeAll(async () => {
    stripe = await startStripeStandIn({ port: 0 });
    ledger = await startLedgerServer({ port: 0, log: () => undefined, allowPrivateNetwork: true, stripeApiUrl: stripe.url, scheduler: false });
    tenant = await createTenant(ledger.db, { name: "Stand-in test" });
    expect((await call("PUT", "/v1/config", { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }] })).status).toBe(
      200,
    );
    expect((await call("PUT", "/v1/integrations/stripe", { secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret })).status).toBe(200);
    stripe.setEndpoint(`${ledger.url}/hooks/stripe/${tenant.tenantId}`);
  });
  afterAll(async () => {
    await ledger?.close();
    await stripe?.close();
  });

  it("grants the pack once for the simulated payment, and once only when Stripe sends the event again", async () => {
    const session = CheckoutSession.parse((await call("POST", "/v1/checkout-sessions", { owner: "org:1", packId: "pack-500" })).body);
    expect(session.url.startsWith(`${stripe.url}/c/pay/cs_test_`)).toBe(true);
    const page = await (await fetch(session.url)).text();
    expect(page).toContain("500 credits of support");
    expect(page).toContain("Pay $250.00");
    expect(page).toContain('name="postal_code"'); // the billing address the ledger asked for
    expect(page).toContain('name="tax_id"');

    const paid = await pay(session.url);
    expect(paid.status).toBe(303);
    expect(paid.headers.get("location")).toMatch(/\?checkout=success$/);
    expect(stripe.deliveries.map((d) => [d.type, d.status])).toEqual([
      ["charge.succeeded", 200],
      ["checkout.session.completed", 200],
      ["invoice.finalized", 200],
      ["invoice.paid", 200],
    ]);
    expect(await balance("org:1")).toBe(500);
    const [purchase] = PurchasePage.parse((await call("GET", "/v1/wallets/org:1/purchases")).body).purchases;
    expect(purchase).toMatchObject({
      sessionId: session.id,
      state: "paid",
      receiptUrl: expect.stringMatching(/\/receipts\/ch_/),
      invoiceUrl: expect.stringMatching(/\/invoices\/in_/),
    });

    const completed = stripe.deliveries.find((d) => d.type === "checkout.session.completed")!;
    expect(StripeHookResult.parse(JSON.parse((await stripe.resend(completed.eventId)).body)).outcome).toBe("already_granted");
    expect(await balance("org:1")).toBe(500);
    // Pay again on a paid session: nothing is charged or sent.
    const count = stripe.deliveries.length;
    expect((await pay(session.url)).status).toBe(303);
    expect(stripe.deliveries.length).toBe(count);
  });

  it("sends the session as Stripe documents it, and the ledger's metadata on the charge", async () => {
    const session = CheckoutSession.parse((await call("POST", "/v1/checkout-sessions", { owner: "org:2", packId: "pack-500" })).body);
    const client = new Stripe(stripe.secretKey, { host: "127.0.0.1", port: Number(new URL(stripe.url).port), protocol: "http" });
    const open = await client.checkout.sessions.retrieve(session.id);
    expect(open).toMatchObject({ object: "checkout.session", status: "open", payment_status: "unpaid", amount_total: 25_000, currency: "usd" });
    expect(open).toMatchObject({ billing_address_collection: "required", tax_id_collection: { enabled: true }, invoice_creation: { enabled: true } });
    await pay(session.url);
    const done = await client.checkout.sessions.retrieve(session.id);
    expect(done).toMatchObject({
      status: "complete",
      payment_status: "paid",
      url: null,
      customer_details: { email: "ada@example.com", address: { country: "GB" } },
    });
    const [purchase] = PurchasePage.parse((await call("GET", "/v1/wallets/org:2/purchases")).body).purchases;
    const charge = await client.charges.retrieve(purchase!.receiptUrl!.split("/").at(-1)!);
    expect(charge).toMatchObject({ object: "charge", amount: 25_000, payment_intent: done.payment_intent, receipt_url: purchase!.receiptUrl });
    expect(charge.metadata).toMatchObject({ tenant_id: tenant.tenantId, owner: "org:2", pack_id: "pack-500" });
  });

  it("is refused by the ledger, changing nothing, when signed with another secret", async () => {
    const impostor = await startStripeStandIn({ port: 0 });
    try {
      impostor.setEndpoint(`${ledger.url}/hooks/stripe/${tenant.tenantId}`);
      const before = StripeConnection.parse((await call("GET", "/v1/integrations/stripe")).body).lastEvent;
      // The ledger talks to the real stand-in; the impostor only replays its own copy of a paid session.
      const session = CheckoutSession.parse((await call("POST", "/v1/checkout-sessions", { owner: "org:3", packId: "pack-500" })).body);
      const event = {
        id: "evt_impostor",
        object: "event",
        type: "checkout.session.completed",
        created: 1,
        data: {
          object: { id: session.id, object: "checkout.session", payment_status: "paid", payment_intent: "pi_x", metadata: { tenant_id: tenant.tenantId } },
        },
      };
      const payload = JSON.stringify(event);
      const signature = new Stripe(impostor.secretKey).webhooks.generateTestHeaderString({ payload, secret: impostor.webhookSecret });
      const refused = await fetch(`${ledger.url}/hooks/stripe/${tenant.tenantId}`, {
        method: "POST",
        headers: { "stripe-signature": signature, "content-type": "application/json" },
        body: payload,
      });
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ code: "invalid_signature" });
      expect(await balance("org:3")).toBe(0);
      expect(StripeConnection.parse((await call("GET", "/v1/integrations/stripe")).body).lastEvent).toEqual(before);
    } finally {
      await impostor.close();
    }
  });

  it("answers a wrong key, a reused idempotency key and a missing parameter as Stripe does", async () => {
    const port = Number(new URL(stripe.url).port);
    const wrong = new Stripe("sk_test_notTheKey123456", { host: "127.0.0.1", port, protocol: "http", maxNetworkRetries: 0 });
    await expect(wrong.checkout.sessions.retrieve("cs_test_x")).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
    const client = new Stripe(stripe.secretKey, { host: "127.0.0.1", port, protocol: "http", maxNetworkRetries: 0 });
    const params = (unit_amount: number): Stripe.Checkout.SessionCreateParams => ({
      mode: "payment",
      success_url: "http://127.0.0.1/ok",
      cancel_url: "http://127.0.0.1/back",
      line_items: [{ quantity: 1, price_data: { currency: "usd", unit_amount, product_data: { name: "Pack" } } }],
    });
    const first = await client.checkout.sessions.create(params(100), { idempotencyKey: "k1" });
    expect((await client.checkout.sessions.create(params(100), { idempotencyKey: "k1" })).id).toBe(first.id);
    await expect(client.checkout.sessions.create(params(200), { idempotencyKey: "k1" })).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    await expect(client.checkout.sessions.create({ ...params(100), success_url: undefined as unknown as string })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
    await expect(client.checkout.sessions.retrieve("cs_test_missing")).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it("connects as an admin would with a fresh install: key and signing secret copied from its Dashboard page, the endpoint given there", async () => {
    // A ledger of its own, whose Stripe is this simulation (as npm start's).
    const fresh = await startStripeStandIn({ port: 0 });
    const freshLedger = await startLedgerServer({ port: 0, log: () => undefined, allowPrivateNetwork: true, stripeApiUrl: fresh.url, scheduler: false });
    try {
      const other = await createTenant(freshLedger.db, { name: "Fresh install" });
      const asOther = (method: string, path: string, body?: unknown) =>
        fetch(`${freshLedger.url}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${other.apiKey}`,
            "content-type": "application/json",
            ...(method === "POST" ? { "idempotency-key": crypto.randomUUID() } : {}),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      const copied = (html: string, testId: string) => html.match(new RegExp(`data-testid="${testId}">([^<]+)<`))?.[1];

      const before = await (await fetch(`${fresh.url}/`)).text();
      expect(copied(before, "secret-key")).toBe(fresh.secretKey);
      expect(copied(before, "signing-secret")).toBeUndefined(); // no endpoint yet, no secret to copy

      const form = (url: string) =>
        fetch(`${fresh.url}/dashboard/webhook`, {
          method: "POST",
          redirect: "manual",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ url }),
        });
      const refused = await form("https://example.com/hooks/stripe/x");
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("on this machine");
      expect(await form(`${freshLedger.url}/hooks/stripe/${other.tenantId}`)).toMatchObject({ status: 303 });
      const secret = copied(await (await fetch(`${fresh.url}/`)).text(), "signing-secret");
      expect(secret).toBe(fresh.webhookSecret);

      expect((await asOther("PUT", "/v1/config", { packs: [{ id: "p", label: "100 credits", credits: 100, price: 5_000, currency: "usd" }] })).status).toBe(
        200,
      );
      expect((await asOther("PUT", "/v1/integrations/stripe", { secretKey: copied(before, "secret-key"), webhookSecret: secret })).status).toBe(200);
      const session = CheckoutSession.parse(await (await asOther("POST", "/v1/checkout-sessions", { owner: "org:9", packId: "p" })).json());
      expect((await pay(session.url)).status).toBe(303);
      expect(fresh.deliveries.map((d) => [d.type, d.status])).toContainEqual(["checkout.session.completed", 200]);
      expect(Wallet.parse(await (await asOther("GET", "/v1/wallets/org:9")).json()).balance).toBe(100);
    } finally {
      await freshLedger.close();
      await fresh.close();
    }
  });
});
