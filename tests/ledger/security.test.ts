/**
 * Security checks across the whole API, driven by the OpenAPI document so that every endpoint,
 * including ones added later, is covered: no tenant sees or changes another's data, no secret
 * appears in a response or a log line, and the endpoints without a key are rate limited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { backends, createTestLedger, type TestLedger } from "../helpers/ledger.js";
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

describe("rate limiting of the endpoints without a key", () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await createTestLedger("pglite");
  });
  afterAll(() => ledger.close());

  it("refuses a flooding client with 429 while other clients and keyed calls go on", async () => {
    const app = createLedgerApp({ db: ledger.db, log: () => undefined, trustProxy: true, publicRateLimit: { burst: 5, perSecond: 0.01 } });
    const from = (address: string, path = "/v1/openapi.json", headers: Record<string, string> = {}) =>
      app.fetch(new Request(`http://ledger.test${path}`, { headers: { "x-forwarded-for": address, ...headers } }));
    const flood = await Promise.all(Array.from({ length: 20 }, () => from("203.0.113.9")));
    expect(flood.filter((r) => r.status === 200)).toHaveLength(5);
    const limited = flood.filter((r) => r.status === 429);
    expect(limited).toHaveLength(15);
    expect(limited[0]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(((await limited[0]!.json()) as { code: string }).code).toBe("rate_limited");
    expect((await from("198.51.100.7")).status).toBe(200);
    const keyed = await from("203.0.113.9", "/v1/wallets/org:1", { authorization: `Bearer ${ledger.apiKey}` });
    expect(keyed.status).toBe(200);
    expect((await from("203.0.113.9", "/healthz")).status).toBe(200);
  });

  it("limits the webhooks and the customer page the same way, per client and tenant", async () => {
    const app = createLedgerApp({ db: ledger.db, log: () => undefined, trustProxy: true, publicRateLimit: { burst: 3, perSecond: 0.01 } });
    const hit = (address: string, path: string, method = "GET") =>
      app.fetch(
        new Request(`http://ledger.test${path}`, {
          method,
          headers: { "x-forwarded-for": address, "content-type": "application/json" },
          body: method === "POST" ? "{}" : undefined,
        }),
      );
    for (const [path, method] of [
      [`/hooks/stripe/${ledger.tenantId}`, "POST"],
      [`/hooks/deskpro/${ledger.tenantId}/ticket-created`, "POST"],
      ["/pay/not-a-token", "GET"],
    ] as const) {
      const flooder = `203.0.113.${path.length}`;
      const flood = await Promise.all(Array.from({ length: 10 }, () => hit(flooder, path, method)));
      expect(
        flood.filter((r) => r.status === 429),
        path,
      ).toHaveLength(7);
      expect(
        flood.filter((r) => r.status >= 500),
        path,
      ).toHaveLength(0);
      // Someone else is not starved by the flood.
      expect((await hit("198.51.100.60", path, method)).status, path).not.toBe(429);
    }
  });
});
