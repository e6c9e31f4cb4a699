/**
 * Auto-recharge with the real `stripe` package: msw answers Stripe's API (customers, setup-mode
 * Checkout Sessions, off-session PaymentIntents with their idempotency), and webhook signatures
 * are made with Stripe's own generateTestHeaderString.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AutoRecharge, AutoRechargeConsentPage, CustomerLink, EntryPage, StripeHookResult, Wallet } from "../../src/contract/index.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, DAY, openTestDatabase, type CallOptions, type CallResult, type TestLedger } from "../helpers/ledger.js";
import { createPortalHarness, portalHelpdesk, TEST_CONFIG, type PortalHarness } from "../portal/harness.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const SECRET_KEY = "sk_test_51AbCdEfGhIjKlMnOpQrStUv";
const WEBHOOK_SECRET = "whsec_testsecretAbCdEfGhIjKlMn";
const signer = new Stripe(SECRET_KEY);
const STRIPE = "https://api.stripe.com";

type ChargeBehaviour = "succeed" | "processing" | "card_declined" | "authentication_required" | "unavailable";
let behaviour: ChargeBehaviour = "succeed";
/** Every PaymentIntent request Stripe received, with its idempotency key. */
const intents: { body: URLSearchParams; idempotencyKey: string | null }[] = [];
const customers: { idempotencyKey: string | null }[] = [];
const sessions: URLSearchParams[] = [];
/**
 * Stripe's idempotency (https://docs.stripe.com/api/idempotent_requests): the first answer for a
 * key, success or error, is given again to every retry with that key.
 */
const saved = new Map<string, { status: number; body: Record<string, unknown> }>();

const paymentIntent = (body: URLSearchParams, status: string) => ({
  id: `pi_${randomBytes(8).toString("hex")}`,
  object: "payment_intent",
  amount: Number(body.get("amount")),
  currency: body.get("currency"),
  customer: body.get("customer"),
  payment_method: body.get("payment_method"),
  status,
  metadata: Object.fromEntries([...body.entries()].filter(([k]) => k.startsWith("metadata[")).map(([k, v]) => [k.slice(9, -1), v])),
});

const deskpro = portalHelpdesk();
const server = setupServer(
  ...deskpro.handlers(),
  http.post(`${STRIPE}/v1/customers`, ({ request }) => {
    customers.push({ idempotencyKey: request.headers.get("idempotency-key") });
    return HttpResponse.json({ id: `cus_${randomBytes(6).toString("hex")}`, object: "customer" });
  }),
  http.post(`${STRIPE}/v1/checkout/sessions`, async ({ request }) => {
    const body = new URLSearchParams(await request.text());
    sessions.push(body);
    const id = `cs_test_${randomBytes(8).toString("hex")}`;
    return HttpResponse.json({ id, object: "checkout.session", mode: body.get("mode"), url: `https://checkout.stripe.com/c/pay/${id}`, status: "open" });
  }),
  http.post(`${STRIPE}/v1/payment_intents`, async ({ request }) => {
    const body = new URLSearchParams(await request.text());
    const idempotencyKey = request.headers.get("idempotency-key");
    intents.push({ body, idempotencyKey });
    const replay = idempotencyKey ? saved.get(idempotencyKey) : undefined;
    if (replay) return HttpResponse.json(replay.body, { status: replay.status });
    if (behaviour === "unavailable") return HttpResponse.json({ error: { type: "api_error", message: "try later" } }, { status: 500 });
    let answer: { status: number; body: Record<string, unknown> };
    if (behaviour === "succeed" || behaviour === "processing")
      answer = { status: 200, body: paymentIntent(body, behaviour === "succeed" ? "succeeded" : "processing") };
    else {
      // https://docs.stripe.com/payments/save-and-reuse#charge-saved-payment-method: a failed off-session
      // attempt is a 402 card_error; the PaymentIntent is left in requires_payment_method.
      const intent = paymentIntent(body, "requires_payment_method");
      answer = {
        status: 402,
        body: {
          error: {
            type: "card_error",
            code: behaviour,
            ...(behaviour === "card_declined" ? { decline_code: "insufficient_funds" } : {}),
            message: "Your card was declined.",
            payment_intent: intent,
          },
        },
      };
    }
    if (idempotencyKey) saved.set(idempotencyKey, answer);
    return HttpResponse.json(answer.body, { status: answer.status });
  }),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
afterEach(() => {
  behaviour = "succeed";
  intents.length = 0;
  customers.length = 0;
  sessions.length = 0;
});

const unescape = (html: string) => html.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** A ledger to talk to: its tenant and a call with that tenant's key. */
interface Caller {
  tenantId: string;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
}
const form = (fields: Record<string, string | number>): CallOptions => ({
  rawBody: new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, String(v)])).toString(),
  headers: { "content-type": "application/x-www-form-urlencoded" },
  key: null,
  idempotencyKey: null,
});
const pagePathOf = async (ledger: Caller, owner: string) =>
  new URL(CustomerLink.parse((await ledger.call("POST", `/v1/wallets/${owner}/customer-links`, { body: { days: 7 } })).body).url).pathname;
/** A Stripe event, signed with the endpoint's secret by Stripe's own library, delivered to the tenant's webhook. */
async function deliverTo(ledger: Caller, type: string, object: Record<string, unknown>, tenantId = ledger.tenantId) {
  const body = JSON.stringify({
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type,
    api_version: "2025-01-01",
    created: 1,
    data: { object },
  });
  const headers = {
    "content-type": "application/json",
    "stripe-signature": signer.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }),
  };
  const response = await ledger.call("POST", `/hooks/stripe/${tenantId}`, { rawBody: body, headers, key: null, idempotencyKey: null });
  expect(response.status).toBe(200);
  return StripeHookResult.parse(response.body);
}
/** Saves a card (setup-mode Checkout, then Stripe's setup_intent.succeeded) and agrees to these choices on the page. */
async function turnOnFor(ledger: Caller, owner: string, choices: { threshold: number; capUnits: number }) {
  const path = await pagePathOf(ledger, owner);
  const started = await ledger.call("POST", `${path}/auto-recharge/card`, form({}));
  expect(started.status).toBe(303);
  expect(started.headers.get("location")).toMatch(/^https:\/\/checkout\.stripe\.com\//);
  const session = sessions.at(-1)!;
  expect(session.get("mode")).toBe("setup");
  const customer = session.get("customer")!;
  expect(customer).toMatch(/^cus_/);
  const savedCard = await deliverTo(ledger, "setup_intent.succeeded", {
    id: "seti_1",
    object: "setup_intent",
    status: "succeeded",
    customer,
    payment_method: "pm_card_visa",
    metadata: { tenant_id: ledger.tenantId, owner, purpose: "auto_recharge" },
  });
  expect(savedCard.outcome).toBe("card_saved");
  const review = await ledger.call("POST", `${path}/auto-recharge/review`, form({ packId: "pack-500", ...choices }));
  expect(review.status).toBe(200);
  const words = unescape(/data-testid="consent-words">([^<]*)</.exec(review.text)![1]!);
  const agreed = await ledger.call("POST", `${path}/auto-recharge`, form({ packId: "pack-500", ...choices, words, givenBy: "Ada Lovelace", agree: "yes" }));
  expect(agreed.status).toBe(303);
  return { path, words, customer };
}
const PACKS = [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }];

describe.each(backends())("auto-recharge on %s", (backend) => {
  let ledger: TestLedger;
  let db: Database;
  const owner = "org:77";
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    ledger = await createTestLedger(backend, { db });
    ledger.clock.set("2026-03-10T12:00:00.000Z");
    const config = await ledger.call("PUT", "/v1/config", {
      body: { packs: PACKS },
    });
    expect(config.status).toBe(200);
    expect((await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } })).status).toBe(200);
    expect((await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 1000, reason: "Opening balance" } })).status).toBe(201);
  });
  afterEach(() => ledger.close());

  const pagePath = () => pagePathOf(ledger, owner);
  const deliver = (type: string, object: Record<string, unknown>, tenantId = ledger.tenantId) => deliverTo(ledger, type, object, tenantId);
  const state = async () => AutoRecharge.parse((await ledger.call("GET", `/v1/wallets/${owner}/auto-recharge`)).body);
  const balance = async () => Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const debit = (amount: number) => ledger.call("POST", `/v1/wallets/${owner}/debits`, { body: { kind: "manual", amount, reason: "Support" } });
  // Postings that waited for one another are dated a moment apart, and so are the jobs they queue: time passes before each drain.
  const drain = async () =>
    (ledger.clock.advance(1000), await ledger.call("POST", "/v1/outbox/drain", { body: {} })).body as { delivered: number; retrying: number; failed: number };

  const turnOn = (choices: { threshold: number; capUnits: number } = { threshold: 500, capUnits: 1000 }) => turnOnFor(ledger, owner, choices);
  const succeeded = (intent: { id: string; amount: number; currency: string; metadata: Record<string, string> }, tenantId = ledger.tenantId) =>
    deliver("payment_intent.succeeded", { ...intent, object: "payment_intent", status: "succeeded", metadata: { ...intent.metadata, tenant_id: tenantId } });
  const lastIntent = () => {
    const body = intents.at(-1)!.body;
    return {
      id: `pi_${randomBytes(4).toString("hex")}`,
      amount: Number(body.get("amount")),
      currency: body.get("currency")!,
      metadata: { owner: body.get("metadata[owner]")!, recharge_attempt: body.get("metadata[recharge_attempt]")!, pack_id: "pack-500" },
    };
  };

  it("records the customer's consent word for word, with who agreed, when and the settings, and shows it on the page", async () => {
    const { path, words } = await turnOn({ threshold: 400, capUnits: 600 });
    expect(words).toBe(
      "I agree that the support team may charge my saved card $250.00 for 500 credits, without asking me each time, whenever my support credits fall below 400, and no more than $600.00 in any calendar month, until I stop auto-recharge on this page.",
    );
    const consents = AutoRechargeConsentPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/auto-recharge/consents`)).body).consents;
    expect(consents).toHaveLength(1);
    expect(consents[0]).toMatchObject({
      action: "agreed",
      givenBy: "Ada Lovelace",
      words,
      at: "2026-03-10T12:00:00.000Z",
      settings: { packId: "pack-500", credits: 500, price: 25_000, currency: "usd", threshold: 400, monthlyCap: 60_000 },
    });
    expect(await state()).toMatchObject({ enabled: true, cardSaved: true, threshold: 400, monthlyCap: 60_000, currency: "usd", usedThisMonth: 0 });
    const page = await ledger.call("GET", path);
    expect(page.text).toContain("Auto-recharge");
    expect(page.text).toContain("when your credits fall below 400");
  });

  it("refuses an agreement without the ticked box, or to words other than the choices make, and changes nothing", async () => {
    const path = await pagePath();
    await ledger.call("POST", `${path}/auto-recharge/card`, form({}));
    await deliver("setup_intent.succeeded", {
      id: "seti_2",
      object: "setup_intent",
      customer: sessions.at(-1)!.get("customer"),
      payment_method: "pm_card_visa",
      metadata: { tenant_id: ledger.tenantId, owner, purpose: "auto_recharge" },
    });
    const unticked = await ledger.call(
      "POST",
      `${path}/auto-recharge`,
      form({ packId: "pack-500", threshold: 400, capUnits: 600, words: "x", givenBy: "Ada" }),
    );
    expect(unticked.status).toBe(400);
    const otherWords = await ledger.call(
      "POST",
      `${path}/auto-recharge`,
      form({ packId: "pack-500", threshold: 400, capUnits: 600, words: "I agree to nothing", givenBy: "Ada", agree: "yes" }),
    );
    expect(otherWords.status).toBe(409);
    expect((await state()).enabled).toBe(false);
    expect(AutoRechargeConsentPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/auto-recharge/consents`)).body).consents).toEqual([]);
  });

  it("makes exactly one off-session charge when debits racing below the threshold cross it together, and grants the pack once", async () => {
    const { customer } = await turnOn({ threshold: 500, capUnits: 1000 });
    // One debit above the threshold first: the single-statement path's cached facts now exist and must not hide the crossing.
    expect((await debit(100)).status).toBe(201);
    expect(await drain()).toMatchObject({ delivered: 0 });
    const racing = await Promise.all(Array.from({ length: 8 }, () => debit(60)));
    expect(racing.every((r) => r.status === 201)).toBe(true);
    expect(await balance()).toBe(420);
    await drain();
    await drain();
    expect(intents).toHaveLength(1);
    const charge = intents[0]!;
    expect(Object.fromEntries(charge.body)).toMatchObject({
      amount: "25000",
      currency: "usd",
      customer,
      payment_method: "pm_card_visa",
      off_session: "true",
      confirm: "true",
      "metadata[tenant_id]": ledger.tenantId,
      "metadata[owner]": owner,
    });
    expect(charge.idempotencyKey).toMatch(/^recharge_[0-9a-f]{64}$/);
    // Stripe answered "succeeded" at once: the pack is granted now; the webhook that follows is a replay.
    expect(await balance()).toBe(920);
    expect((await state()).usedThisMonth).toBe(25_000);
    // Further debits below the threshold, with the cap leaving room for one more: one more charge, not one per debit.
    await Promise.all([debit(500), debit(10), debit(10)]);
    await drain();
    expect(intents).toHaveLength(2);
  });

  it("grants once however often (and however concurrently) Stripe reports the payment", async () => {
    await turnOn();
    behaviour = "processing";
    await debit(600);
    await drain();
    expect(intents).toHaveLength(1);
    expect(await balance()).toBe(400);
    expect((await state()).pending).toBe(true);
    const intent = lastIntent();
    const outcomes = await Promise.all([succeeded(intent), succeeded(intent), succeeded(intent)]);
    expect(outcomes.filter((o) => o.outcome === "granted")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "already_granted")).toHaveLength(2);
    expect((await succeeded(intent)).outcome).toBe("already_granted");
    expect(await balance()).toBe(900);
    expect((await state()).pending).toBe(false);
  });

  /** Stripe's charge.refunded for an auto-recharge charge: `amount_refunded` is the charge's refunds so far, not this refund's. */
  const refundedSoFar = (intent: ReturnType<typeof lastIntent>, cents: number, metadata: Record<string, string> = {}) =>
    deliver("charge.refunded", {
      id: `ch_${intent.id}`,
      object: "charge",
      amount: intent.amount,
      amount_refunded: cents,
      currency: intent.currency,
      payment_intent: intent.id,
      refunded: cents === intent.amount,
      metadata: { ...intent.metadata, tenant_id: ledger.tenantId, ...metadata },
    });
  const attemptRefunds = async () =>
    (
      await db.query<{ amount_refunded: number; credits_reversed: number }>(
        "SELECT amount_refunded, credits_reversed FROM recharge_attempts WHERE tenant_id = $1 AND state = 'succeeded'",
        [ledger.tenantId],
      )
    ).map((r) => ({ amountRefunded: Number(r.amount_refunded), creditsReversed: Number(r.credits_reversed) }));
  const voids = async () =>
    (
      EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=100`)).body).entries as { kind: string; amount: number; reason: string }[]
    ).filter((e) => e.kind === "void");
  /** Turns on, crosses the threshold, and has Stripe say the charge succeeded: 500 credits granted for $250 (balance 900). */
  const grantedCharge = async () => {
    await turnOn();
    behaviour = "processing";
    await debit(600);
    await drain();
    const intent = lastIntent();
    expect((await succeeded(intent)).outcome).toBe("granted");
    expect(await balance()).toBe(900);
    return intent;
  };

  it("takes back a partial refund's share of an auto-recharge pack once, and a later full refund only the rest", async () => {
    const intent = await grantedCharge();
    const first = await refundedSoFar(intent, 5_000); // $50 of $250: 100 of the 500 credits
    expect(first).toMatchObject({ outcome: "reversed", detail: "$50.00 refunded so far: 100 credits taken back." });
    expect(await balance()).toBe(800);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 5_000, creditsReversed: 100 }]);
    // Stripe sends the same event again: nothing more.
    expect((await refundedSoFar(intent, 5_000)).outcome).toBe("already_reversed");
    expect(await balance()).toBe(800);
    // Refunded in full: the rest of the pack, 400 credits.
    const full = await refundedSoFar(intent, 25_000);
    expect(full).toMatchObject({ outcome: "reversed", detail: "$250.00 refunded so far: 400 credits taken back." });
    expect(await balance()).toBe(400);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 25_000, creditsReversed: 500 }]);
    const taken = await voids();
    expect(taken.map((e) => e.amount)).toEqual(expect.arrayContaining([-100, -400]));
    expect(taken).toHaveLength(2);
    expect(taken.find((e) => e.amount === -400)!.reason).toContain("Auto-recharge card payment refunded in full ($250.00)");
    for (const cents of [5_000, 25_000]) expect((await refundedSoFar(intent, cents)).outcome).toBe("already_reversed");
    expect(await balance()).toBe(400);
    // Not kept as a refund of a purchase, nor as one waiting for its grant.
    expect(await db.query("SELECT 1 FROM stripe_early_refunds WHERE tenant_id = $1", [ledger.tenantId])).toHaveLength(0);
  });

  it("takes what remains when the pack's credits were already spent, and says so", async () => {
    const intent = await grantedCharge();
    // 700 spent: the opening 400 first (the older grant), then 300 of the pack; 200 of it remain.
    expect((await debit(700)).status).toBe(201);
    expect(await balance()).toBe(200);
    const full = await refundedSoFar(intent, 25_000);
    expect(full.outcome).toBe("reversed");
    expect(full.detail).toBe("$250.00 refunded so far, worth 500 more credits, but only 200 remained of the 500 bought: 200 credits taken back.");
    expect(await balance()).toBe(0);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 25_000, creditsReversed: 200 }]);
    expect((await refundedSoFar(intent, 25_000)).outcome).toBe("already_reversed");
    expect(await balance()).toBe(0);
  });

  it("keeps a refund that arrives before the charge's grant, and takes it back when the grant is written", async () => {
    await turnOn();
    behaviour = "processing";
    await debit(600);
    await drain();
    // The PaymentIntent Stripe answered "processing" with: the attempt knows it by this id.
    const intent = { ...lastIntent(), id: String(saved.get(intents.at(-1)!.idempotencyKey!)!.body.id) };
    const early = await refundedSoFar(intent, 10_000); // $100 of $250: 200 credits, once granted
    expect(early.outcome).toBe("refund_recorded");
    expect(await balance()).toBe(400);
    const granted = await succeeded(intent);
    expect(granted.outcome).toBe("granted");
    expect(granted.detail).toContain("a refund reported before this payment's event: $100.00 refunded so far: 200 credits taken back.");
    expect(await balance()).toBe(700);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 10_000, creditsReversed: 200 }]);
    // Stripe's retries of either event take nothing more.
    expect((await succeeded(intent)).outcome).toBe("already_granted");
    expect((await refundedSoFar(intent, 10_000)).outcome).toBe("already_reversed");
    expect(await balance()).toBe(700);
    expect(await voids()).toHaveLength(1);
  });

  it("takes a refund's share once when Stripe delivers the same refund several times at once, and racing totals only what each adds", async () => {
    const intent = await grantedCharge();
    const outcomes = await Promise.all([
      refundedSoFar(intent, 5_000),
      refundedSoFar(intent, 5_000),
      refundedSoFar(intent, 5_000),
      refundedSoFar(intent, 5_000),
    ]);
    expect(outcomes.filter((o) => o.outcome === "reversed")).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === "already_reversed")).toHaveLength(3);
    expect(await balance()).toBe(800);
    expect(await voids()).toHaveLength(1);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 5_000, creditsReversed: 100 }]);
    // Two later totals racing ($150 and $200 so far), each twice: together they take 300 more, whichever is first.
    await Promise.all([refundedSoFar(intent, 15_000), refundedSoFar(intent, 20_000), refundedSoFar(intent, 15_000), refundedSoFar(intent, 20_000)]);
    expect(await balance()).toBe(500);
    expect(await attemptRefunds()).toEqual([{ amountRefunded: 20_000, creditsReversed: 400 }]);
  });

  it("ignores a refund whose metadata names another tenant, another bank or an attempt the ledger never made", async () => {
    const intent = await grantedCharge();
    const other = await ledger.newTenant();
    expect((await refundedSoFar(intent, 25_000, { tenant_id: other.tenantId })).outcome).toBe("ignored");
    expect((await refundedSoFar(intent, 25_000, { owner: "org:78" })).outcome).toBe("ignored");
    expect((await refundedSoFar(intent, 25_000, { recharge_attempt: "rca_made_up" })).outcome).toBe("ignored");
    expect((await refundedSoFar({ ...intent, id: "pi_someone_else" }, 25_000)).outcome).toBe("ignored");
    expect(await balance()).toBe(900);
    expect(await db.query("SELECT 1 FROM stripe_early_refunds WHERE tenant_id = $1", [ledger.tenantId])).toHaveLength(0);
  });

  it("ignores a payment whose metadata names another tenant, or an attempt the ledger never made", async () => {
    await turnOn();
    behaviour = "processing";
    await debit(600);
    await drain();
    const intent = lastIntent();
    const other = await ledger.newTenant();
    expect((await succeeded(intent, other.tenantId)).outcome).toBe("ignored");
    expect((await succeeded({ ...intent, metadata: { ...intent.metadata, recharge_attempt: "rca_made_up" } })).outcome).toBe("ignored");
    expect((await succeeded({ ...intent, amount: 1 })).outcome).toBe("ignored");
    expect(await balance()).toBe(400);
  });

  it("never charges more in a month than the cap; a new month starts a new allowance", async () => {
    await turnOn({ threshold: 500, capUnits: 250 });
    await debit(600);
    await drain();
    expect(intents).toHaveLength(1);
    expect(await balance()).toBe(900);
    await debit(500);
    await drain();
    expect(intents).toHaveLength(1);
    expect(await state()).toMatchObject({ usedThisMonth: 25_000, monthlyCap: 25_000, pending: false });
    ledger.clock.set("2026-04-01T00:00:01.000Z");
    await debit(1);
    await drain();
    expect(intents).toHaveLength(2);
    expect((await state()).usedThisMonth).toBe(25_000);
  });

  it("a declined card ends the attempt, is shown to agents, queues the customer's message, and waits before trying again", async () => {
    const { path } = await turnOn();
    behaviour = "card_declined";
    await debit(600);
    await drain();
    expect(intents).toHaveLength(1);
    expect(await balance()).toBe(400);
    const after = await state();
    expect(after).toMatchObject({ enabled: true, failuresInRow: 1, pending: false, usedThisMonth: 0 });
    expect(after.lastFailure?.words).toBe("the card was declined (insufficient funds)");
    const outbox = (await ledger.call("GET", "/v1/outbox?kind=recharge")).body as { items: { kind: string }[] };
    expect(outbox.items.map((i) => i.kind)).toContain("recharge.notice");
    expect((await ledger.call("GET", path)).text).toContain("The last automatic payment failed on 10 Mar 2026: the card was declined (insufficient funds).");
    // A debit within a day of the failure charges nothing; after a day the next one does.
    await debit(1);
    await drain();
    expect(intents).toHaveLength(1);
    ledger.clock.advance(DAY + 1000);
    behaviour = "succeed";
    await debit(1);
    await drain();
    expect(intents).toHaveLength(2);
    expect(await state()).toMatchObject({ failuresInRow: 0, enabled: true });
    expect((await ledger.call("GET", path)).text).not.toContain("The last automatic payment failed");
  });

  it("a card that needs its holder (authentication_required) is a failure the customer is asked to fix", async () => {
    await turnOn();
    behaviour = "authentication_required";
    await debit(600);
    await drain();
    const after = await state();
    expect(after.failuresInRow).toBe(1);
    expect(after.lastFailure?.words).toContain("confirm the payment");
    expect(await balance()).toBe(400);
  });

  it("payment_intent.payment_failed for a charge still processing counts as a failure, once", async () => {
    await turnOn();
    behaviour = "processing";
    await debit(600);
    await drain();
    const intent = lastIntent();
    const failed = {
      ...intent,
      object: "payment_intent",
      status: "requires_payment_method",
      last_payment_error: { type: "card_error", code: "card_declined", decline_code: "generic_decline" },
      metadata: { ...intent.metadata, tenant_id: ledger.tenantId },
    };
    expect((await deliver("payment_intent.payment_failed", failed)).outcome).toBe("recharge_failed");
    expect((await deliver("payment_intent.payment_failed", failed)).outcome).toBe("ignored");
    expect(await state()).toMatchObject({ failuresInRow: 1, pending: false });
  });

  it("switches itself off after three failures in a row, and charges nothing more", async () => {
    await turnOn();
    behaviour = "card_declined";
    await debit(600);
    for (let failure = 1; failure <= 3; failure++) {
      await drain();
      expect(intents).toHaveLength(failure);
      ledger.clock.advance(DAY + 1000);
      await debit(1);
    }
    await drain();
    expect(intents).toHaveLength(3);
    const after = await state();
    expect(after).toMatchObject({ enabled: false, failuresInRow: 3 });
    expect(after.switchedOffReason).toContain("3 failed charges in a row");
  });

  it("stops when the customer opts out, even with a charge queued, and records the stop", async () => {
    const { path } = await turnOn();
    await debit(600);
    // Opted out after the crossing queued the charge, before it was made: nothing is charged.
    ledger.clock.advance(1000);
    expect((await ledger.call("POST", `${path}/auto-recharge/stop`, form({}))).status).toBe(303);
    await drain();
    await debit(100);
    await drain();
    expect(intents).toHaveLength(0);
    expect(await state()).toMatchObject({ enabled: false, pending: false });
    const consents = AutoRechargeConsentPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/auto-recharge/consents`)).body).consents;
    expect(consents.map((c) => c.action)).toEqual(["stopped", "agreed"]);
  });

  it("gives an attempt up when Stripe never answered by the outbox's last retry, and a late success still grants it", async () => {
    await turnOn();
    behaviour = "unavailable";
    await debit(600);
    // Eleven deliveries have failed already: the next is the last the outbox makes.
    await db.query("UPDATE outbox SET attempts = 11 WHERE tenant_id = $1 AND kind = 'recharge.charge'", [ledger.tenantId]);
    expect(await drain()).toMatchObject({ failed: 1 });
    expect(await state()).toMatchObject({ pending: false, failuresInRow: 0, enabled: true });
    const intent = lastIntent();
    expect((await succeeded(intent)).outcome).toBe("granted");
    expect(await balance()).toBe(900);
  });

  it("retries a charge Stripe couldn't answer with the same idempotency key", async () => {
    await turnOn();
    behaviour = "unavailable";
    await debit(600);
    await drain();
    const firstKeys = new Set(intents.map((i) => i.idempotencyKey));
    expect(firstKeys.size).toBe(1);
    behaviour = "succeed";
    ledger.clock.advance(60_000);
    await drain();
    expect(new Set(intents.map((i) => i.idempotencyKey))).toEqual(firstKeys);
    expect(await balance()).toBe(900);
  });
});

describe("a failed automatic payment in Deskpro (PGlite)", () => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness("pglite");
    expect((await h.call("PUT", "/v1/config", { body: { ...TEST_CONFIG, packs: PACKS } })).status).toBe(200);
    expect((await h.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } })).status).toBe(200);
  });
  afterEach(() => h.close());

  it("tells the customer (a reply on their open ticket, which Deskpro emails) and the agents (a note), once", async () => {
    const org = 5100 + Math.floor(Math.random() * 800);
    const ticket = 8100 + Math.floor(Math.random() * 800);
    deskpro.addTicket({ id: ticket, person: 6101, organization: org });
    const owner = `org:${org}`;
    expect((await h.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 1000, reason: "Opening balance" } })).status).toBe(201);
    await turnOnFor(h, owner, { threshold: 500, capUnits: 1000 });
    behaviour = "card_declined";
    expect((await h.call("POST", `/v1/wallets/${owner}/debits`, { body: { kind: "manual", amount: 600, reason: "Support" } })).status).toBe(201);
    for (let i = 0; i < 4; i++) {
      h.clock.advance(60_000);
      await h.drain();
    }
    expect(intents).toHaveLength(1);
    const replies = deskpro.messagesOn(ticket, "reply");
    expect(replies).toHaveLength(1);
    expect(replies[0]!.message).toContain("We tried to top up your support credits automatically");
    expect(replies[0]!.message).toContain("the card was declined (insufficient funds)");
    expect(deskpro.messagesOn(ticket, "note").map((m) => m.message)).toEqual([
      expect.stringContaining("Auto-recharge failed: the card was declined (insufficient funds)."),
    ]);
  });
});
