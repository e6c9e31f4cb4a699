/**
 * A hanging Stripe holds up only the checkout it was asked for: the ledger's other endpoints,
 * Stripe's own webhooks included, keep answering meanwhile, and the checkout completes once
 * Stripe answers.
 */
import { http, HttpResponse, passthrough } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, expect, it } from "vitest";
import { CheckoutSession, Wallet } from "../../src/contract/index.js";
import { startLedgerServer, type LedgerServer } from "../../src/ledger/node.js";
import { createTenant } from "../../src/ledger/core/tenants.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => (release = resolve));
let waiting = 0;
const server = setupServer(
  http.post("https://api.stripe.com/v1/checkout/sessions", async () => {
    waiting++;
    await released;
    return HttpResponse.json({
      id: "cs_test_slow",
      object: "checkout.session",
      url: "https://checkout.stripe.com/c/pay/cs_test_slow",
      payment_status: "unpaid",
    });
  }),
  http.all("http://127.0.0.1*", () => passthrough()),
);

let ledger: LedgerServer;
let apiKey: string;
let tenantId: string;
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${ledger.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      "content-type": "application/json",
      ...(method === "POST" ? { "idempotency-key": randomUUID() } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  ledger = await startLedgerServer({ port: 0, log: () => undefined });
  ({ tenantId, apiKey } = await createTenant(ledger.db, { name: `slow-stripe-${randomUUID()}` }));
  expect((await call("PUT", "/v1/config", { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000 }] })).status).toBe(200);
  expect((await call("PUT", "/v1/integrations/stripe", { secretKey: "sk_test_slowStripe12345", webhookSecret: "whsec_slowStripeSecret1234" })).status).toBe(
    200,
  );
});
afterAll(async () => {
  release();
  await ledger?.close();
  server.close();
});

it("keeps every other endpoint answering while a checkout waits on Stripe", async () => {
  const pending = call("POST", "/v1/checkout-sessions", { owner: "org:1", packId: "pack-500" });
  await expect.poll(() => waiting, { timeout: 10_000 }).toBe(1);
  for (let i = 0; i < 10; i++) {
    expect((await call("POST", "/v1/wallets/org:2/grants", { amount: 10, reason: "meanwhile" })).status).toBe(201);
    expect(Wallet.parse(await (await call("GET", "/v1/wallets/org:2")).json()).balance).toBe(10 * (i + 1));
  }
  // Stripe's webhooks are not held up either.
  const payload = JSON.stringify({ id: "evt_1", object: "event", type: "customer.created", data: { object: {} } });
  const signature = new Stripe("sk_test_x").webhooks.generateTestHeaderString({ payload, secret: "whsec_slowStripeSecret1234" });
  const hook = await fetch(`${ledger.url}/hooks/stripe/${tenantId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": signature },
    body: payload,
  });
  expect(hook.status).toBe(200);
  expect(waiting).toBe(1); // still unanswered all along

  release();
  const response = await pending;
  expect(response.status).toBe(201);
  expect(CheckoutSession.parse(await response.json()).id).toBe("cs_test_slow");
});
