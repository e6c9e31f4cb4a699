/**
 * Buying credits by card with the real `stripe` package: msw answers Stripe's API, and webhook
 * signatures are made with Stripe's own generateTestHeaderString.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CheckoutSession, CustomerLink, EntryPage, PurchasePage, StripeConnection, StripeHookResult, Wallet } from "../../src/contract/index.js";
import { stripeApiAddress } from "../../src/ledger/integrations/stripe/client.js";
import { ledgerEnv, startLedgerServer } from "../../src/ledger/node.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, DAY, openTestDatabase, type TestLedger } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const SECRET_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUv";
const WEBHOOK_SECRET = "whsec_testsecretAbCdEfGhIjKlMn";
const signer = new Stripe(SECRET_KEY);

const created: { body: URLSearchParams; idempotencyKey: string | null }[] = [];
/**
 * Stripe's Checkout Sessions endpoint as its idempotency works (https://docs.stripe.com/api/idempotent_requests):
 * a key is at most 255 characters; the first answer for a key is saved and a retry with the same
 * parameters gets it again; a retry with other parameters is refused with `idempotency_error`.
 */
const stripeKeys = new Map<string, { params: string; session: Record<string, unknown> }>();
/** How many of the next answers to lose on the way back (Stripe did the work; the ledger never hears). */
let answersToLose = 0;
const stripeError = (type: string, message: string) => HttpResponse.json({ error: { type, message } }, { status: 400 });
const checkoutSessions = (origin: string) =>
  http.post(`${origin}/v1/checkout/sessions`, async ({ request }) => {
    const text = await request.text();
    const body = new URLSearchParams(text);
    const idempotencyKey = request.headers.get("idempotency-key");
    created.push({ body, idempotencyKey });
    if (idempotencyKey && idempotencyKey.length > 255)
      return stripeError("invalid_request_error", "Keys for idempotent requests can only be 255 characters long.");
    const saved = idempotencyKey ? stripeKeys.get(idempotencyKey) : undefined;
    if (saved && saved.params !== text)
      return stripeError("idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
    const id = `cs_test_${randomBytes(12).toString("hex")}`;
    const session = saved?.session ?? {
      id,
      object: "checkout.session",
      mode: "payment",
      url: `${origin.replace("api.", "checkout.")}/c/pay/${id}`,
      payment_status: "unpaid",
      status: "open",
    };
    if (idempotencyKey && !saved) stripeKeys.set(idempotencyKey, { params: text, session });
    if (answersToLose > 0) {
      answersToLose--;
      return HttpResponse.error();
    }
    return HttpResponse.json(session);
  });
/** Where an operator's stand-in for Stripe listens in the test of LEDGER_STRIPE_API_URL (loopback; msw answers). */
const STAND_IN = "http://127.0.0.1:12111";
const server = setupServer(checkoutSessions("https://api.stripe.com"), checkoutSessions(STAND_IN));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
afterEach(() => {
  server.resetHandlers();
  answersToLose = 0;
});

describe.each(backends())("card purchases on %s", (backend) => {
  let ledger: TestLedger;
  // One database per backend for the file (a fresh PGlite costs seconds); every test has its own tenant.
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    ledger = await createTestLedger(backend, { db });
    created.length = 0;
    const config = await ledger.call("PUT", "/v1/config", {
      body: { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }] },
    });
    expect(config.status).toBe(200);
    const connected = await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } });
    expect(connected.status).toBe(200);
  });
  afterEach(() => ledger.close());

  const balance = async (owner: string) => Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const entries = async (owner: string) => EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=100`)).body).entries;
  const checkout = async (owner = "org:42") => {
    const response = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner, packId: "pack-500" } });
    expect(response.status).toBe(201);
    return CheckoutSession.parse(response.body);
  };
  const event = (type: string, object: Record<string, unknown>) => ({
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type,
    api_version: "2025-01-01",
    created: 1,
    data: { object },
  });
  const deliver = async (payload: unknown, options: { secret?: string; signature?: string | null } = {}) => {
    const body = JSON.stringify(payload);
    const signature =
      options.signature === undefined
        ? signer.webhooks.generateTestHeaderString({ payload: body, secret: options.secret ?? WEBHOOK_SECRET })
        : options.signature;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (signature !== null) headers["stripe-signature"] = signature;
    const response = await ledger.call("POST", `/hooks/stripe/${ledger.tenantId}`, { rawBody: body, headers, key: null, idempotencyKey: null });
    return { status: response.status, body: response.body as unknown, text: response.text };
  };
  const completed = (session: CheckoutSession, paymentStatus = "paid") =>
    event("checkout.session.completed", {
      id: session.id,
      object: "checkout.session",
      payment_status: paymentStatus,
      payment_intent: `pi_${session.id}`,
      metadata: { tenant_id: ledger.tenantId, owner: session.owner, pack_id: session.packId },
    });
  const asyncSucceeded = (session: CheckoutSession) =>
    event("checkout.session.async_payment_succeeded", {
      id: session.id,
      object: "checkout.session",
      payment_status: "paid",
      payment_intent: `pi_${session.id}`,
      metadata: { tenant_id: ledger.tenantId, owner: session.owner, pack_id: session.packId },
    });

  it("keeps the Stripe keys sealed: the API says only whether they are set", async () => {
    const got = await ledger.call("GET", "/v1/integrations/stripe");
    expect(StripeConnection.parse(got.body)).toMatchObject({ secretKeySet: true, webhookSecretSet: true, mode: "test", secretKeyLast4: "StUv" });
    expect(got.text).not.toContain(SECRET_KEY);
    expect(got.text).not.toContain(WEBHOOK_SECRET);
    const bad = await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: "pk_live_public" } });
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain("pk_live_public");
  });

  it("creates a Checkout Session for a pack and a bank, with the tenant, bank and pack in its metadata", async () => {
    const session = await checkout();
    expect(session).toMatchObject({ owner: "org:42", packId: "pack-500", credits: 500, amount: 25_000, currency: "usd" });
    expect(session.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const sent = created[0]!;
    expect(sent.body.get("mode")).toBe("payment");
    expect(sent.body.get("metadata[tenant_id]")).toBe(ledger.tenantId);
    expect(sent.body.get("metadata[owner]")).toBe("org:42");
    expect(sent.body.get("metadata[pack_id]")).toBe("pack-500");
    expect(sent.body.get("line_items[0][price_data][unit_amount]")).toBe("25000");
    expect(sent.idempotencyKey).toMatch(/^checkout_[0-9a-f]{64}$/);
    expect(sent.body.get("success_url")).toMatch(/\/pay\/[^/]+\?checkout=success$/);
    const unknown = await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-9" } });
    expect(unknown.status).toBe(422);
  });

  it("grants the pack once however often, and in whatever order, the session's events arrive", async () => {
    const session = await checkout();
    const first = completed(session);
    expect(StripeHookResult.parse((await deliver(first)).body).outcome).toBe("granted");
    expect(StripeHookResult.parse((await deliver(first)).body).outcome).toBe("already_granted");
    expect(StripeHookResult.parse((await deliver(asyncSucceeded(session))).body).outcome).toBe("already_granted");
    expect(await balance("org:42")).toBe(500);
    const grants = (await entries("org:42")).filter((e) => e.kind === "grant");
    expect(grants).toHaveLength(1);
    expect(grants[0]!.reason).toContain("$250.00");
    const wallet = Wallet.parse((await ledger.call("GET", "/v1/wallets/org:42")).body);
    expect(wallet.grants[0]).toMatchObject({ source: "purchase", paid: true, amount: 500 });
    const purchases = PurchasePage.parse((await ledger.call("GET", "/v1/wallets/org:42/purchases")).body).purchases;
    expect(purchases).toEqual([expect.objectContaining({ sessionId: session.id, state: "paid", credits: 500, amount: 25_000 })]);
  });

  it("grants a paid session even when a client used the ledger's own key for it first (keys live in separate scopes)", async () => {
    const session = await checkout("org:43");
    // A client, with the tenant key, squats on the key the fulfilment uses internally.
    const squat = await ledger.call("POST", "/v1/wallets/org:43/grants", {
      body: { amount: 1, reason: "squat" },
      idempotencyKey: `stripe:checkout:${session.id}`,
    });
    expect(squat.status).toBe(201);
    expect(StripeHookResult.parse((await deliver(completed(session))).body).outcome).toBe("granted");
    expect(await balance("org:43")).toBe(501);
    // And the client's key still replays the client's own answer.
    const again = await ledger.call("POST", "/v1/wallets/org:43/grants", {
      body: { amount: 1, reason: "squat" },
      idempotencyKey: `stripe:checkout:${session.id}`,
    });
    expect([again.status, again.headers.get("idempotent-replayed"), again.text]).toEqual([201, "true", squat.text]);
  });

  it("waits for a delayed payment, then grants on async_payment_succeeded", async () => {
    const session = await checkout();
    expect(StripeHookResult.parse((await deliver(completed(session, "unpaid"))).body).outcome).toBe("not_paid_yet");
    expect(await balance("org:42")).toBe(0);
    expect(StripeHookResult.parse((await deliver(asyncSucceeded(session))).body).outcome).toBe("granted");
    expect(StripeHookResult.parse((await deliver(completed(session))).body).outcome).toBe("already_granted");
    expect(await balance("org:42")).toBe(500);
  });

  it("grants once when two events for one session arrive at the same moment", async () => {
    const session = await checkout();
    const results = await Promise.all([deliver(completed(session)), deliver(asyncSucceeded(session)), deliver(completed(session))]);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(results.map((r) => StripeHookResult.parse(r.body).outcome).filter((o) => o === "granted")).toHaveLength(1);
    expect(await balance("org:42")).toBe(500);
    expect((await entries("org:42")).filter((e) => e.kind === "grant")).toHaveLength(1);
  });

  it("refuses a forged or missing signature with 400 and writes nothing", async () => {
    const session = await checkout();
    const forged = await deliver(completed(session), { secret: "whsec_someoneelsesSecretXYZ" });
    expect(forged.status).toBe(400);
    expect(forged.text).toContain("invalid_signature");
    expect(forged.text).not.toContain(WEBHOOK_SECRET);
    expect((await deliver(completed(session), { signature: null })).status).toBe(400);
    expect((await deliver(completed(session), { signature: "t=1,v1=abc" })).status).toBe(400);
    expect(await balance("org:42")).toBe(0);
    expect(await entries("org:42")).toHaveLength(0);
  });

  it("refuses a webhook body over 512 KiB with 413, even correctly signed, and grants nothing", async () => {
    const session = await checkout();
    const huge = completed(session);
    (huge.data.object as Record<string, unknown>).padding = "x".repeat(513 * 1024);
    const r = await deliver(huge);
    expect(r.status).toBe(413);
    expect(r.text).toContain("payload_too_large");
    expect(await balance("org:42")).toBe(0);
  });

  it("acknowledges and ignores other events", async () => {
    const result = await deliver(event("customer.created", { id: "cus_1", object: "customer" }));
    expect(result.status).toBe(200);
    expect(StripeHookResult.parse(result.body).outcome).toBe("ignored");
  });

  it("takes back what remains of the grant on a refund, says when less remained, and does it once", async () => {
    const session = await checkout();
    await deliver(completed(session));
    const spend = await ledger.call("POST", "/v1/wallets/org:42/debits", { body: { kind: "manual", amount: 200, reason: "setup work" } });
    expect(spend.status).toBe(201);
    const refunded = event("charge.refunded", {
      id: "ch_1",
      object: "charge",
      payment_intent: `pi_${session.id}`,
      amount: 25_000,
      amount_refunded: 25_000,
      currency: "usd",
      refunded: true,
    });
    const result = StripeHookResult.parse((await deliver(refunded)).body);
    expect(result.outcome).toBe("reversed");
    expect(result.detail).toContain("only 300 remained of the 500 bought");
    expect(await balance("org:42")).toBe(0);
    const voids = (await entries("org:42")).filter((e) => e.kind === "void");
    expect(voids).toHaveLength(1);
    expect(voids[0]!.amount).toBe(-300);
    expect(StripeHookResult.parse((await deliver(refunded)).body).outcome).toBe("already_reversed");
    expect((await entries("org:42")).filter((e) => e.kind === "void")).toHaveLength(1);
    const purchases = PurchasePage.parse((await ledger.call("GET", "/v1/wallets/org:42/purchases")).body).purchases;
    expect(purchases[0]).toMatchObject({ state: "refunded", creditsReversed: 300 });
  });

  /** Stripe's charge.refunded: `amount_refunded` is the charge's refunds so far, not this refund's. */
  const refundedSoFar = (session: CheckoutSession, cents: number) =>
    event("charge.refunded", {
      id: `ch_${session.id}`,
      object: "charge",
      payment_intent: `pi_${session.id}`,
      amount: 25_000,
      amount_refunded: cents,
      currency: "usd",
      refunded: cents === 25_000,
    });
  const purchase = async (owner = "org:42") => PurchasePage.parse((await ledger.call("GET", `/v1/wallets/${owner}/purchases`)).body).purchases[0]!;
  const voids = async (owner = "org:42") => (await entries(owner)).filter((e) => e.kind === "void");

  it("takes back the refunded share of a partial refund, and each later refund only what its new total adds", async () => {
    const session = await checkout(); // 500 credits for $250.00
    await deliver(completed(session));
    const first = StripeHookResult.parse((await deliver(refundedSoFar(session, 5_000))).body); // $50
    expect(first).toMatchObject({ outcome: "reversed", detail: expect.stringContaining("100 credits taken back") });
    expect(await balance("org:42")).toBe(400);
    expect(await purchase()).toMatchObject({ state: "paid", amountRefunded: 5_000, creditsReversed: 100 });
    const [taken] = await voids();
    expect(taken).toMatchObject({ amount: -100, reason: expect.stringMatching(/\$50\.00 of \$250\.00.*100 of the 500 credits/) });

    const link = CustomerLink.parse((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
    const page = await (await ledger.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")))).text();
    expect(page).toContain("$50.00 refunded; 100 credits taken back");

    // Stripe's next event says $150 refunded so far: $100 more, 200 more credits.
    expect(StripeHookResult.parse((await deliver(refundedSoFar(session, 15_000))).body).outcome).toBe("reversed");
    expect(await balance("org:42")).toBe(200);
    expect(await purchase()).toMatchObject({ state: "paid", amountRefunded: 15_000, creditsReversed: 300 });
    // Redeliveries, in any order, take nothing more.
    for (const cents of [5_000, 15_000]) expect(StripeHookResult.parse((await deliver(refundedSoFar(session, cents))).body).outcome).toBe("already_reversed");
    expect((await voids()).map((e) => e.amount)).toEqual([-200, -100]);

    // The rest of the money: the rest of the credits, and the purchase is refunded.
    expect(StripeHookResult.parse((await deliver(refundedSoFar(session, 25_000))).body).outcome).toBe("reversed");
    expect(await balance("org:42")).toBe(0);
    expect(await purchase()).toMatchObject({ state: "refunded", amountRefunded: 25_000, creditsReversed: 500 });
  });

  it("never takes back more than remains of the pack, and says what it took", async () => {
    const session = await checkout();
    await deliver(completed(session));
    expect((await ledger.call("POST", "/v1/wallets/org:42/debits", { body: { kind: "manual", amount: 460, reason: "work" } })).status).toBe(201);
    const partial = StripeHookResult.parse((await deliver(refundedSoFar(session, 5_000))).body);
    expect(partial.outcome).toBe("reversed");
    expect(partial.detail).toContain("only 40 remained");
    expect(await balance("org:42")).toBe(0);
    expect((await voids())[0]).toMatchObject({ amount: -40, reason: expect.stringContaining("only 40 remained") });
    expect(await purchase()).toMatchObject({ amountRefunded: 5_000, creditsReversed: 40 });
    // Nothing remains for the rest of the refund: recorded, nothing taken.
    const rest = StripeHookResult.parse((await deliver(refundedSoFar(session, 25_000))).body);
    expect(rest).toMatchObject({ outcome: "reversed", detail: expect.stringContaining("nothing was taken back") });
    expect(await voids()).toHaveLength(1);
    expect(await purchase()).toMatchObject({ state: "refunded", amountRefunded: 25_000, creditsReversed: 40 });
  });

  it("takes each refunded share once when Stripe's events arrive together", async () => {
    const session = await checkout();
    await deliver(completed(session));
    const events = [5_000, 15_000, 15_000, 5_000, 20_000].map((cents) => refundedSoFar(session, cents));
    const results = await Promise.all(events.map((e) => deliver(e)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await balance("org:42")).toBe(100); // $200 of $250 refunded: 400 of 500 credits back
    expect(await purchase()).toMatchObject({ amountRefunded: 20_000, creditsReversed: 400 });
    expect((await voids()).reduce((sum, e) => sum + e.amount, 0)).toBe(-400);
  });

  describe("retried checkouts", () => {
    const post = (body: unknown, idempotencyKey: string) => ledger.call("POST", "/v1/checkout-sessions", { body, idempotencyKey });

    it("gives a retry whose first answer was lost the same session: the return links are signed at the first attempt", async () => {
      const key = randomUUID();
      answersToLose = 3; // Stripe made the session; the answer, and the package's own retries of it, never came back.
      const lost = await post({ owner: "org:42", packId: "pack-500" }, key);
      expect(lost.status).toBe(502);
      ledger.clock.advance(60_000); // The client retries a minute later.
      const retried = await post({ owner: "org:42", packId: "pack-500" }, key);
      expect(retried.status).toBe(201);
      const session = CheckoutSession.parse(retried.body);
      // Stripe was asked the same thing every time, under the same key, and made one session.
      const asked = created.map((c) => c.body.toString());
      expect(new Set(asked).size).toBe(1);
      expect(new Set(created.map((c) => c.idempotencyKey)).size).toBe(1);
      expect([...stripeKeys.values()].filter((k) => k.session.id === session.id)).toHaveLength(1);
      // A third attempt replays the ledger's answer byte for byte, without asking Stripe.
      const before = created.length;
      const replay = await post({ owner: "org:42", packId: "pack-500" }, key);
      expect([replay.status, replay.headers.get("idempotent-replayed"), replay.text]).toEqual([201, "true", retried.text]);
      expect(created.length).toBe(before);
    });

    it("refuses the key for another pack, another bank or another route with 409 idempotency_key_reused, and asks Stripe nothing", async () => {
      expect(
        (
          await ledger.call("PUT", "/v1/config", {
            body: {
              packs: [
                { id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" },
                { id: "pack-1000", label: "1000 credits", credits: 1000, price: 45_000, currency: "usd" },
              ],
            },
          })
        ).status,
      ).toBe(200);
      const key = randomUUID();
      expect((await post({ owner: "org:42", packId: "pack-500" }, key)).status).toBe(201);
      const asked = created.length;
      for (const other of [
        { owner: "org:42", packId: "pack-1000" },
        { owner: "org:43", packId: "pack-500" },
      ]) {
        const reused = await post(other, key);
        expect(reused.status).toBe(409);
        expect(reused.body).toMatchObject({ code: "idempotency_key_reused" });
      }
      const grant = await ledger.call("POST", "/v1/wallets/org:42/grants", { body: { amount: 5, reason: "goodwill" }, idempotencyKey: key });
      expect([grant.status, (grant.body as { code?: string }).code]).toEqual([409, "idempotency_key_reused"]);
      expect(created.length).toBe(asked);
      // And a key a grant used first is refused for a checkout.
      const grantKey = randomUUID();
      expect((await ledger.call("POST", "/v1/wallets/org:42/grants", { body: { amount: 5, reason: "goodwill" }, idempotencyKey: grantKey })).status).toBe(201);
      expect((await post({ owner: "org:42", packId: "pack-500" }, grantKey)).status).toBe(409);
      expect(created.length).toBe(asked);
    });

    it("takes the longest key the ledger allows (255 characters): Stripe gets a fixed-length digest of it", async () => {
      const key = "k".repeat(254) + "1";
      const first = await post({ owner: "org:42", packId: "pack-500" }, key);
      expect(first.status).toBe(201);
      expect(created.at(-1)!.idempotencyKey!.length).toBeLessThanOrEqual(255);
      // Another key of the same length gets another digest, so another session.
      const second = await post({ owner: "org:42", packId: "pack-500" }, "k".repeat(254) + "2");
      expect(second.status).toBe(201);
      expect(created.at(-1)!.idempotencyKey).not.toBe(created.at(-2)!.idempotencyKey);
      expect(CheckoutSession.parse(second.body).id).not.toBe(CheckoutSession.parse(first.body).id);
    });

    it("makes one session when two attempts with one key arrive together", async () => {
      const key = randomUUID();
      const [a, b] = await Promise.all([post({ owner: "org:42", packId: "pack-500" }, key), post({ owner: "org:42", packId: "pack-500" }, key)]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(CheckoutSession.parse(a.body).id).toBe(CheckoutSession.parse(b.body).id);
    });
  });

  describe("a refund that overtakes its payment's event", () => {
    /** Stripe's charge: the payment intent's metadata, which the ledger set at checkout, copied onto it. */
    const chargeRefunded = (session: CheckoutSession, cents: number, metadata: Record<string, string> | null = { tenant_id: ledger.tenantId }) =>
      event("charge.refunded", {
        id: `ch_${session.id}`,
        object: "charge",
        payment_intent: `pi_${session.id}`,
        amount: 25_000,
        amount_refunded: cents,
        currency: "usd",
        refunded: cents === 25_000,
        metadata: metadata ?? {},
      });

    it("is kept, and the payment's event then leaves only what was paid for", async () => {
      const session = await checkout(); // 500 credits for $250.00
      const early = await deliver(chargeRefunded(session, 5_000)); // $50 back while completed is still being retried
      expect(early.status).toBe(200);
      expect(StripeHookResult.parse(early.body)).toMatchObject({ outcome: "refund_recorded", detail: expect.stringContaining("$50.00") });
      expect(await balance("org:42")).toBe(0);
      const granted = StripeHookResult.parse((await deliver(completed(session))).body);
      expect(granted).toMatchObject({ outcome: "granted", detail: expect.stringContaining("100 credits taken back") });
      expect(await balance("org:42")).toBe(400);
      expect(await purchase()).toMatchObject({ state: "paid", amountRefunded: 5_000, creditsReversed: 100 });
      // Redeliveries of either change nothing.
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 5_000))).body).outcome).toBe("already_reversed");
      expect(StripeHookResult.parse((await deliver(completed(session))).body).outcome).toBe("already_granted");
      expect(await balance("org:42")).toBe(400);
      expect((await voids()).map((e) => e.amount)).toEqual([-100]);
      // A later refund takes only what its new total adds.
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 15_000))).body).outcome).toBe("reversed");
      expect(await balance("org:42")).toBe(200);
    });

    it("leaves nothing of a pack refunded in full before its payment's event", async () => {
      const session = await checkout();
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 5_000))).body).outcome).toBe("refund_recorded");
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 25_000))).body).outcome).toBe("refund_recorded");
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 5_000))).body).outcome).toBe("refund_recorded"); // an older total, late
      await deliver(completed(session));
      expect(await balance("org:42")).toBe(0);
      expect(await purchase()).toMatchObject({ state: "refunded", amountRefunded: 25_000, creditsReversed: 500 });
    });

    it("takes the refund once when it and the payment's event arrive together", async () => {
      const session = await checkout();
      const results = await Promise.all([deliver(chargeRefunded(session, 5_000)), deliver(completed(session)), deliver(chargeRefunded(session, 5_000))]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(await balance("org:42")).toBe(400);
      expect((await voids()).reduce((sum, e) => sum + e.amount, 0)).toBe(-100);
    });

    it("ignores a refund of a charge the ledger didn't make (no tenant in its metadata, or another tenant's)", async () => {
      const session = await checkout();
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 5_000, null))).body).outcome).toBe("ignored");
      expect(StripeHookResult.parse((await deliver(chargeRefunded(session, 5_000, { tenant_id: "tnt_someoneelse" }))).body).outcome).toBe("ignored");
      await deliver(completed(session));
      expect(await balance("org:42")).toBe(500);
    });
  });

  describe("currencies whose minor unit isn't a hundredth", () => {
    it("shows and records a 5,000 JPY pack as ¥5,000 and a 25.000 KWD pack as KWD 25.000", async () => {
      expect(
        (
          await ledger.call("PUT", "/v1/config", {
            body: {
              packs: [
                { id: "pack-yen", label: "500 credits", credits: 500, price: 5_000, currency: "jpy" },
                { id: "pack-kwd", label: "500 credits", credits: 500, price: 25_000, currency: "kwd" },
              ],
            },
          })
        ).status,
      ).toBe(200);
      const yen = CheckoutSession.parse((await ledger.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-yen" } })).body);
      expect(created.at(-1)!.body.get("line_items[0][price_data][unit_amount]")).toBe("5000");
      await deliver(completed(yen));
      const [grant] = (await entries("org:42")).filter((e) => e.kind === "grant");
      expect(grant!.reason).toContain("for ¥5,000 by card");
      const link = CustomerLink.parse((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
      const page = await (await ledger.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")))).text();
      expect(page).toContain("¥5,000");
      expect(page).not.toContain("¥50<");
      expect(page).toMatch(/KWD\s25\.000/); // Intl puts a no-break space after the code
    });
  });

  it("sends every Stripe call to LEDGER_STRIPE_API_URL when the operator sets one, and lets the buy buttons go there", async () => {
    const standIn = await createTestLedger(backend, { db, app: { stripeApi: stripeApiAddress(STAND_IN, { allowPrivateNetwork: true }) } });
    try {
      await standIn.call("PUT", "/v1/config", { body: { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }] } });
      await standIn.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } });
      const response = await standIn.call("POST", "/v1/checkout-sessions", { body: { owner: "org:42", packId: "pack-500" } });
      expect(response.status).toBe(201);
      expect(CheckoutSession.parse(response.body).url.startsWith(`${STAND_IN}/c/pay/`)).toBe(true);
      const link = CustomerLink.parse((await standIn.call("POST", "/v1/wallets/org:42/customer-links", { body: {} })).body);
      const page = await standIn.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")));
      expect(page.headers.get("content-security-policy")).toContain(`form-action 'self' https://checkout.stripe.com ${STAND_IN};`);
    } finally {
      await standIn.close();
    }
    // This ledger has no such setting: its calls went to Stripe.
    expect((await checkout()).url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  });

  describe("the customer page", () => {
    const mint = async (owner = "org:42") => {
      const response = await ledger.call("POST", `/v1/wallets/${owner}/customer-links`, { body: {} });
      expect(response.status).toBe(201);
      return CustomerLink.parse(response.body);
    };
    const open = async (url: string, init: RequestInit = {}) => {
      const response = await ledger.fetch(new Request(url.replace(/^https?:\/\/[^/]+/, "http://ledger.test"), init));
      return { status: response.status, text: await response.text(), location: response.headers.get("location") };
    };

    it("shows the balance, credits, usage, packs and purchases through a signed link", async () => {
      const session = await checkout();
      await deliver(completed(session));
      await ledger.call("POST", "/v1/wallets/org:42/debits", { body: { kind: "time", minutes: 30, ticketId: "77", reason: "call" } });
      const link = await mint();
      const page = await open(link.url);
      expect(page.status).toBe(200);
      expect(page.text).toContain('data-testid="balance">470');
      expect(page.text).toContain("Buy 500 credits");
      expect(page.text).toContain("ticket #77");
      expect(page.text).toContain("$250.00");
      expect(page.text).not.toContain(ledger.apiKey);
    });

    it("refuses a tampered, widened or expired link with a clear page", async () => {
      const link = await mint();
      const token = link.url.split("/pay/")[1]!;
      const [payload, signature] = token.split(".") as [string, string];
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as { t: string; o: string; e: number };
      const widened = Buffer.from(JSON.stringify({ ...claims, o: "org:43" })).toString("base64url");
      const stretched = Buffer.from(JSON.stringify({ ...claims, e: claims.e + 365 * 86_400 })).toString("base64url");
      for (const bad of [`${widened}.${signature}`, `${stretched}.${signature}`, `${payload}.${signature.slice(0, -2)}xx`, "garbage", `${payload}`]) {
        const page = await open(`http://ledger.test/pay/${bad}`);
        expect(page.status).toBe(404);
        expect(page.text).toContain("This link is not valid");
      }
      ledger.clock.advance(31 * DAY);
      const expired = await open(link.url);
      expect(expired.status).toBe(410);
      expect(expired.text).toContain("This link has expired");
    });

    it("needs the tenant's key to mint a link", async () => {
      expect((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {}, key: null })).status).toBe(401);
      expect((await ledger.call("POST", "/v1/wallets/org:42/customer-links", { body: {}, key: "sck_wrong" })).status).toBe(401);
    });

    it("sends the buyer to Stripe Checkout from the pack's button", async () => {
      const link = await mint();
      const pressed = await open(`${link.url}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "packId=pack-500",
      });
      expect(pressed.status).toBe(303);
      expect(pressed.location).toMatch(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
      expect(created.at(-1)!.body.get("metadata[owner]")).toBe("org:42");
      const nonsense = await open(`${link.url}/checkout`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "packId=../../x",
      });
      expect(nonsense.status).toBe(400);
    });
  });
});

describe("LEDGER_STRIPE_API_URL", () => {
  const publicOnly = { allowPrivateNetwork: false };
  const privateAllowed = { allowPrivateNetwork: true };
  it("takes a public https server, with or without a port", () => {
    expect(stripeApiAddress("https://stripe.example.com", publicOnly)).toEqual({ protocol: "https", host: "stripe.example.com", port: 443 });
    expect(stripeApiAddress("https://stripe.example.com:8443/", publicOnly)).toEqual({ protocol: "https", host: "stripe.example.com", port: 8443 });
  });
  it("takes plain http and private addresses only when LEDGER_ALLOW_PRIVATE_NETWORK=true", () => {
    expect(() => stripeApiAddress("http://stripe.example.com", publicOnly)).toThrow(/LEDGER_STRIPE_API_URL must use https/);
    expect(() => stripeApiAddress("https://127.0.0.1:12111", publicOnly)).toThrow(/LEDGER_STRIPE_API_URL must be a public internet address/);
    expect(stripeApiAddress(STAND_IN, privateAllowed)).toEqual({ protocol: "http", host: "127.0.0.1", port: 12111 });
    expect(stripeApiAddress("http://[::1]:12111", privateAllowed)).toEqual({ protocol: "http", host: "::1", port: 12111 });
  });
  it("is read from the environment, and a refused one stops the server at start", async () => {
    expect(ledgerEnv({ LEDGER_STRIPE_API_URL: " https://stripe.example.com " }).stripeApiUrl).toBe("https://stripe.example.com");
    expect(ledgerEnv({}).stripeApiUrl).toBeUndefined();
    await expect(startLedgerServer({ stripeApiUrl: "http://stripe.example.com", allowPrivateNetwork: false, log: () => undefined })).rejects.toThrow(
      /LEDGER_STRIPE_API_URL must use https/,
    );
  });
  it("refuses a path, a query, credentials or something that isn't a URL", () => {
    for (const bad of ["https://stripe.example.com/v1", "https://stripe.example.com/?x=1", "https://user:pw@stripe.example.com", "stripe.example.com"])
      expect(() => stripeApiAddress(bad, publicOnly), bad).toThrow(/LEDGER_STRIPE_API_URL/);
  });
});
