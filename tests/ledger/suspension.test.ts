/**
 * An operator's suspension of a tenant: its API keys and its Deskpro and Stripe web hooks are
 * answered 403 `tenant_suspended` (after the caller is authenticated where the hook has a secret),
 * nothing is queued or deleted, other tenants are untouched, and resuming restores it all.
 * (Its background work pausing is in fair-background.test.ts and the sweep's in scheduler.test.ts.)
 */
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OutboxPage, Problem, Wallet } from "../../src/contract/index.js";
import { authenticate, createTenant, recentlyAuthenticated, resumeTenant, suspendTenant } from "../../src/ledger/core/tenants.js";
import { backends } from "../helpers/ledger.js";
import { createPortalHarness, portalHelpdesk, type PortalHarness } from "../portal/harness.js";

const deskpro = portalHelpdesk();
const server = setupServer(...deskpro.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe.each(backends())("a suspended tenant on %s", (backend) => {
  let h: PortalHarness;
  beforeEach(async () => {
    h = await createPortalHarness(backend);
  });
  afterEach(() => h.close());

  it("gets 403 tenant_suspended for its keys until resumed, loses nothing, and leaves other tenants alone", async () => {
    expect((await h.call("POST", "/v1/wallets/org:5/grants", { body: { amount: 300, reason: "pack" } })).status).toBe(201);
    const other = await createTenant(h.db, { name: `other-${crypto.randomUUID()}` });
    expect((await h.call("GET", "/v1/wallets/org:5")).status).toBe(200); // the key is now cached as active

    const suspended = await suspendTenant(h.db, h.tenantId);
    expect(suspended).toMatchObject({ tenantId: h.tenantId, changed: true });
    expect(await suspendTenant(h.db, h.tenantId)).toMatchObject({ changed: false });

    for (const [method, path, body] of [
      ["GET", "/v1/wallets/org:5", undefined],
      ["POST", "/v1/wallets/org:5/debits", { kind: "manual", amount: 10, reason: "work" }],
      ["GET", "/v1/outbox", undefined],
    ] as const) {
      const refused = await h.call(method, path, { body });
      expect(refused.status, `${method} ${path}`).toBe(403);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(Problem.parse(refused.body)).toMatchObject({ code: "tenant_suspended", status: 403, detail: expect.stringMatching(/suspended/) });
    }
    // A wrong key is still a wrong key, not a hint about anyone's suspension.
    expect((await h.call("GET", "/v1/wallets/org:5", { key: "sck_not-a-key" })).status).toBe(401);
    // Another tenant works as before.
    expect((await h.call("GET", "/v1/wallets/org:5", { key: other.apiKey })).status).toBe(200);

    expect(await resumeTenant(h.db, h.tenantId)).toMatchObject({ changed: true });
    const wallet = await h.call("GET", "/v1/wallets/org:5");
    expect(wallet.status).toBe(200);
    expect(Wallet.parse(wallet.body).balance).toBe(300); // the refused debit wrote nothing, and nothing was lost
  });

  it("remembers a key's suspension with the key, for as long as it remembers the key", async () => {
    const { tenantId, apiKey } = await createTenant(h.db, { name: `cached-${crypto.randomUUID()}` });
    expect(await authenticate(h.db, apiKey)).toEqual({ tenantId, suspended: false });
    await suspendTenant(h.db, tenantId); // this process forgets its cached keys at once
    expect(recentlyAuthenticated(apiKey)).toBeNull();
    expect(await authenticate(h.db, apiKey)).toEqual({ tenantId, suspended: true });
    expect(recentlyAuthenticated(apiKey)).toEqual({ tenantId, suspended: true });
    await resumeTenant(h.db, tenantId);
    expect(await authenticate(h.db, apiKey)).toEqual({ tenantId, suspended: false });
  });

  it("answers its Deskpro web hooks 403 once they prove themselves, and queues nothing", async () => {
    await suspendTenant(h.db, h.tenantId);
    expect((await h.hook("ticket-created", 7001, { secret: "wrong-secret" })).status).toBe(401);
    const refused = await h.hook("ticket-created", 7001);
    expect(refused.status).toBe(403);
    expect(Problem.parse(refused.body).code).toBe("tenant_suspended");

    await resumeTenant(h.db, h.tenantId);
    expect(OutboxPage.parse((await h.call("GET", "/v1/outbox")).body).items).toEqual([]);
    expect((await h.hook("ticket-created", 7001)).status).toBe(202);
    expect(OutboxPage.parse((await h.call("GET", "/v1/outbox")).body).items.length).toBeGreaterThan(0);
  });

  it("answers its Stripe web hooks 403, so Stripe delivers them again after it is resumed", async () => {
    const stripeHook = () =>
      h.call("POST", `/hooks/stripe/${h.tenantId}`, {
        key: null,
        idempotencyKey: null,
        headers: { "stripe-signature": "t=1,v1=00" },
        body: { id: "evt_1", type: "checkout.session.completed" },
      });
    await suspendTenant(h.db, h.tenantId);
    const refused = await stripeHook();
    expect(refused.status).toBe(403);
    expect(Problem.parse(refused.body).code).toBe("tenant_suspended");
    await resumeTenant(h.db, h.tenantId);
    // Active again: the event reaches the signature check (this tenant has no Stripe keys, so it fails there).
    expect(Problem.parse((await stripeHook()).body).code).toBe("invalid_signature");
  });
});
