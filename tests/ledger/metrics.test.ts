/**
 * `GET /metrics`: Prometheus's text format behind the operator's token (none set: no endpoint),
 * with requests by route pattern and status, refusals by reason, and per tenant: requests, outbox
 * depth and age, deliveries and their failures, breakers, suspensions and background time; helpdesk
 * calls' latency by outcome. Tenant ids label only tenants the ledger knows.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeLedger } from "../../src/ledger/compose.js";
import { createTenant, suspendTenant } from "../../src/ledger/core/tenants.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { metricsTokenOf } from "../../src/ledger/http/metrics-token.js";
import { putConnection } from "../../src/ledger/integrations/deskpro/connection.js";
import { enqueuePriority } from "../../src/ledger/integrations/deskpro/writes.js";
import * as breakers from "../../src/ledger/storage/breakers.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { backends, openTestDatabase, TestClock } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const TOKEN = randomBytes(24).toString("hex");

/** The value of one series in the exposition text, or undefined when it isn't there. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? "").split(/,(?=[a-z_]+=")/).filter(Boolean);
    if (wanted.every((w) => present.includes(w)) && present.length === wanted.length) return Number(match[3]);
  }
  return undefined;
}

describe.each(backends())("metrics on %s", (backend) => {
  let db: Database;
  let failing: Server;
  let failingUrl: string;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
    // A helpdesk that answers every call with 503.
    failing = createServer((request, response) => {
      request.resume();
      response.writeHead(503).end();
    });
    await new Promise<void>((resolve) => failing.listen(0, "127.0.0.1", resolve));
    failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => failing?.close(resolve));
    await db?.close();
  });

  it("is not there without an operator token, and refuses a missing or wrong one", async () => {
    const without = createLedgerApp({ db, log: () => undefined });
    expect((await without.fetch(new Request("http://ledger.test/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }))).status).toBe(404);
    const app = createLedgerApp({ db, log: () => undefined, metricsToken: TOKEN });
    expect((await app.fetch(new Request("http://ledger.test/metrics"))).status).toBe(401);
    const wrong = await app.fetch(new Request("http://ledger.test/metrics", { headers: { authorization: `Bearer ${TOKEN.slice(1)}x` } }));
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).not.toContain(TOKEN);
    // A tenant's key is not the operator's token.
    const { apiKey } = await createTenant(db, { name: `metrics-${randomUUID()}` });
    expect((await app.fetch(new Request("http://ledger.test/metrics", { headers: { authorization: `Bearer ${apiKey}` } }))).status).toBe(401);
    const ok = await app.fetch(new Request("http://ledger.test/metrics", { headers: { authorization: `Bearer ${TOKEN}` } }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    // Not part of the tenants' API document.
    const doc = (await (await app.fetch(new Request("http://ledger.test/v1/openapi.json"))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.includes("metrics"))).toEqual([]);
  });

  it("reads its token from LEDGER_METRICS_TOKEN and refuses one too short to be safe", () => {
    expect(metricsTokenOf({})).toBeUndefined();
    expect(metricsTokenOf({ LEDGER_METRICS_TOKEN: TOKEN })).toBe(TOKEN);
    expect(() => metricsTokenOf({ LEDGER_METRICS_TOKEN: "short" })).toThrow(/LEDGER_METRICS_TOKEN/);
  });

  it("counts requests and refusals, and gives per-tenant figures for the outbox, deliveries, breakers and suspensions", async () => {
    const clock = new TestClock(new Date());
    const ledger = composeLedger({ db, clock: clock.now, outbound: { allowPrivateNetwork: true } });
    const app = createLedgerApp({ db, ledger, log: () => undefined, metricsToken: TOKEN });
    const get = (path: string, key?: string) => app.fetch(new Request(`http://ledger.test${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} }));
    const scrape = async () => (await get("/metrics", TOKEN)).text();

    const active = await createTenant(db, { name: `metrics-${randomUUID()}` });
    const paused = await createTenant(db, { name: `metrics-${randomUUID()}` });
    await suspendTenant(db, paused.tenantId);
    expect((await get("/v1/wallets/org:1", active.apiKey)).status).toBe(200);
    expect((await get("/v1/wallets/org:2", active.apiKey)).status).toBe(200);
    expect((await get("/v1/wallets/org:1", "sck_wrong")).status).toBe(401);
    expect((await get("/v1/wallets/org:1", paused.apiKey)).status).toBe(403);
    // A made-up tenant id in a path is no tenant: it never becomes a label.
    const madeUp = "tnt_01madeupmadeupmadeupmadeup";
    await app.fetch(new Request(`http://ledger.test/hooks/stripe/${madeUp}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }));

    // Work for the active tenant's helpdesk, which answers 503: queued a minute ago.
    await putConnection(db, active.tenantId, { url: failingUrl, apiKey: "3:Qw7Er9Ty2Ui4Op6A" }, clock.now(), { allowPrivateNetwork: true });
    const queuedAt = new Date(clock.now().getTime() - 60_000);
    await enqueuePriority(db, active.tenantId, `p-${randomUUID()}`, { ticketId: "1", priorityId: 2 }, queuedAt);
    await enqueuePriority(db, active.tenantId, `p-${randomUUID()}`, { ticketId: "2", priorityId: 2 }, queuedAt);
    await ledger.drain({ tenantId: active.tenantId });
    for (let i = 0; i < 3; i++) await breakers.recordFailure(db, active.tenantId, "webhooks", "no answer", clock.now());
    await breakers.open(db, active.tenantId, "webhooks", new Date(clock.now().getTime() + 60_000), clock.now());

    const text = await scrape();
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? ([-+\d.e]+|NaN)$/i);
    const t = { tenant_id: active.tenantId };
    expect(sample(text, "ledger_http_requests_total", { method: "GET", route: "/v1/wallets/:owner", status: "200" })).toBeGreaterThanOrEqual(2);
    expect(sample(text, "ledger_tenant_requests_total", t)).toBe(2);
    expect(sample(text, "ledger_http_refusals_total", { reason: "unauthorized", tenant_id: "" })).toBeGreaterThanOrEqual(1);
    expect(sample(text, "ledger_http_refusals_total", { reason: "tenant_suspended", tenant_id: paused.tenantId })).toBe(1);
    expect(text).not.toContain(madeUp);
    expect(sample(text, "ledger_tenant_suspended", { tenant_id: paused.tenantId })).toBe(1);
    expect(sample(text, "ledger_tenant_suspended", t)).toBeUndefined();
    // Both rows are still pending (retrying), the oldest written a minute ago.
    expect(sample(text, "ledger_outbox_pending", t)).toBe(2);
    expect(sample(text, "ledger_outbox_oldest_age_seconds", t)).toBe(60);
    expect(sample(text, "ledger_outbox_deliveries_total", { ...t, target: "helpdesk", outcome: "retrying" })).toBe(2);
    expect(sample(text, "ledger_outbox_delivery_failures_total", { ...t, target: "helpdesk", reason: "unavailable" })).toBe(2);
    expect(sample(text, "ledger_outbound_call_duration_seconds_count", { target: "helpdesk", outcome: "5xx" })).toBeGreaterThanOrEqual(2);
    expect(sample(text, "ledger_background_seconds_total", { ...t, task: "outbox" })).toBeGreaterThan(0);
    expect(sample(text, "ledger_delivery_breaker_failures", { ...t, target: "helpdesk" })).toBe(2);
    expect(sample(text, "ledger_delivery_breaker_open", { ...t, target: "helpdesk" })).toBe(0);
    expect(sample(text, "ledger_delivery_breaker_open", { ...t, target: "webhooks" })).toBe(1);
  });
});
