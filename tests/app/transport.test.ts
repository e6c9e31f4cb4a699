import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { describeError, LedgerContractError, LedgerProblem } from "../../src/app/api/errors.js";
import { LedgerApi } from "../../src/app/api/ledger.js";
import { adminEndpoint, sidebarEndpoint } from "../../src/app/api/transport.js";
import { ADMIN_PROXY_URL, createDeskpro, createProxy, LEDGER_URL, problem, PROXY_TOKEN, SECRET_KEY, wallet, entry } from "./harness.js";

const proxy = createProxy();
beforeAll(() => proxy.server.listen({ onUnhandledRequest: "error" }));
afterEach(() => proxy.reset());
afterAll(() => proxy.server.close());

async function sidebarApi() {
  const deskpro = createDeskpro();
  await deskpro.client.run();
  return { api: new LedgerApi(sidebarEndpoint(deskpro.client)), deskpro };
}

describe("talking to the ledger through Deskpro's app proxy (the SDK's real proxyFetch)", () => {
  it("sends X-Proxy-* headers, the URL placeholder and the key placeholder in a plain-object header", async () => {
    proxy.on("GET", /^\/v1\/wallets\/org(:|%3A)42$/, { body: wallet() });
    const { api } = await sidebarApi();
    const result = await api.wallet("org:42");
    expect(result.balance).toBe(1240);

    const [req] = proxy.forwarded;
    expect(req?.proxy).toBe("app");
    expect(req?.proxyAuthorization).toBe(`Bearer ${PROXY_TOKEN}`);
    expect(req?.method).toBe("GET");
    expect(req?.rawUrl).toBe("__ledger_url__/v1/wallets/org%3A42");
    // The app sent the placeholder; only the proxy (server-side) knows the key.
    expect(req?.rawHeaders.Authorization).toBe("Bearer __ledger_api_key__");
    expect(req?.rawHeaders.Accept).toBe("application/json");
    expect(JSON.stringify(req?.rawHeaders)).not.toContain(SECRET_KEY);
    expect(req?.rawUrl).not.toContain(SECRET_KEY);
    // After substitution the request is for the whitelisted ledger, with the real key.
    expect(req?.url.origin).toBe(LEDGER_URL);
    expect(req?.headers.Authorization).toBe(`Bearer ${SECRET_KEY}`);
  });

  it("uses a proxy token asked for ahead for the first request only, and asks afresh when that one failed", async () => {
    proxy.on("GET", /^\/v1\/wallets\/org(:|%3A)42$/, { body: wallet() });
    const deskpro = createDeskpro();
    await deskpro.client.run();
    const endpoint = sidebarEndpoint(deskpro.client);
    const api = new LedgerApi(endpoint);
    endpoint.warmUp();
    expect(deskpro.parent._getProxyAuth).toHaveBeenCalledTimes(1);
    await api.wallet("org:42");
    expect(deskpro.parent._getProxyAuth).toHaveBeenCalledTimes(1);
    await api.wallet("org:42");
    expect(deskpro.parent._getProxyAuth).toHaveBeenCalledTimes(2);

    deskpro.parent._getProxyAuth.mockRejectedValueOnce(new Error("Deskpro was busy"));
    endpoint.warmUp();
    expect((await api.wallet("org:42")).balance).toBe(1240);
    expect(deskpro.parent._getProxyAuth).toHaveBeenCalledTimes(4);
    expect(proxy.forwarded.every((f) => f.proxyAuthorization === `Bearer ${PROXY_TOKEN}`)).toBe(true);
  });

  it("sends the first request in the same turn when the token asked for ahead is already in hand", async () => {
    proxy.on("GET", /^\/v1\/wallets\/org(:|%3A)42$/, { body: wallet() });
    const deskpro = createDeskpro();
    await deskpro.client.run();
    const endpoint = sidebarEndpoint(deskpro.client);
    endpoint.warmUp();
    await new Promise((resolve) => setTimeout(resolve, 0));
    const sent = vi.spyOn(globalThis, "fetch");
    const answer = new LedgerApi(endpoint).wallet("org:42");
    // No await between asking and sending: the app asks for the ticket sidebar's read before React renders.
    expect(sent).toHaveBeenCalledTimes(1);
    expect((await answer).balance).toBe(1240);
    sent.mockRestore();
  });

  it("forwards a write's body unchanged, with its Idempotency-Key and content type", async () => {
    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry(), balance: 1210 } });
    const { api } = await sidebarApi();
    await api.debit("org:42", { kind: "time", minutes: 27, ticketId: "1234" }, "app-key-1");
    const [req] = proxy.requests("POST", /\/debits$/);
    expect(req?.rawHeaders["Idempotency-Key"]).toBe("app-key-1");
    expect(req?.rawHeaders["Content-Type"]).toBe("application/json");
    expect(req?.body).toEqual({ kind: "time", minutes: 27, ticketId: "1234" });
    expect(JSON.stringify(req?.body)).not.toContain(SECRET_KEY);
  });

  it("sends the ticket's person, the ticket's organisation and the person's primary one to the payer endpoint", async () => {
    proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", organisationFrom: "ticket", wallet: wallet() } });
    const { api } = await sidebarApi();
    const payer = await api.payer("1234", "77", { ticketOrg: "42", personOrg: "43" });
    expect(payer).toMatchObject({ reason: "organisation", organisationFrom: "ticket" });
    const [req] = proxy.forwarded;
    expect(req?.url.searchParams.get("person")).toBe("77");
    expect(req?.url.searchParams.get("org")).toBe("42");
    expect(req?.url.searchParams.get("personOrg")).toBe("43");
  });

  it("is refused by the proxy for a URL outside the whitelist", async () => {
    const deskpro = createDeskpro();
    await deskpro.client.run();
    const api = new LedgerApi({ ...sidebarEndpoint(deskpro.client), baseUrl: "https://evil.io/?https://credits.example.com" });
    await expect(api.wallet("org:42")).rejects.toThrow();
    expect(proxy.forwarded).toHaveLength(0);
  });

  it("turns a problem response into plain words: insufficient credits says the balance and what was needed", async () => {
    proxy.on("POST", /\/debits$/, { status: 409, body: problem(409, "insufficient_credits", "Not enough credits", { balance: 20, required: 30 }) });
    const { api } = await sidebarApi();
    const error = await api.debit("org:42", { kind: "manual", amount: 30, reason: "x" }, "k").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerProblem);
    expect(describeError(error)).toBe("Not enough credits: the bank has 20 and this needs 30.");
  });

  it("refuses an answer the contract does not describe", async () => {
    proxy.on("GET", /^\/v1\/wallets\//, { body: { owner: "org:42", balance: 1.5 } });
    const { api } = await sidebarApi();
    await expect(api.wallet("org:42")).rejects.toBeInstanceOf(LedgerContractError);
  });

  it("on the admin page, uses the admin generic proxy with the values being typed", async () => {
    proxy.on("GET", /^\/v1\/config$/, { body: { config: {}, version: 0, updatedAt: null } });
    const deskpro = createDeskpro();
    await deskpro.client.run();
    const api = new LedgerApi(adminEndpoint(deskpro.client, "https://credits.example.com/", "typed-key"));
    await api.config();
    const [req] = proxy.forwarded;
    expect(req?.proxy).toBe("admin");
    expect(deskpro.parent._getAdminGenericProxyAuth).toHaveBeenCalled();
    expect(req?.rawUrl).toBe("https://credits.example.com/v1/config");
    expect(req?.rawHeaders.Authorization).toBe("Bearer typed-key");
    expect(ADMIN_PROXY_URL).toContain("admin");
  });
});
