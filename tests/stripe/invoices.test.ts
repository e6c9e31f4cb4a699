/**
 * Buying credits by invoice with the real `stripe` package: msw plays Stripe's customers, invoices
 * and invoice items as Stripe documents them (docs/stripe-fidelity.md, "Invoices"), including its
 * idempotency (a key's first answer is saved and replayed; other parameters under the key are
 * refused), and webhook signatures are made with Stripe's own generateTestHeaderString.
 */
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CustomerLink, EntryPage, Invoice, InvoicePage, StripeHookResult, Wallet } from "../../src/contract/index.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, createTestLedger, DAY, openTestDatabase, type TestLedger } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const SECRET_KEY = "sk_test_51InvoiceKeyAbCdEfGhIj";
const WEBHOOK_SECRET = "whsec_invoicesecretAbCdEfGhIjKl";
const signer = new Stripe(SECRET_KEY);
const API = "https://api.stripe.com";

type StripeObject = Record<string, any>;

/** Stripe's account as the stand-in keeps it. */
const stripe = {
  customers: new Map<string, StripeObject>(),
  invoices: new Map<string, StripeObject>(),
  items: new Map<string, StripeObject>(),
  /** Every request that reached Stripe: path, Idempotency-Key and parameters. */
  calls: [] as { path: string; key: string | null; params: URLSearchParams }[],
  /** Invoices emailed to customers (each `send`). */
  sent: [] as string[],
  /** A key's first answer, replayed for the same parameters (https://docs.stripe.com/api/idempotent_requests). */
  saved: new Map<string, { path: string; params: string; status: number; body: unknown }>(),
  /** Faults to play on the next requests to a path: `down` (nothing done, no answer), `lose` (done, answer lost). */
  faults: [] as { path: RegExp; mode: "down" | "lose" }[],
  clock: () => Math.floor(Date.now() / 1000),
};
const reset = () => {
  stripe.customers.clear();
  stripe.invoices.clear();
  stripe.items.clear();
  stripe.calls.length = 0;
  stripe.sent.length = 0;
  stripe.saved.clear();
  stripe.faults.length = 0;
};
const newId = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex")}`;
const stripeError = (status: number, type: string, message: string) => ({ status, body: { error: { type, message } } });
const metadataOf = (params: URLSearchParams) => {
  const metadata: Record<string, string> = {};
  for (const [name, value] of params) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match) metadata[match[1]!] = value;
  }
  return metadata;
};

/** A POST endpoint of Stripe's with its idempotency and the faults asked for. */
const endpoint = (path: string, handle: (params: URLSearchParams, pathParams: Record<string, string>) => { status: number; body: unknown }) =>
  http.post(`${API}${path}`, async ({ request, params: pathParams }) => {
    const text = await request.text();
    const params = new URLSearchParams(text);
    const url = new URL(request.url).pathname;
    const key = request.headers.get("idempotency-key");
    stripe.calls.push({ path: url, key, params });
    const faultAt = stripe.faults.findIndex((f) => f.path.test(url));
    const fault = faultAt >= 0 ? stripe.faults.splice(faultAt, 1)[0] : undefined;
    if (fault?.mode === "down") return HttpResponse.error();
    if (key && key.length > 255) return HttpResponse.json(stripeError(400, "invalid_request_error", "Keys are at most 255 characters.").body, { status: 400 });
    const saved = key ? stripe.saved.get(key) : undefined;
    let answer: { status: number; body: unknown };
    if (saved) {
      if (saved.params !== text || saved.path !== url)
        answer = stripeError(400, "idempotency_error", "Keys for idempotent requests can only be used with the same parameters they were first used with.");
      else answer = saved;
    } else {
      answer = handle(params, pathParams as Record<string, string>);
      if (key) stripe.saved.set(key, { path: url, params: text, ...answer });
    }
    if (fault?.mode === "lose") return HttpResponse.error();
    return HttpResponse.json(answer.body as Record<string, unknown>, { status: answer.status });
  });

const handlers = [
  endpoint("/v1/customers", (params) => {
    const customer = { id: newId("cus"), object: "customer", email: params.get("email"), name: params.get("name"), metadata: metadataOf(params) };
    stripe.customers.set(customer.id, customer);
    return { status: 200, body: customer };
  }),
  endpoint("/v1/customers/:id", (params, { id }) => {
    const customer = stripe.customers.get(id!);
    if (!customer) return stripeError(404, "invalid_request_error", "No such customer");
    if (params.has("email")) customer.email = params.get("email");
    return { status: 200, body: customer };
  }),
  endpoint("/v1/invoices", (params) => {
    const customer = stripe.customers.get(params.get("customer") ?? "");
    if (!customer) return stripeError(400, "invalid_request_error", "No such customer");
    if (params.get("collection_method") === "send_invoice" && !params.get("days_until_due"))
      return stripeError(400, "invalid_request_error", "days_until_due is required for send_invoice.");
    const invoice = {
      id: newId("in"),
      object: "invoice",
      status: "draft",
      customer: customer.id,
      collection_method: params.get("collection_method"),
      days_until_due: Number(params.get("days_until_due")),
      currency: params.get("currency"),
      auto_advance: params.get("auto_advance") === "true",
      metadata: metadataOf(params),
      amount_due: 0,
      amount_paid: 0,
      number: null,
      hosted_invoice_url: null,
      due_date: null,
    };
    stripe.invoices.set(invoice.id, invoice);
    return { status: 200, body: invoice };
  }),
  endpoint("/v1/invoiceitems", (params) => {
    const invoice = stripe.invoices.get(params.get("invoice") ?? "");
    if (!invoice || invoice.status !== "draft") return stripeError(400, "invalid_request_error", "Items can only be added to a draft invoice.");
    if (params.get("currency") !== invoice.currency) return stripeError(400, "invalid_request_error", "The item's currency must be the invoice's.");
    const item = { id: newId("ii"), object: "invoiceitem", invoice: invoice.id, amount: Number(params.get("amount")), currency: params.get("currency") };
    stripe.items.set(item.id, item);
    invoice.amount_due += item.amount;
    return { status: 200, body: item };
  }),
  endpoint("/v1/invoices/:id/finalize", (_params, { id }) => {
    const invoice = stripe.invoices.get(id!);
    if (!invoice) return stripeError(404, "invalid_request_error", "No such invoice");
    if (invoice.status !== "draft") return stripeError(400, "invalid_request_error", "This invoice is already finalized.");
    invoice.status = "open";
    invoice.number = `INV-${stripe.invoices.size.toString().padStart(4, "0")}`;
    invoice.hosted_invoice_url = `https://invoice.stripe.com/i/acct_1/${invoice.id}`;
    invoice.due_date = stripe.clock() + invoice.days_until_due * 86_400;
    return { status: 200, body: { ...invoice } };
  }),
  endpoint("/v1/invoices/:id/send", (_params, { id }) => {
    const invoice = stripe.invoices.get(id!);
    if (!invoice || invoice.status !== "open") return stripeError(400, "invalid_request_error", "Only open invoices can be sent.");
    if (!stripe.customers.get(invoice.customer)?.email) return stripeError(400, "invalid_request_error", "The customer has no email.");
    stripe.sent.push(invoice.id);
    return { status: 200, body: { ...invoice } };
  }),
];
const server = setupServer(...handlers);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());
afterEach(() => reset());

const callsTo = (pattern: RegExp) => stripe.calls.filter((c) => pattern.test(c.path));

describe.each(backends())("invoices on %s", (backend) => {
  let ledger: TestLedger;
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    ledger = await createTestLedger(backend, { db });
    stripe.clock = () => Math.floor(ledger.clock.now().getTime() / 1000);
    const config = await ledger.call("PUT", "/v1/config", {
      body: {
        packs: [
          { id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" },
          { id: "pack-2000", label: "2,000 credits", credits: 2000, price: 90_000, currency: "usd" },
        ],
      },
    });
    expect(config.status).toBe(200);
    expect((await ledger.call("PUT", "/v1/integrations/stripe", { body: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET } })).status).toBe(200);
  });
  afterEach(() => ledger.close());

  const request = { owner: "org:42", packId: "pack-500", daysUntilDue: 30, email: "billing@engines.example", name: "Analytical Engines Ltd" };
  const issue = async (body: Record<string, unknown> = request, idempotencyKey?: string) => {
    const response = await ledger.call("POST", "/v1/invoices", { body, ...(idempotencyKey ? { idempotencyKey } : {}) });
    expect(response.status, response.text).toBe(201);
    return Invoice.parse(response.body);
  };
  const balance = async (owner = "org:42") => Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body).balance;
  const grants = async (owner = "org:42") =>
    EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=100`)).body).entries.filter((e) => e.kind === "grant");
  const invoices = async (owner = "org:42") => InvoicePage.parse((await ledger.call("GET", `/v1/wallets/${owner}/invoices`)).body).invoices;
  const customerPage = async (owner = "org:42") => {
    const link = CustomerLink.parse((await ledger.call("POST", `/v1/wallets/${owner}/customer-links`, { body: {} })).body);
    return (await ledger.fetch(new Request(link.url.replace(/^https?:\/\/[^/]+/, "http://ledger.test")))).text();
  };
  /** A Stripe event about the invoice as Stripe has it now, with `changes` applied (its status at the event). */
  const event = (type: string, stripeInvoiceId: string, changes: StripeObject = {}) => ({
    id: `evt_${randomUUID().replaceAll("-", "")}`,
    object: "event",
    type,
    api_version: "2026-10-28.endive",
    created: 1,
    data: { object: { ...stripe.invoices.get(stripeInvoiceId), ...changes } },
  });
  const paid = (id: string) => event("invoice.paid", id, { status: "paid", amount_paid: stripe.invoices.get(id)!.amount_due });
  const voided = (id: string) => event("invoice.voided", id, { status: "void" });
  const uncollectible = (id: string) => event("invoice.marked_uncollectible", id, { status: "uncollectible" });
  const deliver = async (payload: unknown) => {
    const body = JSON.stringify(payload);
    const headers = {
      "content-type": "application/json",
      "stripe-signature": signer.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET }),
    };
    const response = await ledger.call("POST", `/hooks/stripe/${ledger.tenantId}`, { rawBody: body, headers, key: null, idempotencyKey: null });
    expect(response.status, response.text).toBe(200);
    return StripeHookResult.parse(response.body);
  };

  it("issues a Stripe invoice on net terms for the pack, sent to the organisation's billing email, and grants nothing yet", async () => {
    const invoice = await issue();
    const [created] = callsTo(/^\/v1\/invoices$/);
    expect(created!.params.get("collection_method")).toBe("send_invoice");
    expect(created!.params.get("days_until_due")).toBe("30");
    expect(created!.params.get("currency")).toBe("usd");
    expect(metadataOf(created!.params)).toMatchObject({ tenant_id: ledger.tenantId, owner: "org:42", pack_id: "pack-500", ledger_invoice_id: invoice.id });
    const [item] = callsTo(/^\/v1\/invoiceitems$/);
    expect([item!.params.get("amount"), item!.params.get("currency"), item!.params.get("invoice")]).toEqual(["25000", "usd", invoice.stripeInvoiceId]);
    expect(callsTo(/\/finalize$/)).toHaveLength(1);
    expect(stripe.sent).toEqual([invoice.stripeInvoiceId]);
    const [customer] = [...stripe.customers.values()];
    expect(customer).toMatchObject({
      email: "billing@engines.example",
      name: "Analytical Engines Ltd",
      metadata: { tenant_id: ledger.tenantId, owner: "org:42" },
    });
    // Every Stripe call carried its own key derived from the request's Idempotency-Key.
    expect(stripe.calls.map((c) => c.key)).toEqual(stripe.calls.map(() => expect.stringMatching(/^invoice_[0-9a-f]{64}_[a-z-]+$/)));
    expect(new Set(stripe.calls.map((c) => c.key)).size).toBe(stripe.calls.length);

    expect(invoice).toMatchObject({ state: "open", owner: "org:42", credits: 500, amount: 25_000, currency: "usd", number: expect.stringMatching(/^INV-/) });
    expect(invoice.hostedInvoiceUrl).toMatch(/^https:\/\/invoice\.stripe\.com\//);
    expect(Date.parse(invoice.dueAt!)).toBe(Math.floor(ledger.clock.now().getTime() / 1000) * 1000 + 30 * DAY);
    expect(await balance()).toBe(0);
    expect(await invoices()).toEqual([invoice]);
    const page = await customerPage();
    expect(page).toContain("Awaiting payment");
    expect(page).toContain(`href="${invoice.hostedInvoiceUrl}"`);
    expect(page).toContain("$250.00");
  });

  it("reuses the organisation's Stripe Customer for its next invoice, giving it a changed billing email", async () => {
    const first = await issue();
    const second = await issue({ ...request, packId: "pack-2000", email: "accounts@engines.example" });
    expect(stripe.customers.size).toBe(1);
    const customerId = [...stripe.customers.keys()][0];
    expect(stripe.invoices.get(first.stripeInvoiceId!)!.customer).toBe(customerId);
    expect(stripe.invoices.get(second.stripeInvoiceId!)!.customer).toBe(customerId);
    expect(stripe.customers.get(customerId!)!.email).toBe("accounts@engines.example");
    expect((await invoices()).map((i) => i.id).sort()).toEqual([second.id, first.id].sort());
  });

  it("grants the pack once when Stripe reports the invoice paid, however often the event comes", async () => {
    const invoice = await issue();
    const event = paid(invoice.stripeInvoiceId!);
    expect(await deliver(event)).toMatchObject({ outcome: "granted" });
    expect(await deliver(event)).toMatchObject({ outcome: "already_granted" });
    expect(await deliver(paid(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "already_granted" });
    expect(await balance()).toBe(500);
    const [grant] = await grants();
    expect(await grants()).toHaveLength(1);
    expect(grant!.reason).toContain("$250.00 by invoice");
    const [after] = await invoices();
    expect(after).toMatchObject({ state: "paid", grantEntryId: grant!.id });
    const wallet = Wallet.parse((await ledger.call("GET", "/v1/wallets/org:42")).body);
    expect(wallet.grants[0]).toMatchObject({ source: "purchase", paid: true, amount: 500 });
    expect(await customerPage()).toContain("credits added");
  });

  it("grants once when paid events for one invoice arrive at the same moment", async () => {
    const invoice = await issue();
    const results = await Promise.all([1, 2, 3].map(() => deliver(paid(invoice.stripeInvoiceId!))));
    expect(results.filter((r) => r.outcome === "granted")).toHaveLength(1);
    expect(await balance()).toBe(500);
    expect(await grants()).toHaveLength(1);
  });

  it("grants nothing for a voided invoice and shows it voided", async () => {
    const invoice = await issue();
    expect(await deliver(voided(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "not_granted", detail: expect.stringContaining("voided") });
    expect(await deliver(voided(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "not_granted", detail: expect.stringContaining("already voided") });
    // A late, reordered uncollectible event doesn't take it out of void.
    expect(await deliver(uncollectible(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "not_granted" });
    expect(await balance()).toBe(0);
    expect(await grants()).toHaveLength(0);
    expect((await invoices())[0]).toMatchObject({ state: "void", grantEntryId: null, closedAt: expect.any(String) });
    const page = await customerPage();
    expect(page).toContain("Voided · no credits added");
    expect(page).not.toContain(`href="${invoice.hostedInvoiceUrl}"`);
  });

  it("grants nothing for an uncollectible invoice, and grants when it is paid after all; a late uncollectible event changes nothing", async () => {
    const invoice = await issue();
    expect(await deliver(uncollectible(invoice.stripeInvoiceId!))).toMatchObject({
      outcome: "not_granted",
      detail: expect.stringMatching(/^marked uncollectible/),
    });
    expect(await deliver(uncollectible(invoice.stripeInvoiceId!))).toMatchObject({
      outcome: "not_granted",
      detail: expect.stringContaining("already marked uncollectible"),
    });
    expect(await balance()).toBe(0);
    expect((await invoices())[0]!.state).toBe("uncollectible");
    expect(await customerPage()).toContain("Uncollectible · no credits added");

    expect(await deliver(paid(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "granted" });
    expect(await balance()).toBe(500);
    // Stripe's events come in any order: the uncollectible one again, after the payment.
    expect(await deliver(uncollectible(invoice.stripeInvoiceId!))).toMatchObject({ outcome: "already_granted" });
    expect((await invoices())[0]).toMatchObject({ state: "paid" });
    expect(await balance()).toBe(500);
  });

  it("grants a paid invoice whose paid event comes before its finalized event, and before the issuing request heard back", async () => {
    // Stripe finalizes and is about to send, but the ledger never hears: the request fails.
    stripe.faults.push(...[1, 2, 3].map(() => ({ path: /\/send$/, mode: "down" as const })));
    const key = `invoice-${randomUUID()}`;
    const failed = await ledger.call("POST", "/v1/invoices", { body: request, idempotencyKey: key });
    expect(failed.status).toBe(502);
    expect(failed.text).toContain("payment_provider_error");
    const [pending] = await invoices();
    expect(pending).toMatchObject({ state: "issuing", stripeInvoiceId: null });
    const stripeId = [...stripe.invoices.keys()][0]!;

    // The customer pays (from the Dashboard's copy, say); Stripe's paid event overtakes the finalized one.
    expect(await deliver(paid(stripeId))).toMatchObject({ outcome: "granted" });
    expect(await balance()).toBe(500);
    expect(await deliver(event("invoice.finalized", stripeId, { status: "open" }))).toMatchObject({ outcome: "not_paid_yet" });
    expect((await invoices())[0]).toMatchObject({ state: "paid", stripeInvoiceId: stripeId, hostedInvoiceUrl: expect.any(String) });

    // The agent's retry with the same key answers the same invoice, paid; nothing is granted twice.
    const retried = await issue(request, key);
    expect(retried).toMatchObject({ id: pending!.id, state: "paid", stripeInvoiceId: stripeId });
    expect(stripe.invoices.size).toBe(1);
    expect(await grants()).toHaveLength(1);
    expect(await balance()).toBe(500);
  });

  it("ignores invoice events of another tenant, or of invoices the ledger didn't issue", async () => {
    const invoice = await issue();
    const other = await ledger.newTenant();
    const foreign = paid(invoice.stripeInvoiceId!);
    foreign.data.object.metadata = { ...foreign.data.object.metadata, tenant_id: other.tenantId };
    expect(await deliver(foreign)).toMatchObject({ outcome: "ignored" });
    const unknown = paid(invoice.stripeInvoiceId!);
    unknown.data.object.id = "in_madeInTheDashboard";
    unknown.data.object.metadata = { tenant_id: ledger.tenantId, ledger_invoice_id: "inv_notissuedbytheledger0000000000" };
    expect(await deliver(unknown)).toMatchObject({ outcome: "ignored" });
    const bare = paid(invoice.stripeInvoiceId!);
    bare.data.object.metadata = {};
    expect(await deliver(bare)).toMatchObject({ outcome: "ignored" });
    expect(await balance()).toBe(0);
    expect((await invoices())[0]!.state).toBe("open");
  });

  it("refuses bad requests with a clear error and changes nothing, at Stripe or here", async () => {
    const refusals: [Record<string, unknown>, number, string][] = [
      [{ ...request, owner: "person:7" }, 400, "organisations"],
      [{ ...request, daysUntilDue: 0 }, 400, "daysUntilDue"],
      [{ ...request, daysUntilDue: 366 }, 400, "daysUntilDue"],
      [{ ...request, daysUntilDue: 1.5 }, 400, "daysUntilDue"],
      [{ ...request, email: "not an email" }, 400, "email"],
      [{ ...request, unexpected: true }, 400, "unexpected"],
      [{ ...request, packId: "pack-9" }, 422, "unknown_pack"],
    ];
    for (const [body, status, words] of refusals) {
      const response = await ledger.call("POST", "/v1/invoices", { body });
      expect([response.status, response.text]).toEqual([status, expect.stringContaining(words)]);
    }
    expect(stripe.calls).toHaveLength(0);
    expect(await invoices()).toEqual([]);
    const unconnected = await ledger.newTenant();
    const packs = { packs: [{ id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd" }] };
    expect((await ledger.call("PUT", "/v1/config", { body: packs, key: unconnected.apiKey })).status).toBe(200);
    const response = await ledger.call("POST", "/v1/invoices", { body: request, key: unconnected.apiKey });
    expect([response.status, response.text]).toEqual([409, expect.stringContaining("payments_not_connected")]);
    expect(stripe.calls).toHaveLength(0);
  });

  it("issues one invoice per Idempotency-Key under retries: lost answers, a failed attempt, a repeat, at once", async () => {
    // Every step's answer is lost once: the stripe package retries with the same key, Stripe replays its saved answer.
    for (const path of [/^\/v1\/customers$/, /^\/v1\/invoices$/, /^\/v1\/invoiceitems$/, /\/finalize$/, /\/send$/]) stripe.faults.push({ path, mode: "lose" });
    const key = `invoice-${randomUUID()}`;
    const first = await issue(request, key);
    expect([stripe.customers.size, stripe.invoices.size, stripe.items.size, stripe.sent.length]).toEqual([1, 1, 1, 1]);
    expect(stripe.invoices.get(first.stripeInvoiceId!)!.amount_due).toBe(25_000);

    // The agent presses again with the same key: the same answer, nothing more at Stripe.
    const callsBefore = stripe.calls.length;
    const again = await ledger.call("POST", "/v1/invoices", { body: request, idempotencyKey: key });
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(Invoice.parse(again.body)).toEqual(first);
    expect(stripe.calls.length).toBe(callsBefore);
    // The key for another pack is refused.
    const reused = await ledger.call("POST", "/v1/invoices", { body: { ...request, packId: "pack-2000" }, idempotencyKey: key });
    expect([reused.status, reused.text]).toEqual([409, expect.stringContaining("idempotency_key_reused")]);

    // Stripe unreachable at the invoice item: the request fails; its retry finishes the same invoice.
    stripe.faults.push(...[1, 2, 3].map(() => ({ path: /^\/v1\/invoiceitems$/, mode: "down" as const })));
    const secondKey = `invoice-${randomUUID()}`;
    expect((await ledger.call("POST", "/v1/invoices", { body: request, idempotencyKey: secondKey })).status).toBe(502);
    // Before it is finished, the key for another pack is refused too, and Stripe is not asked.
    const callsBeforeReuse = stripe.calls.length;
    const reusedUnfinished = await ledger.call("POST", "/v1/invoices", { body: { ...request, packId: "pack-2000" }, idempotencyKey: secondKey });
    expect([reusedUnfinished.status, reusedUnfinished.text]).toEqual([409, expect.stringContaining("idempotency_key_reused")]);
    expect(stripe.calls.length).toBe(callsBeforeReuse);
    const finished = await issue(request, secondKey);
    expect([stripe.customers.size, stripe.invoices.size, stripe.items.size, stripe.sent.length]).toEqual([1, 2, 2, 2]);
    expect(stripe.invoices.get(finished.stripeInvoiceId!)!.amount_due).toBe(25_000);

    // Three attempts with one key at the same moment: one invoice.
    const thirdKey = `invoice-${randomUUID()}`;
    const together = await Promise.all([1, 2, 3].map(() => ledger.call("POST", "/v1/invoices", { body: request, idempotencyKey: thirdKey })));
    expect(together.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(together.map((r) => Invoice.parse(r.body).id)).size).toBe(1);
    expect([stripe.invoices.size, stripe.items.size, stripe.sent.length]).toEqual([3, 3, 3]);
    expect((await invoices()).map((i) => i.state)).toEqual(["open", "open", "open"]);
  });

  it("sends Stripe keys of bounded length whatever the client's key (Stripe takes at most 255 characters)", async () => {
    const invoice = await issue(request, "k".repeat(255));
    expect(invoice.state).toBe("open");
    expect(Math.max(...stripe.calls.map((c) => c.key!.length))).toBeLessThanOrEqual(255);
  });
});
