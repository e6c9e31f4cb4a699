/**
 * Credit packs priced in more than one currency, with the real `stripe` package (msw answers
 * Stripe's API): checkout charges the chosen currency's price, the customer page shows the packs
 * in the chosen currency, the purchase and the finance report carry that currency's money, and a
 * configuration with a single price stays valid.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CheckoutSession, ConfigResponse, CustomerLink, FinanceReport, PurchasePage, StripeHookResult } from "../../src/contract/index.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, openTestDatabase, type TestLedger } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const SECRET_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUv";
const WEBHOOK_SECRET = "whsec_testsecretAbCdEfGhIjKlMn";
const signer = new Stripe(SECRET_KEY);

/** What the ledger asked Stripe's Checkout Sessions endpoint for (https://docs.stripe.com/api/checkout/sessions/create). */
const created: URLSearchParams[] = [];
const server = setupServer(
  http.post("https://api.stripe.com/v1/checkout/sessions", async ({ request }) => {
    const body = new URLSearchParams(await request.text());
    created.push(body);
    const id = `cs_test_${randomBytes(12).toString("hex")}`;
    return HttpResponse.json({ id, object: "checkout.session", mode: "payment", url: `https://checkout.stripe.com/c/pay/${id}`, payment_status: "unpaid" });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const PACK = {
  id: "pack-500",
  label: "500 credits",
  credits: 500,
  price: 25_000,
  currency: "usd",
  prices: [
    { currency: "eur", price: 22_000 },
    { currency: "jpy", price: 35_000 },
  ],
};
const USD_ONLY = { id: "pack-100", label: "100 credits", credits: 100, price: 6_000, currency: "usd" };

describe.each(backends())("packs in more than one currency on %s", (backend) => {
  let ledger: TestLedger;
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    ledger = await createTestLedger(backend, { db });
    ledger.clock.set("2026-05-12T10:00:00.000Z");
    created.length = 0;
    expect((await ledger.call("PUT", "/v1/config", { body: { packs: [PACK, USD_ONLY] } })).status).toBe(200);
    expect((await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } })).status).toBe(200);
  });
  afterEach(() => ledger.close());

  const deliver = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const headers = {
      "content-type": "application/json",
      "stripe-signature": signer.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }),
    };
    return ledger.call("POST", `/hooks/stripe/${ledger.tenantId}`, { rawBody: body, headers, key: null, idempotencyKey: null });
  };
  const completed = (session: CheckoutSession) => ({
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type: "checkout.session.completed",
    api_version: "2025-01-01",
    created: 1,
    data: {
      object: {
        id: session.id,
        object: "checkout.session",
        payment_status: "paid",
        payment_intent: `pi_${session.id}`,
        metadata: { tenant_id: ledger.tenantId, owner: session.owner, pack_id: session.packId },
      },
    },
  });
  /** Checkout sessions the ledger recorded (the API lists only those paid for). */
  const recorded = async () =>
    (
      await db.query<{ amount: string; currency: string }>("SELECT amount::text, currency FROM stripe_purchases WHERE tenant_id = $1 ORDER BY created_at", [
        ledger.tenantId,
      ])
    ).map((r) => ({ amount: Number(r.amount), currency: r.currency }));
  const open = async (url: string, init: RequestInit = {}) => {
    const response = await ledger.fetch(new Request(url.replace(/^https?:\/\/[^/]+/, "http://ledger.test"), init));
    return { status: response.status, text: await response.text(), location: response.headers.get("location") };
  };

  it("charges the chosen currency's price at Stripe, records it, and the finance report counts that money", async () => {
    const response = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500", currency: "eur" } });
    expect(response.status).toBe(201);
    const session = CheckoutSession.parse(response.body);
    expect(session).toMatchObject({ amount: 22_000, currency: "eur", credits: 500 });
    const [sent] = created;
    expect(sent?.get("line_items[0][price_data][currency]")).toBe("eur");
    expect(sent?.get("line_items[0][price_data][unit_amount]")).toBe("22000");

    expect(StripeHookResult.parse((await deliver(completed(session))).body).outcome).toBe("granted");
    const [purchase] = PurchasePage.parse((await ledger.call("GET", "/v1/wallets/org:42/purchases")).body).purchases;
    expect(purchase).toMatchObject({ amount: 22_000, currency: "eur", state: "paid" });

    const report = FinanceReport.parse((await ledger.call("GET", "/v1/reports/finance?from=2026-05&to=2026-05")).body);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0]).toMatchObject({ bank: "org:42", sold: 500, outstanding: 500 });
    expect(report.rows[0]!.sales).toEqual([{ currency: "eur", credits: 500, amountMinor: 22_000, amountMajor: "220.00" }]);
    const csv = await ledger.call("GET", "/v1/reports/finance?from=2026-05&to=2026-05", { headers: { accept: "text/csv" } });
    expect(csv.text.split("\r\n")[1]).toBe("2026-05,2026-05-01,2026-05-31,org:42,,0,500,0,0,0,0,0,500,EUR,22000,220.00");
  });

  it("puts a second currency's sale in the same month on a row of its own, so the CSV's columns still sum", async () => {
    for (const currency of ["jpy", "usd"]) {
      const session = CheckoutSession.parse(
        (await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500", currency } })).body,
      );
      expect((await deliver(completed(session))).status).toBe(200);
    }
    expect(created.map((b) => [b.get("line_items[0][price_data][currency]"), b.get("line_items[0][price_data][unit_amount]")])).toEqual([
      ["jpy", "35000"],
      ["usd", "25000"],
    ]);
    const csv = await ledger.call("GET", "/v1/reports/finance?from=2026-05&to=2026-05", { headers: { accept: "text/csv" } });
    expect(csv.text.split("\r\n").slice(1, -1)).toEqual([
      "2026-05,2026-05-01,2026-05-31,org:42,,0,500,0,0,0,0,0,1000,JPY,35000,35000",
      "2026-05,2026-05-01,2026-05-31,org:42,,0,500,0,0,0,0,0,0,USD,25000,250.00",
    ]);
  });

  it("keeps the pack's own price when no currency is asked for, and refuses a currency the pack isn't sold in without calling Stripe", async () => {
    const own = CheckoutSession.parse((await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500" } })).body);
    expect(own).toMatchObject({ amount: 25_000, currency: "usd" });
    expect(created).toHaveLength(1);
    const refused = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-100", currency: "eur" } });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: "unknown_pack", detail: expect.stringMatching(/no price in EUR; it is sold in USD/) });
    expect((await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500", currency: "EUR" } })).status).toBe(400);
    expect(created).toHaveLength(1);
    expect(await recorded()).toEqual([{ amount: 25_000, currency: "usd" }]);
  });

  it("refuses the same Idempotency-Key for another currency of the same pack", async () => {
    const key = randomUUID();
    const first = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500", currency: "eur" }, idempotencyKey: key });
    expect(first.status).toBe(201);
    const again = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500", currency: "jpy" }, idempotencyKey: key });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("idempotency_key_reused");
    expect(created).toHaveLength(1);
  });

  it("keeps a single-price configuration valid, and refuses a pack priced twice in one currency", async () => {
    const saved = ConfigResponse.parse((await ledger.call("GET", "/v1/config")).body);
    expect(saved.config.packs.find((p) => p.id === "pack-100")).toEqual({ ...USD_ONLY, prices: [] });
    const twice = await ledger.call("PUT", "/v1/config", { body: { packs: [{ ...PACK, prices: [{ currency: "usd", price: 100 }] }] } });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(twice.body.errors)).toMatch(/packs\.0\.prices\.0\.currency|"packs",0,"prices",0,"currency"/);
    expect(ConfigResponse.parse((await ledger.call("GET", "/v1/config")).body).version).toBe(saved.version);
  });

  it("shows the packs in the currency chosen on the customer page, and buys in it", async () => {
    const link = CustomerLink.parse((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
    const first = await open(link.url);
    expect(first.status).toBe(200);
    // Before a choice: every pack at its own price, and each currency the packs are sold in offered.
    expect(first.text).toContain("500 credits · $250.00");
    expect(first.text).toContain("100 credits · $60.00");
    expect(first.text).toMatch(/Prices in: <a href="\?currency=usd"[^>]*>USD<\/a> · <a href="\?currency=eur"[^>]*>EUR<\/a> · <a href="\?currency=jpy"/);

    const euros = await open(`${link.url}?currency=eur`);
    expect(euros.text).toContain("500 credits · €220.00");
    expect(euros.text).not.toContain("$250.00");
    // The dollar-only pack isn't offered in euros.
    expect(euros.text).not.toContain("Buy 100 credits");
    expect(euros.text).toContain('<input type="hidden" name="currency" value="eur">');
    expect(euros.text).toContain('<strong aria-current="true">EUR</strong>');
    // A currency no pack is sold in shows the packs' own.
    expect((await open(`${link.url}?currency=chf`)).text).toContain("500 credits · $250.00");

    const bought = await open(`${link.url}/checkout`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "packId=pack-500&currency=jpy",
    });
    expect(bought.status).toBe(303);
    expect(bought.location).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    expect(created.at(-1)?.get("line_items[0][price_data][currency]")).toBe("jpy");
    expect(created.at(-1)?.get("line_items[0][price_data][unit_amount]")).toBe("35000");
    expect(await recorded()).toEqual([{ amount: 35_000, currency: "jpy" }]);
  });
});
