import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigResponse, Entry, EntryPage, Problem, Quote, TicketEntries, TicketPayer, Wallet, WriteResult } from "../../src/contract/index.js";
import { backends, createTestLedger, DAY, type TestLedger } from "../helpers/ledger.js";

let seq = 0;
const newOwner = (type: "org" | "person" = "org") => `${type}:${100000 + ++seq}`;
const newTicket = () => String(500000 + ++seq);

describe.each(backends())("ledger HTTP API on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());

  const grant = (owner: string, amount: number, extra: Record<string, unknown> = {}, idempotencyKey?: string) =>
    ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount, reason: "top-up", ...extra }, idempotencyKey });
  const debit = (owner: string, body: Record<string, unknown>, idempotencyKey?: string) =>
    ledger.call("POST", `/v1/wallets/${owner}/debits`, { body, idempotencyKey });
  const wallet = async (owner: string) => Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`)).body);
  const entries = async (owner: string) => EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=500`)).body).entries;

  it("answers health and the OpenAPI document without a key", async () => {
    expect((await ledger.call("GET", "/healthz", { key: null })).body).toEqual({ ok: true });
    const doc = await ledger.call("GET", "/v1/openapi.json", { key: null });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/wallets/{owner}",
      "/v1/wallets/{owner}/grants",
      "/v1/wallets/{owner}/debits",
      "/v1/entries/{entryId}/reversal",
      "/v1/wallets/{owner}/entries",
      "/v1/tickets/{ticketId}/entries",
      "/v1/config",
    ]) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
  });

  it("answers every request with its request id, the client's when it sent a usable one, on answers and problems alike", async () => {
    const owner = newOwner();
    await grant(owner, 10);
    for (const [method, path, body, status] of [
      ["GET", `/v1/wallets/${owner}`, undefined, 200],
      ["POST", `/v1/wallets/${owner}/debits`, { kind: "manual", amount: 1, reason: "work" }, 201],
      ["POST", `/v1/wallets/${owner}/debits`, { kind: "manual", amount: 1000, reason: "work" }, 409],
      ["GET", "/v1/no-such-thing", undefined, 404],
    ] as const) {
      const sent = await ledger.call(method, path, { body, headers: { "x-request-id": `req-${status}` } });
      expect([sent.status, sent.headers.get("x-request-id")]).toEqual([status, `req-${status}`]);
      const made = await ledger.call(method, path, { body });
      expect(made.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    }
    const unauthorised = await ledger.call("GET", `/v1/wallets/${owner}`, { key: "wrong", headers: { "x-request-id": "not valid!" } });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 503 on any route needing integration secrets when the server has no secrets key, and writes nothing", async () => {
    const saved = process.env.LEDGER_SECRETS_KEY;
    delete process.env.LEDGER_SECRETS_KEY;
    try {
      for (const [method, path, body] of [
        ["PUT", "/v1/integrations/deskpro", { url: "https://support.example.com", apiKey: "12:Zx8v2Kq9LmN4pR7s" }],
        ["PUT", "/v1/integrations/stripe", { secretKey: "sk_test_51Abcdefghijklmnopqrstuv" }],
        ["PUT", "/v1/alerts/settings", { webhooks: [{ id: "ops", url: "https://ops.example.com/hook", secret: `whsec_${"A".repeat(32)}` }] }],
        ["POST", `/v1/wallets/${newOwner()}/customer-links`, {}],
      ] as const) {
        const r = await ledger.call(method, path, { body });
        expect(r.status, `${method} ${path}`).toBe(503);
        expect(Problem.parse(r.body).code).toBe("service_unavailable");
      }
    } finally {
      if (saved === undefined) delete process.env.LEDGER_SECRETS_KEY;
      else process.env.LEDGER_SECRETS_KEY = saved;
    }
    expect((await ledger.call("GET", "/v1/integrations/deskpro")).body).toMatchObject({ url: null, apiKeySet: false });
    expect((await ledger.call("GET", "/v1/integrations/stripe")).body).toMatchObject({ secretKeySet: false });
    expect((await ledger.call("GET", "/v1/alerts/settings")).body).toMatchObject({ webhooks: [] });
  });

  it("gives every owner an implicit bank with balance 0", async () => {
    const w = await wallet(newOwner("person"));
    expect(w.balance).toBe(0);
    expect(w.grants).toEqual([]);
    expect(w.plan).toBeNull();
  });

  it("grants credits and spends them, with the statement and balance agreeing", async () => {
    const owner = newOwner();
    const g = await grant(owner, 500);
    expect(g.status).toBe(201);
    const granted = WriteResult.parse(g.body);
    expect(granted.balance).toBe(500);
    expect(granted.entry).toMatchObject({ kind: "grant", amount: 500, balanceAfter: 500, reason: "top-up" });
    const d = await debit(owner, { kind: "manual", amount: 120, reason: "Onboarding call", agent: "Ruth" });
    expect(d.status).toBe(201);
    const debited = WriteResult.parse(d.body);
    expect(debited.entry).toMatchObject({
      kind: "manual",
      amount: -120,
      balanceAfter: 380,
      agent: "Ruth",
      draws: [{ grantId: granted.entry.grantId, amount: -120 }],
    });
    const w = await wallet(owner);
    expect(w.balance).toBe(380);
    expect(w.grants).toEqual([expect.objectContaining({ id: granted.entry.grantId, amount: 500, remaining: 380, source: "manual", paid: false })]);
    const statement = await entries(owner);
    expect(statement.map((e) => e.amount)).toEqual([-120, 500]);
  });

  it("refuses a debit it can't cover with 409 insufficient_credits and writes nothing", async () => {
    const owner = newOwner();
    await grant(owner, 100);
    const before = await entries(owner);
    const d = await debit(owner, { kind: "manual", amount: 101, reason: "too much" });
    expect(d.status).toBe(409);
    expect(d.headers.get("content-type")).toContain("application/problem+json");
    expect(Problem.parse(d.body)).toMatchObject({ code: "insufficient_credits", balance: 100, required: 101 });
    expect(await entries(owner)).toEqual(before);
    expect((await wallet(owner)).balance).toBe(100);
  });

  it("prices time on the ticket's total with the configured rate and increment", async () => {
    const other = await ledger.newTenant();
    const put = await ledger.call("PUT", "/v1/config", {
      key: other.apiKey,
      body: { time: { credits: 60, perMinutes: 60, incrementMinutes: 60, minimumMinutes: 0 } },
    });
    expect(put.status).toBe(200);
    const owner = newOwner();
    const ticketId = newTicket();
    await ledger.call("POST", `/v1/wallets/${owner}/grants`, { key: other.apiKey, body: { amount: 1000, reason: "x" } });
    const amounts: number[] = [];
    for (const minutes of [45, 45, 5]) {
      const r = await ledger.call("POST", `/v1/wallets/${owner}/debits`, { key: other.apiKey, body: { kind: "time", minutes, ticketId } });
      expect(r.status).toBe(201);
      amounts.push(r.body.entry.amount);
    }
    expect(amounts).toEqual([-60, -60, 0]);
    const ticket = TicketEntries.parse((await ledger.call("GET", `/v1/tickets/${ticketId}/entries`, { key: other.apiKey })).body);
    expect(ticket.totals).toEqual({ net: 120, minutes: 95, unbilledMinutes: 0 });
  });

  it("previews a time debit with the per-ticket rounding (27 min → 30 credits)", async () => {
    const owner = newOwner();
    await grant(owner, 1240);
    const q = await ledger.call("POST", `/v1/wallets/${owner}/quote`, { body: { kind: "time", minutes: 27, ticketId: newTicket() } });
    expect(q.status).toBe(200);
    expect(Quote.parse(q.body)).toEqual({
      amount: 30,
      balance: 1240,
      balanceAfter: 1210,
      insufficient: false,
      billedMinutesBefore: 0,
      billedMinutesAfter: 30,
      overdraft: 0,
    });
    expect(await entries(owner)).toHaveLength(1); // a quote writes nothing
  });

  it("refuses time whose price would pass the billion credits a write may move, in debits and quotes, and writes nothing", async () => {
    const other = await ledger.newTenant();
    const as = { key: other.apiKey };
    expect((await ledger.call("PUT", "/v1/config", { ...as, body: { time: { credits: 1_000_000, perMinutes: 1, incrementMinutes: 1 } } })).status).toBe(200);
    const owner = newOwner();
    for (let i = 0; i < 2; i++) {
      expect((await ledger.call("POST", `/v1/wallets/${owner}/grants`, { ...as, body: { amount: 1_000_000_000, reason: "x" } })).status).toBe(201);
    }
    const ticketId = newTicket();
    const tooMuch = { kind: "time", minutes: 1001, ticketId };
    for (const path of ["debits", "quote"]) {
      const r = await ledger.call("POST", `/v1/wallets/${owner}/${path}`, { ...as, body: tooMuch });
      expect(r.status, path).toBe(422);
      expect(r.body).toMatchObject({ code: "amount_out_of_range", amount: 1_001_000_000, max: 1_000_000_000 });
      expect(r.body.detail).toContain("1,001,000,000");
    }
    expect((await ledger.call("GET", `/v1/wallets/${owner}/entries`, as)).body.entries).toHaveLength(2);
    // Within the range it is written, and the ticket's total counts towards the next entry's price.
    const allowed = await ledger.call("POST", `/v1/wallets/${owner}/debits`, { ...as, body: { ...tooMuch, minutes: 1000 } });
    expect(allowed.status).toBe(201);
    expect(allowed.body.entry.amount).toBe(-1_000_000_000);
  });

  it("charges a tier fee once per ticket, and refuses unknown tiers", async () => {
    const owner = newOwner();
    const ticketId = newTicket();
    await grant(owner, 400);
    const first = await debit(owner, { kind: "priority", tier: "1-hour", ticketId });
    expect(first.status).toBe(201);
    expect(first.body.entry).toMatchObject({ kind: "priority", amount: -250, tier: "1-hour", reason: "1-hour response", ticketId });
    const again = await debit(owner, { kind: "priority", tier: "4-hour", ticketId });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("tier_already_charged");
    const unknown = await debit(owner, { kind: "priority", tier: "platinum", ticketId: newTicket() });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe("unknown_tier");
    expect((await wallet(owner)).balance).toBe(150);
    // once refunded, the ticket can take another tier
    await ledger.call("POST", `/v1/entries/${first.body.entry.id}/reversal`, { body: { reason: "downgraded" } });
    expect((await debit(owner, { kind: "priority", tier: "4-hour", ticketId })).status).toBe(201);
  });

  it("refunds a debit once, back onto the grants it drew on", async () => {
    const owner = newOwner();
    const g = await grant(owner, 300);
    const d = await debit(owner, { kind: "manual", amount: 200, reason: "work" });
    const r = await ledger.call("POST", `/v1/entries/${d.body.entry.id}/reversal`, { body: { reason: "goodwill", agent: "Sam" } });
    expect(r.status).toBe(201);
    expect(Entry.parse(r.body.entry)).toMatchObject({
      kind: "refund",
      amount: 200,
      balanceAfter: 300,
      reversesEntryId: d.body.entry.id,
      draws: [{ grantId: g.body.entry.grantId, amount: 200 }],
    });
    const second = await ledger.call("POST", `/v1/entries/${d.body.entry.id}/reversal`, { body: { reason: "again" } });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe("already_reversed");
    expect((await wallet(owner)).grants[0]?.remaining).toBe(300);
  });

  it("voids what remains of a grant, and refuses to reverse a reversal or an unknown entry", async () => {
    const owner = newOwner();
    const g = await grant(owner, 100);
    await debit(owner, { kind: "manual", amount: 30, reason: "x" });
    const v = await ledger.call("POST", `/v1/entries/${g.body.entry.id}/reversal`, { body: { reason: "entered twice" } });
    expect(v.status).toBe(201);
    expect(v.body.entry).toMatchObject({ kind: "void", amount: -70, balanceAfter: 0, grantId: g.body.entry.grantId });
    expect((await wallet(owner)).grants).toEqual([]);
    const ofVoid = await ledger.call("POST", `/v1/entries/${v.body.entry.id}/reversal`, { body: { reason: "undo" } });
    expect(ofVoid.status).toBe(409);
    expect(ofVoid.body.code).toBe("not_reversible");
    const missing = await ledger.call("POST", `/v1/entries/ent_${"0".repeat(26)}/reversal`, { body: { reason: "?" } });
    expect(missing.status).toBe(404);
  });

  it("expires a grant at its expiry as an entry, and never spends it after", async () => {
    const owner = newOwner();
    const start = ledger.clock.now();
    await grant(owner, 100, { expiresAt: new Date(start.getTime() + 10 * DAY).toISOString() });
    await grant(owner, 50);
    ledger.clock.advance(11 * DAY);
    try {
      const w = await wallet(owner);
      expect(w.balance).toBe(50);
      const statement = await entries(owner);
      expect(statement[0]).toMatchObject({ kind: "expiry", amount: -100, balanceAfter: 50 });
      const tooMuch = await debit(owner, { kind: "manual", amount: 51, reason: "x" });
      expect(tooMuch.status).toBe(409);
      expect((await debit(owner, { kind: "manual", amount: 50, reason: "x" })).body.balance).toBe(0);
      // reading again expires nothing twice
      await wallet(owner);
      expect((await entries(owner)).filter((e) => e.kind === "expiry")).toHaveLength(1);
    } finally {
      ledger.clock.set(start);
    }
  });

  it("allows an overdraft only up to the plan's limit", async () => {
    const other = await ledger.newTenant();
    const call = (method: string, path: string, body?: unknown) => ledger.call(method, path, { key: other.apiKey, body });
    expect((await call("PUT", "/v1/config", { plans: [{ key: "trust", name: "Trusted", overdraftLimit: 50 }] })).status).toBe(200);
    const owner = newOwner();
    expect((await call("PUT", `/v1/wallets/${owner}/plan`, { plan: "trust" })).body.overdraftLimit).toBe(50);
    await call("POST", `/v1/wallets/${owner}/grants`, { amount: 20, reason: "x" });
    expect((await call("POST", `/v1/wallets/${owner}/debits`, { kind: "manual", amount: 71, reason: "x" })).status).toBe(409);
    const ok = await call("POST", `/v1/wallets/${owner}/debits`, { kind: "manual", amount: 70, reason: "x" });
    expect(ok.body.balance).toBe(-50);
    // a grant repays the debt first
    const topUp = await call("POST", `/v1/wallets/${owner}/grants`, { amount: 80, reason: "x" });
    expect(topUp.body.balance).toBe(30);
    const w = Wallet.parse((await call("GET", `/v1/wallets/${owner}`)).body);
    expect(w.grants.reduce((s, g) => s + g.remaining, 0)).toBe(30);
  });

  it("pages the statement newest first with a cursor, and exports CSV", async () => {
    const owner = newOwner();
    for (let i = 1; i <= 7; i++) await grant(owner, i, { reason: i === 3 ? '=HYPERLINK("x"), "quoted"' : `grant ${i}` });
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=3${cursor ? `&cursor=${cursor}` : ""}`)).body);
      seen.push(...page.entries.map((e) => e.amount));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const csv = await ledger.call("GET", `/v1/wallets/${owner}/entries`, { headers: { accept: "text/csv" } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    const lines = csv.text.trim().split("\r\n");
    // The columns importers read keep their names and codes; the kind in words is appended last.
    expect(lines[0]).toBe("id,createdAt,kind,amount,balanceAfter,ticketId,minutes,tier,reason,agent,reversesEntryId,kindName");
    expect(lines).toHaveLength(8);
    for (const line of lines.slice(1)) expect(line).toMatch(/,grant,.*,Credits added$/);
    expect(csv.text).toContain(`"'=HYPERLINK(""x""), ""quoted"""`);
    const page = await ledger.call("GET", `/v1/wallets/${owner}/entries?limit=2`, { headers: { accept: "text/csv" } });
    expect(page.text.trim().split("\r\n")).toHaveLength(3);
    expect(page.headers.get("x-next-cursor")).toBeTruthy();
    const bad = await ledger.call("GET", `/v1/wallets/${owner}/entries?cursor=zzzzzzzzzzzzzzzzzzz`);
    expect(bad.status).toBe(400);
  });

  it("says which bank pays for a ticket and why", async () => {
    const person = String(700000 + ++seq);
    const org = String(800000 + ++seq);
    const payer = async () => TicketPayer.parse((await ledger.call("GET", `/v1/tickets/1/payer?person=${person}&org=${org}`)).body);
    expect(await payer()).toMatchObject({ owner: `org:${org}`, reason: "organisation" });
    await grant(`person:${person}`, 10);
    expect(await payer()).toMatchObject({ owner: `person:${person}`, reason: "person_has_credits" });
    const alone = TicketPayer.parse((await ledger.call("GET", `/v1/tickets/1/payer?person=${700000 + ++seq}`)).body);
    expect(alone.reason).toBe("person_no_org");
  });

  it("keeps config versions and refuses a stale If-Match", async () => {
    const other = await ledger.newTenant();
    const get = ConfigResponse.parse((await ledger.call("GET", "/v1/config", { key: other.apiKey })).body);
    expect(get.version).toBe(0);
    expect(get.config.tiers.map((t) => t.key)).toEqual(["standard", "4-hour", "1-hour"]);
    const tiers = get.config.tiers.map((t) => (t.key === "1-hour" ? { ...t, price: 300 } : t));
    const saved = await ledger.call("PUT", "/v1/config", { key: other.apiKey, body: { ...get.config, tiers }, headers: { "if-match": '"0"' } });
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(1);
    const stale = await ledger.call("PUT", "/v1/config", { key: other.apiKey, body: get.config, headers: { "if-match": '"0"' } });
    expect(stale.status).toBe(412);
    // Editing the current version saves over it; the version it replaced is stale from then on.
    const tiers2 = tiers.map((t) => (t.key === "1-hour" ? { ...t, price: 320 } : t));
    const next = await ledger.call("PUT", "/v1/config", { key: other.apiKey, body: { ...get.config, tiers: tiers2 }, headers: { "if-match": '"1"' } });
    expect(next.status).toBe(200);
    expect(next.body.version).toBe(2);
    expect((await ledger.call("PUT", "/v1/config", { key: other.apiKey, body: { ...get.config, tiers }, headers: { "if-match": '"1"' } })).status).toBe(412);
    const revert = await ledger.call("PUT", "/v1/config", { key: other.apiKey, body: { ...get.config, tiers }, headers: { "if-match": '"2"' } });
    expect(revert.body.version).toBe(3);
    const invalid = await ledger.call("PUT", "/v1/config", {
      key: other.apiKey,
      body: {
        tiers: [
          { key: "a", label: "A", price: -1 },
          { key: "a", label: "B", price: 1.5 },
        ],
        defaultPlan: "nope",
      },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(["body.tiers.0.price", "body.tiers.1.price"]));
    expect(ConfigResponse.parse((await ledger.call("GET", "/v1/config", { key: other.apiKey })).body).config.tiers.find((t) => t.key === "1-hour")?.price).toBe(
      300,
    );
  });

  describe("idempotency", () => {
    it("replays the original answer for the same key and body, and writes nothing new", async () => {
      const owner = newOwner();
      await grant(owner, 100);
      const first = await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "same-key-1");
      const replay = await ledger.call("POST", `/v1/wallets/${owner}/debits`, {
        rawBody: '{ "reason": "x", "amount": 10, "kind": "manual" }',
        idempotencyKey: "same-key-1",
      });
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect(replay.body).toEqual(first.body);
      expect((await wallet(owner)).balance).toBe(90);
    });

    it("refuses the same key with a different body (409) or path", async () => {
      const owner = newOwner();
      await grant(owner, 100);
      await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "same-key-2");
      const other = await debit(owner, { kind: "manual", amount: 11, reason: "x" }, "same-key-2");
      expect(other.status).toBe(409);
      expect(other.body.code).toBe("idempotency_key_reused");
      const otherPath = await debit(newOwner(), { kind: "manual", amount: 10, reason: "x" }, "same-key-2");
      expect(otherPath.status).toBe(409);
      expect((await wallet(owner)).balance).toBe(90);
    });

    it("replays retries that mean the same: an encoded path, a default sent explicitly, spacing the ledger trims", async () => {
      const owner = newOwner();
      await grant(owner, 100);
      const first = await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "same-meaning-1");
      expect(first.status).toBe(201);
      const encoded = await ledger.call("POST", `/v1/wallets/${owner.replace(":", "%3A")}/debits`, {
        body: { kind: "manual", amount: 10, reason: "  x " },
        idempotencyKey: "same-meaning-1",
      });
      expect(encoded.status).toBe(201);
      expect(encoded.headers.get("idempotent-replayed")).toBe("true");
      expect(encoded.body).toEqual(first.body);

      const granted = await grant(owner, 5, {}, "same-meaning-2");
      const explicit = await grant(owner, 5, { source: "manual" }, "same-meaning-2");
      expect(explicit.status).toBe(201);
      expect(explicit.headers.get("idempotent-replayed")).toBe("true");
      expect(explicit.body).toEqual(granted.body);
      expect((await wallet(owner)).balance).toBe(95);
      // Another meaning under the same key is still refused.
      expect((await grant(owner, 5, { source: "promo" }, "same-meaning-2")).status).toBe(409);
    });

    it("requires a key on writes", async () => {
      const owner = newOwner();
      const r = await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 5, reason: "x" }, idempotencyKey: null });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe("idempotency_key_required");
      const long = await ledger.call("POST", `/v1/wallets/${owner}/grants`, { body: { amount: 5, reason: "x" }, idempotencyKey: "k".repeat(256) });
      expect(long.status).toBe(400);
      expect(await entries(owner)).toEqual([]);
    });

    it("keeps a refusal as the key's answer: the retry is refused the same way, a new key after a top-up is served", async () => {
      const owner = newOwner();
      const refused = await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "retry-after-top-up");
      expect(refused.status).toBe(409);
      await grant(owner, 10);
      const retried = await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "retry-after-top-up");
      expect(retried.status).toBe(409);
      expect(retried.text).toBe(refused.text);
      expect(retried.headers.get("idempotent-replayed")).toBe("true");
      expect((await wallet(owner)).balance).toBe(10);
      const anew = await debit(owner, { kind: "manual", amount: 10, reason: "x" }, "after-top-up");
      expect(anew.status).toBe(201);
    });

    it("does not keep a key whose request was invalid, so the corrected retry is served", async () => {
      const owner = newOwner();
      await grant(owner, 10);
      const invalid = await debit(owner, { kind: "manual", amount: 0, reason: "x" }, "fix-and-retry");
      expect(invalid.status).toBe(400);
      const corrected = await debit(owner, { kind: "manual", amount: 5, reason: "x" }, "fix-and-retry");
      expect(corrected.status).toBe(201);
    });

    it("writes once when identical requests arrive at the same moment", async () => {
      const owner = newOwner();
      await grant(owner, 1000);
      const results = await Promise.all(Array.from({ length: 12 }, () => debit(owner, { kind: "manual", amount: 7, reason: "same time" }, "simultaneous")));
      expect(new Set(results.map((r) => r.status))).toEqual(new Set([201]));
      expect(new Set(results.map((r) => JSON.stringify(r.body))).size).toBe(1);
      expect((await entries(owner)).filter((e) => e.kind === "manual")).toHaveLength(1);
      expect((await wallet(owner)).balance).toBe(993);
    });
  });

  describe("bad input changes nothing", () => {
    const cases: [string, Parameters<TestLedger["call"]>[2], number, string][] = [
      ["a non-JSON content type", { rawBody: "amount=5", headers: { "content-type": "application/x-www-form-urlencoded" } }, 415, "unsupported_media_type"],
      ["malformed JSON", { rawBody: '{"amount": 5,' }, 400, "invalid_request"],
      ["a body over the limit", { rawBody: JSON.stringify({ amount: 5, reason: "x".repeat(70 * 1024) }) }, 413, "payload_too_large"],
      ["a fractional amount", { body: { amount: 1.5, reason: "x" } }, 400, "invalid_request"],
      ["a zero amount", { body: { amount: 0, reason: "x" } }, 400, "invalid_request"],
      ["an amount over a billion", { body: { amount: 1_000_000_001, reason: "x" } }, 400, "invalid_request"],
      ["a missing reason", { body: { amount: 5 } }, 400, "invalid_request"],
      ["an unknown field", { body: { amount: 5, reason: "x", balance: 9 } }, 400, "invalid_request"],
      ["an expiry in the past", { body: { amount: 5, reason: "x", expiresAt: "2000-01-01T00:00:00Z" } }, 400, "invalid_request"],
      ["a source customers may not set", { body: { amount: 5, reason: "x", source: "purchase" } }, 400, "invalid_request"],
    ];
    it.each(cases)("refuses %s", async (_name, options, status, code) => {
      const owner = newOwner();
      const r = await ledger.call("POST", `/v1/wallets/${owner}/grants`, options);
      expect(r.status).toBe(status);
      expect(r.headers.get("content-type")).toContain("application/problem+json");
      expect(r.body.code).toBe(code);
      expect(r.text).not.toMatch(/at .*\.ts:\d+|stack/i);
      expect(await entries(owner)).toEqual([]);
    });

    it("lists each offending field", async () => {
      const r = await debit(newOwner(), { kind: "time", minutes: -3, ticketId: "abc" });
      expect(r.status).toBe(400);
      expect(r.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body.minutes", "body.ticketId"]);
    });

    it.each(["org:abc", "team:1", "org:0", "org:1:2", "person:"])("refuses the malformed owner %s with 400", async (owner) => {
      const r = await ledger.call("GET", `/v1/wallets/${encodeURIComponent(owner)}`);
      expect(r.status).toBe(400);
      expect(r.body.errors[0].path).toBe("param.owner");
    });

    it("refuses malformed entry and ticket ids with 400", async () => {
      expect((await ledger.call("POST", "/v1/entries/42/reversal", { body: { reason: "x" } })).status).toBe(400);
      expect((await ledger.call("GET", "/v1/tickets/abc/entries")).status).toBe(400);
    });
  });

  describe("auth and tenant isolation", () => {
    it("refuses a missing or wrong key with 401", async () => {
      for (const key of [null, "sck_wrong", ""]) {
        const r = await ledger.call("GET", "/v1/wallets/org:1", { key });
        expect(r.status).toBe(401);
        expect(r.body.code).toBe("unauthorized");
      }
    });

    it("shows a tenant only its own banks and entries", async () => {
      const owner = newOwner();
      const g = await grant(owner, 100);
      const b = await ledger.newTenant();
      const seenByB = Wallet.parse((await ledger.call("GET", `/v1/wallets/${owner}`, { key: b.apiKey })).body);
      expect(seenByB.balance).toBe(0);
      const reverse = await ledger.call("POST", `/v1/entries/${g.body.entry.id}/reversal`, { key: b.apiKey, body: { reason: "steal" } });
      expect(reverse.status).toBe(404);
      const page = EntryPage.parse((await ledger.call("GET", `/v1/wallets/${owner}/entries`, { key: b.apiKey })).body);
      expect(page.entries).toEqual([]);
      expect((await wallet(owner)).balance).toBe(100);
    });
  });

  it("logs one structured line per request, without keys or query strings", async () => {
    ledger.logs.length = 0;
    await ledger.call("GET", "/v1/wallets/org:1/entries?limit=2");
    await ledger.call("GET", "/v1/wallets/org:1", { key: "sck_secret_wrong_key" });
    expect(ledger.logs).toHaveLength(2);
    expect(ledger.logs[0]).toMatchObject({ msg: "request", method: "GET", route: "/v1/wallets/:owner/entries", status: 200, tenant: ledger.tenantId });
    const text = JSON.stringify(ledger.logs);
    expect(text).not.toContain(ledger.apiKey);
    expect(text).not.toContain("sck_secret_wrong_key");
    expect(text).not.toContain("limit=2");
  });

  it("refuses to edit or delete journal entries at the database level", async () => {
    const owner = newOwner();
    const g = await grant(owner, 5);
    await expect(ledger.db.query("UPDATE entries SET amount = 500 WHERE id = $1", [g.body.entry.id])).rejects.toThrow(/append-only/);
    await expect(ledger.db.query("DELETE FROM entries WHERE id = $1", [g.body.entry.id])).rejects.toThrow(/append-only/);
  });
});
