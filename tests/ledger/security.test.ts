/**
 * Security checks across the whole API, driven by the OpenAPI document so that every endpoint,
 * including ones added later, is covered: no tenant sees or changes another's data, no secret
 * appears in a response or a log line; clients are rate limited by the address they really come
 * from, with and without keys; a client's abort is logged as its own; text the database can't
 * store is refused naming the field.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { ledgerEnv, startLedgerServer } from "../../src/ledger/node.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { connect } from "node:net";
import { backends, createTestLedger, type TestLedger } from "../helpers/ledger.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { randomBytes } from "node:crypto";

// Integrations seal secrets and sign customer links with the server key, as in a deployment.
process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

describe.each(backends())("security on %s", (backend) => {
  let ledger: TestLedger;
  const a = { owner: "org:4242", person: "person:4243", ticketId: "4244", entryId: "", grantId: "", reason: "tenant-A-private-reason-7Q" };
  let stateOfA = "";

  const snapshotA = async () =>
    JSON.stringify([
      (await ledger.call("GET", `/v1/wallets/${a.owner}`)).body,
      (await ledger.call("GET", `/v1/wallets/${a.owner}/entries?limit=500`)).body,
      (await ledger.call("GET", `/v1/tickets/${a.ticketId}/entries`)).body,
      (await ledger.call("GET", "/v1/config")).body,
    ]);

  beforeAll(async () => {
    ledger = await createTestLedger(backend);
    const g = await ledger.call("POST", `/v1/wallets/${a.owner}/grants`, { body: { amount: 777, reason: a.reason } });
    a.grantId = g.body.entry.grantId;
    const d = await ledger.call("POST", `/v1/wallets/${a.owner}/debits`, { body: { kind: "time", minutes: 20, ticketId: a.ticketId, reason: a.reason } });
    a.entryId = d.body.entry.id;
    await ledger.call("PUT", "/v1/config", { body: { plans: [{ key: "a-private-plan", name: a.reason }] } });
    stateOfA = await snapshotA();
  });
  afterAll(() => ledger.close());

  it("never shows or changes one tenant's data to another, on any endpoint", async () => {
    const b = await ledger.newTenant();
    const doc = (await ledger.call("GET", "/v1/openapi.json", { key: null })).body as { paths: Record<string, Record<string, unknown>> };
    const calls: string[] = [];
    for (const [template, operations] of Object.entries(doc.paths)) {
      if (!template.startsWith("/v1/") || template === "/v1/openapi.json") continue;
      const path = template
        .replace("{owner}", a.owner)
        .replace("{entryId}", a.entryId)
        .replace("{ticketId}", a.ticketId)
        .replace("{grantId}", a.grantId)
        .replace(/\{[^}]+\}/g, "1");
      for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
        for (const body of method === "GET" ? [undefined] : [{}, { reason: "take it", amount: 1, kind: "manual", plan: null }]) {
          const query = path.includes("/payer") ? `?person=${a.person.split(":")[1]}&org=${a.owner.split(":")[1]}` : "";
          const r = await ledger.call(method, path + query, { key: b.apiKey, body });
          calls.push(`${method} ${template} → ${r.status}`);
          expect(r.status, `${method} ${template}`).toBeLessThan(500);
          for (const secret of [a.entryId, a.grantId, a.reason, ledger.tenantId, "a-private-plan"]) {
            expect(r.text, `${method} ${template} leaked ${secret}`).not.toContain(secret);
          }
        }
      }
    }
    expect(calls.length).toBeGreaterThan(10);
    expect(await snapshotA()).toBe(stateOfA);
  });

  it("never puts a key in a response or a log line", async () => {
    ledger.logs.length = 0;
    const responses: string[] = [];
    for (const [method, path, body] of [
      ["GET", "/v1/wallets/org:1", undefined],
      ["POST", "/v1/wallets/org:1/debits", { kind: "manual", amount: 10_000, reason: "x" }],
      ["POST", "/v1/wallets/org:1/grants", { amount: "x" }],
      ["PUT", "/v1/config", { tiers: "nope" }],
      ["GET", "/v1/nothing-here", undefined],
    ] as const) {
      responses.push((await ledger.call(method, path, { body })).text);
      responses.push((await ledger.call(method, path, { body, key: `${ledger.apiKey}x` })).text);
    }
    const everything = responses.join("\n") + JSON.stringify(ledger.logs);
    expect(ledger.logs.length).toBeGreaterThanOrEqual(10);
    expect(everything).not.toContain(ledger.apiKey);
    expect(everything).not.toContain(ledger.apiKey.slice(4, 24));
    expect(everything).not.toMatch(/postgres:\/\/|password/i);
  });
});

describe.each(backends())("answers on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());

  it("tell browsers never to sniff a type: every answer, page, problem and refusal says nosniff", async () => {
    const link = await ledger.call("POST", "/v1/wallets/org:77/customer-links", { body: {} });
    expect(link.status).toBe(201);
    const page = new URL(link.body.url as string).pathname;
    const answers: Array<[string, { status: number; headers: Headers }]> = [
      ["health", await ledger.call("GET", "/healthz", { key: null })],
      ["document", await ledger.call("GET", "/v1/openapi.json", { key: null })],
      ["read", await ledger.call("GET", "/v1/config")],
      ["customer page", await ledger.call("GET", page, { key: null })],
      ["customer page, bad link", await ledger.call("GET", "/pay/not-a-token", { key: null })],
      ["no key", await ledger.call("GET", "/v1/config", { key: null })],
      ["no such endpoint", await ledger.call("GET", "/v1/nothing-here")],
      ["invalid body", await ledger.call("POST", "/v1/wallets/org:1/grants", { body: { amount: "x" } })],
      ["not json", await ledger.call("POST", "/v1/wallets/org:1/grants", { rawBody: "nope", headers: { "content-type": "text/plain" } })],
    ];
    const limited = createLedgerApp({ db: ledger.db, log: () => undefined, signup: false, publicRateLimit: { burst: 1, perSecond: 0.01 } });
    answers.push([
      "sign-up off",
      await limited.fetch(new Request("http://ledger.test/v1/signup", { method: "POST", body: "{}", headers: { "content-type": "application/json" } })),
    ]);
    answers.push(["rate limited", await limited.fetch(new Request("http://ledger.test/healthz"))]);
    expect(answers.map(([what, r]) => `${what} ${r.status}`)).toEqual([
      "health 200",
      "document 200",
      "read 200",
      "customer page 200",
      "customer page, bad link 404",
      "no key 401",
      "no such endpoint 404",
      "invalid body 400",
      "not json 415",
      "sign-up off 403",
      "rate limited 429",
    ]);
    for (const [what, answer] of answers) expect(answer.headers.get("x-content-type-options"), what).toBe("nosniff");
  });
});

describe("rate limiting", () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger("pglite");
  });
  afterAll(() => ledger.close());

  /** A ledger behind `proxies` trusted proxies; each request carries the X-Forwarded-For those proxies wrote. */
  const behindProxies = (options: { burst: number; failed?: number; proxies?: number }) => {
    const app = createLedgerApp({
      db: ledger.db,
      log: () => undefined,
      trustedProxies: options.proxies ?? 1,
      publicRateLimit: { burst: options.burst, perSecond: 0.01 },
      failedAuthRateLimit: { burst: options.failed ?? options.burst, perSecond: 0.01 },
    });
    return (forwardedFor: string, path = "/v1/openapi.json", init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
      app.fetch(
        new Request(`http://ledger.test${path}`, {
          method: init.method ?? "GET",
          body: init.body,
          headers: { "x-forwarded-for": forwardedFor, ...init.headers },
        }),
      );
  };
  const statuses = (responses: Response[]) => responses.map((r) => r.status).sort((a, b) => a - b);

  it("refuses a flooding client with 429 while other clients and keyed calls go on", async () => {
    const from = behindProxies({ burst: 5 });
    const flood = await Promise.all(Array.from({ length: 20 }, () => from("203.0.113.9")));
    expect(flood.filter((r) => r.status === 200)).toHaveLength(5);
    const limited = flood.filter((r) => r.status === 429);
    expect(limited).toHaveLength(15);
    expect(limited[0]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await limited[0]!.json()) as { code: string }).code).toBe("rate_limited");
    expect((await from("198.51.100.7")).status).toBe(200);
    const keyed = await from("203.0.113.9", "/v1/wallets/org:1", { headers: { authorization: `Bearer ${ledger.apiKey}` } });
    expect(keyed.status).toBe(200);
  });

  it("limits a client across every path without a key: health, webhooks, customer pages and made-up tenant ids", async () => {
    const from = behindProxies({ burst: 6 });
    const fakeTenant = () => `tnt_${randomBytes(13).toString("hex").slice(0, 26)}`;
    const paths: Array<[string, string]> = [
      ["/healthz", "GET"],
      ["/v1/openapi.json", "GET"],
      [`/hooks/stripe/${ledger.tenantId}`, "POST"],
      ["/pay/not-a-token", "GET"],
    ];
    for (let i = 0; i < 4; i++) paths.push([`/hooks/deskpro/${fakeTenant()}/ticket-created`, "POST"], [`/hooks/stripe/${fakeTenant()}`, "POST"]);
    const answers = await Promise.all(
      paths.map(([path, method]) =>
        from("203.0.113.20", path, { method, headers: { "content-type": "application/json" }, body: method === "POST" ? "{}" : undefined }),
      ),
    );
    expect(answers.filter((r) => r.status === 429)).toHaveLength(paths.length - 6);
    expect(answers.filter((r) => r.status >= 500)).toHaveLength(0);
    // Someone else is not starved by the flood.
    expect((await from("198.51.100.60", "/healthz")).status).toBe(200);
  });

  it("limits failed authentication per client, while keys that just worked go on", async () => {
    const from = behindProxies({ burst: 100, failed: 4 });
    expect((await from("203.0.113.30", "/v1/wallets/org:1", { headers: { authorization: `Bearer ${ledger.apiKey}` } })).status).toBe(200);
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => from("203.0.113.30", "/v1/wallets/org:1", { headers: { authorization: `Bearer sck_guess${i}` } })),
    );
    expect(statuses(guesses)).toEqual([...Array(4).fill(401), ...Array(8).fill(429)]);
    const noKey = await from("203.0.113.30", "/v1/config");
    expect(noKey.status).toBe(429);
    // The key it used a moment ago still works from there; another client's wrong key is its own business.
    expect((await from("203.0.113.30", "/v1/wallets/org:1", { headers: { authorization: `Bearer ${ledger.apiKey}` } })).status).toBe(200);
    expect((await from("198.51.100.31", "/v1/config", { headers: { authorization: "Bearer sck_wrong" } })).status).toBe(401);
  });

  it("always serves a right key: wrong keys from the same address (Deskpro's shared proxy) never lock it out", async () => {
    const from = behindProxies({ burst: 100, failed: 4 });
    const wrong = () => from("203.0.113.32", "/v1/config", { headers: { authorization: `Bearer sck_${randomBytes(16).toString("hex")}` } });
    const flood = await Promise.all(Array.from({ length: 30 }, wrong));
    expect(statuses(flood)).toEqual([...Array(4).fill(401), ...Array(26).fill(429)]);
    // Another tenant's key, never seen by this process, arriving at the flooded address.
    const other = await ledger.newTenant();
    const served = await from("203.0.113.32", "/v1/wallets/org:1", { headers: { authorization: `Bearer ${other.apiKey}` } });
    expect(served.status).toBe(200);
    expect((await wrong()).status).toBe(429);
  });

  it("charges nothing to a right key when the database could not check it: 503 with Retry-After, then served", async () => {
    let down = true;
    const unavailable = () => Object.assign(new Error("server login has been failing, try again later (server_login_retry)"), { code: "08P01" });
    const blinking: Database = {
      ...ledger.db,
      query: (text, params) => (down ? Promise.reject(unavailable()) : ledger.db.query(text, params)),
      transaction: (work, options) => (down ? Promise.reject(unavailable()) : ledger.db.transaction(work, options)),
    };
    const app = createLedgerApp({ db: blinking, log: () => undefined, trustedProxies: 1, failedAuthRateLimit: { burst: 2, perSecond: 0.01 } });
    const { apiKey } = await ledger.newTenant();
    const ask = () =>
      app.fetch(new Request("http://ledger.test/v1/wallets/org:1", { headers: { "x-forwarded-for": "203.0.113.33", authorization: `Bearer ${apiKey}` } }));
    const during = await Promise.all(Array.from({ length: 10 }, ask));
    expect(statuses(during)).toEqual(Array(10).fill(503));
    expect(during[0]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await during[0]!.json()) as { code: string }).code).toBe("service_unavailable");
    down = false;
    expect((await ask()).status).toBe(200);
  });

  it("reads the client from X-Forwarded-For past the trusted proxies, not from what the client wrote", async () => {
    const oneProxy = behindProxies({ burst: 3 });
    // The client writes whatever it likes on the left; the proxy appends the address it saw.
    const spoofed = await Promise.all(Array.from({ length: 8 }, (_, i) => oneProxy(`10.0.0.${i}, 203.0.113.40`)));
    expect(spoofed.filter((r) => r.status === 429)).toHaveLength(5);
    expect((await oneProxy("203.0.113.41")).status).toBe(200);

    const twoProxies = behindProxies({ burst: 3, proxies: 2 });
    const viaCdn = await Promise.all(Array.from({ length: 8 }, (_, i) => twoProxies(`1.2.3.${i}, 203.0.113.50, 198.51.100.${i}`)));
    expect(viaCdn.filter((r) => r.status === 429)).toHaveLength(5);
  });

  it("reads the number of trusted proxies and the allowance from the environment", () => {
    expect(ledgerEnv({}).trustedProxies).toBe(0);
    expect(ledgerEnv({ LEDGER_TRUST_PROXY: "true" }).trustedProxies).toBe(1);
    expect(ledgerEnv({ LEDGER_TRUSTED_PROXIES: "2" }).trustedProxies).toBe(2);
    expect(ledgerEnv({ LEDGER_TRUSTED_PROXIES: "0", LEDGER_TRUST_PROXY: "true" }).trustedProxies).toBe(0);
    expect(() => ledgerEnv({ LEDGER_TRUSTED_PROXIES: "one" })).toThrow(/LEDGER_TRUSTED_PROXIES/);
    expect(ledgerEnv({}).publicRateLimit).toBeUndefined();
    expect(ledgerEnv({ LEDGER_PUBLIC_RATE_LIMIT: "600/50" }).publicRateLimit).toEqual({ burst: 600, perSecond: 50 });
    expect(() => ledgerEnv({ LEDGER_PUBLIC_RATE_LIMIT: "lots" })).toThrow(/LEDGER_PUBLIC_RATE_LIMIT/);
  });
});

describe("a client that aborts its request", () => {
  it("is logged as the client's doing, never as a database outage, and writes nothing", async () => {
    const logs: Record<string, unknown>[] = [];
    const server = await startLedgerServer({ port: 0, log: (line) => logs.push(line), scheduler: false });
    try {
      const { apiKey } = await createTenant(server.db, { name: `abort-${randomBytes(4).toString("hex")}` });
      const { hostname, port } = new URL(server.url);
      for (const path of ["/v1/wallets/org:1/grants", "/hooks/stripe/tnt_00000000000000000000000000"]) {
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => {
            socket.write(
              `POST ${path} HTTP/1.1\r\nHost: ledger\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/json\r\n` +
                `Idempotency-Key: aborted-1\r\nContent-Length: 1000\r\n\r\n{"amount": 5, "rea`,
            );
            // Gone before the rest of the body, as a client that gives up or loses its connection.
            setTimeout(() => socket.destroy(), 100);
          });
          socket.on("error", reject);
          socket.on("close", () => resolve());
        });
      }
      await expect.poll(() => logs.filter((l) => l.msg === "client aborted").length).toBe(2);
      await expect.poll(() => logs.filter((l) => l.msg === "request").length).toBe(2);
      expect(logs.filter((l) => l.level === "error" || l.level === "warn")).toEqual([]);
      expect(logs.filter((l) => l.msg === "database unavailable" || l.status === 503)).toEqual([]);
      const [written] = await server.db.query<{ n: number }>("SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM idempotency_keys) AS n");
      expect(Number(written!.n)).toBe(0);
    } finally {
      await server.close();
    }
  });
});

describe.each(backends())("text the database can't store, on %s", (backend) => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger(backend);
  });
  afterAll(() => ledger.close());

  const state = async () =>
    JSON.stringify(
      await ledger.db.query(
        `SELECT (SELECT count(*) FROM entries WHERE tenant_id = $1)::int AS entries,
                (SELECT count(*) FROM wallets WHERE tenant_id = $1)::int AS wallets,
                (SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1)::int AS keys,
                (SELECT coalesce(max(version), 0) FROM tenant_configs WHERE tenant_id = $1)::int AS config,
                (SELECT count(*) FROM deskpro_connections WHERE tenant_id = $1)::int AS deskpro,
                (SELECT count(*) FROM portal_settings WHERE tenant_id = $1)::int AS portal,
                (SELECT count(*) FROM alert_settings WHERE tenant_id = $1)::int AS alerts`,
        [ledger.tenantId],
      ),
    );

  /** Every free-text field a client can send, with where the problem must point. */
  const fields: Array<[string, string, (text: string) => unknown, string]> = [
    ["POST", "/v1/wallets/org:1/grants", (t) => ({ amount: 5, reason: t }), "body.reason"],
    ["POST", "/v1/wallets/org:1/grants", (t) => ({ amount: 5, reason: "ok", agent: t }), "body.agent"],
    ["POST", "/v1/wallets/org:1/debits", (t) => ({ kind: "manual", amount: 1, reason: t }), "body.reason"],
    ["POST", "/v1/wallets/org:1/debits", (t) => ({ kind: "time", minutes: 5, ticketId: "9", reason: "ok", agent: t }), "body.agent"],
    ["POST", `/v1/entries/ent_${"0".repeat(26)}/reversal`, (t) => ({ reason: t }), "body.reason"],
    ["PUT", "/v1/wallets/org:1/plan", (t) => ({ plan: null, agent: t }), "body.agent"],
    ["PUT", "/v1/wallets/org:1/profile", (t) => ({ orgFields: { level: t } }), "body.orgFields.level"],
    ["PUT", "/v1/config", (t) => ({ tiers: [{ key: "a", label: t, price: 0 }] }), "body.tiers.0.label"],
    ["PUT", "/v1/config", (t) => ({ plans: [{ key: "p", name: t }] }), "body.plans.0.name"],
    ["PUT", "/v1/config", (t) => ({ packs: [{ id: "p", label: t, credits: 1, price: 100 }] }), "body.packs.0.label"],
    [
      "PUT",
      "/v1/config",
      (t) => ({ plans: [{ key: "p", name: "P" }], planRules: [{ type: "org_field", fieldId: "level", value: t, plan: "p" }] }),
      "body.planRules.0.value",
    ],
    ["PUT", "/v1/portal/settings", (t) => ({ messages: { charged: t } }), "body.messages.charged"],
    ["PUT", "/v1/portal/settings", (t) => ({ tierOptions: [{ tier: "standard", title: t }] }), "body.tierOptions.0.title"],
    ["PUT", "/v1/portal/settings", (t) => ({ buyUrl: `https://billing.example.com/${t}` }), "body.buyUrl"],
    ["PUT", "/v1/alerts/settings", (t) => ({ lowMessage: t }), "body.lowMessage"],
    ["PUT", "/v1/alerts/settings", (t) => ({ webhooks: [{ id: "ops", url: `https://ops.example.com/${t}` }] }), "body.webhooks.0.url"],
    ["PUT", "/v1/integrations/deskpro", (t) => ({ url: `https://support.example.com/${t}`, apiKey: "7:Zx8v2Kq9LmT4pW6s" }), "body.url"],
  ];

  it("is refused with 400 naming the field, whatever field it is in, and nothing is written", async () => {
    const before = await state();
    for (const [method, path, body, field] of fields) {
      for (const text of ["before\u0000after", "lone \ud800 surrogate", "lone \udc00 low surrogate"]) {
        const r = await ledger.call(method, path, { body: body(text) });
        expect(r.status, `${method} ${path} ${JSON.stringify(text)}`).toBe(400);
        expect(r.body.code).toBe("invalid_request");
        expect(
          r.body.errors.map((e: { path: string }) => e.path),
          `${method} ${path}`,
        ).toContain(field);
      }
    }
    expect(await state()).toBe(before);
  });

  it("refuses a body that is not valid UTF-8", async () => {
    const before = await state();
    const text = Buffer.concat([Buffer.from('{"amount": 5, "reason": "caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const response = await ledger.fetch(
      new Request("http://ledger.test/v1/wallets/org:1/grants", {
        method: "POST",
        headers: { authorization: `Bearer ${ledger.apiKey}`, "content-type": "application/json", "idempotency-key": "utf8-1" },
        body: text,
      }),
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: "invalid_request", detail: expect.stringContaining("UTF-8") });
    expect(await state()).toBe(before);
  });

  it("still takes every other character, emoji and scripts included", async () => {
    const reason = "Überstunden 👩🏽‍💻 — 支持 — ﷽ — \t tab";
    const r = await ledger.call("POST", "/v1/wallets/org:2/grants", { body: { amount: 5, reason } });
    expect(r.status).toBe(201);
    expect(r.body.entry.reason).toBe(reason.trim());
  });
});
