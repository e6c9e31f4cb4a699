/**
 * A hanging Deskpro does not hold up the ledger: the Node process's outbox worker is stuck on a
 * Deskpro call while the ledger's own endpoints keep answering; once Deskpro answers, the outbox
 * catches up and the charge, priority and note land once.
 */
import { http, passthrough } from "msw";
import { setupServer } from "msw/node";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Wallet } from "../../src/contract/index.js";
import { startLedgerServer, type LedgerServer } from "../../src/ledger/node.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { choice, DESKPRO_API_KEY, DESKPRO_URL } from "./fake-deskpro.js";
import { OPTION, portalHelpdesk, PRIORITY, TEST_CONFIG, TEST_PORTAL_SETTINGS, TIER_FIELD } from "./harness.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const deskpro = portalHelpdesk();
let releaseDeskpro: () => void = () => undefined;
const deskproReleased = new Promise<void>((resolve) => (releaseDeskpro = resolve));
let stuckCalls = 0;
// Deskpro hangs on every call until released; the ledger's own address goes through untouched.
const server = setupServer(
  http.all(`${DESKPRO_URL}/*`, async () => {
    stuckCalls++;
    await deskproReleased;
    return undefined; // fall through to the fake helpdesk
  }),
  ...deskpro.handlers(),
  http.all("http://127.0.0.1*", () => passthrough()),
);

let ledger: LedgerServer;
let apiKey: string;
let tenantId: string;
const webhookSecret = randomBytes(24).toString("base64url");

const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${ledger.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...(method === "POST" ? { "idempotency-key": randomUUID() } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
};

beforeAll(async () => {
  server.listen({ onUnhandledRequest: "error" });
  ledger = await startLedgerServer({ port: 0, log: () => undefined });
  ({ tenantId, apiKey } = await createTenant(ledger.db, { name: `slow-${randomUUID()}` }));
  for (const [method, path, body] of [
    ["PUT", "/v1/config", TEST_CONFIG],
    ["PUT", "/v1/integrations/deskpro", { url: DESKPRO_URL, apiKey: DESKPRO_API_KEY, webhookSecret }],
    ["PUT", "/v1/portal/settings", TEST_PORTAL_SETTINGS],
    ["POST", "/v1/wallets/org:901/grants", { amount: 1000, reason: "top-up" }],
  ] as const) {
    const result = await call(method, path, body);
    expect(result.status, JSON.stringify(result.body)).toBeLessThan(300);
  }
});
afterAll(async () => {
  releaseDeskpro();
  await ledger?.close();
  server.close();
});

it("keeps answering while Deskpro hangs, then catches up once", async () => {
  deskpro.addTicket({ id: 9001, person: 801, organization: 901, priority: null, fields: { [String(TIER_FIELD)]: choice(OPTION.oneHour) } });
  const hook = await fetch(`${ledger.url}/hooks/deskpro/${tenantId}/ticket-created`, {
    method: "POST",
    headers: { "x-credits-webhook-secret": webhookSecret, "x-deskpro-ticket-id": "9001", "content-type": "application/x-www-form-urlencoded" },
    body: "ticket%5Bid%5D=9001",
  });
  expect(hook.status).toBe(202);

  // The worker is now waiting on Deskpro.
  await expect.poll(() => stuckCalls, { timeout: 10_000 }).toBeGreaterThan(0);
  for (let i = 0; i < 20; i++) {
    const wallet = await call("GET", "/v1/wallets/org:901");
    expect(wallet.status).toBe(200);
    expect(Wallet.parse(wallet.body).balance).toBe(1000);
    const debit = await call("POST", "/v1/wallets/org:902/grants", { amount: 5, reason: "still writing" });
    expect(debit.status).toBe(201);
  }
  // Every one of those answered while the Deskpro call was still unanswered.
  expect(deskpro.requests).toHaveLength(0);

  releaseDeskpro();
  await expect.poll(async () => Wallet.parse((await call("GET", "/v1/wallets/org:901")).body).balance, { timeout: 20_000 }).toBe(750);
  await expect.poll(() => deskpro.tickets.get(9001)!.priority, { timeout: 20_000 }).toBe(PRIORITY.urgent);
  await expect.poll(() => deskpro.messagesOn(9001, "note").length, { timeout: 20_000 }).toBe(1);
  expect(deskpro.requests.filter((r) => r.route === "putTicket")).toHaveLength(1);
});
