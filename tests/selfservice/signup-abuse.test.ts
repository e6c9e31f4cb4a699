/**
 * Sign-up against strangers. Anyone may call it, so: no one can spend a helpdesk's allowance so
 * that its admin can't connect; an address that keeps failing is refused before any helpdesk is
 * asked; what is refused before anything leaves the ledger costs nothing; a helpdesk's address
 * can't be written twice (a trailing dot) to get a second tenant or allowance; any host makes a
 * valid tenant name (an IPv6 address too); and a name that resolves to an internal address gets
 * the same answer as one that doesn't resolve. Real sockets on loopback stand in for helpdesks
 * (LEDGER_ALLOW_PRIVATE_NETWORK, as on the development host); names resolve through a stand-in
 * resolver, so no test asks real DNS.
 */
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HelpdeskSignup } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import type { OutboundPolicy } from "../../src/ledger/core/outbound.js";
import { TenantName } from "../../src/ledger/core/tenants.js";
import { createLedgerApp, type LedgerAppDeps } from "../../src/ledger/http/app.js";
import { defaultClientFactory } from "../../src/ledger/integrations/deskpro/connection.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { openTestDatabase } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const ADMIN_KEY = "7:RightAdminKey12345";
const WRONG_KEY = "7:WrongGuess0000000";

/**
 * A Deskpro stand-in on loopback: `GET /api/v2/me` answers an admin for ADMIN_KEY, 401 otherwise;
 * under a name starting with "huge", an answer past the ledger's limits. Counts what each host was asked.
 */
async function standInHelpdesk(host: "127.0.0.1" | "::1") {
  const asked = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const name = (request.headers.host ?? "").replace(/:\d+$/, "");
    asked.set(name, (asked.get(name) ?? 0) + 1);
    if (request.url !== "/api/v2/me") return void response.writeHead(404).end();
    if (name.startsWith("huge")) {
      // More than the 1 MiB the ledger reads of a record, whatever the key.
      return void response.writeHead(200, { "content-type": "application/json" }).end(`{"data":{"person":{"name":"${"x".repeat(1_100_000)}"}}}`);
    }
    if (request.headers.authorization !== `key ${ADMIN_KEY}`) {
      return void response.writeHead(401, { "content-type": "application/json" }).end('{"status":401,"message":"Invalid API Key."}');
    }
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ data: { person_id: 1, person: { id: 1, name: "Ada Admin", can_admin: true } }, meta: {}, linked: {} }));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    /** How often the stand-in was asked under this host name (all names together without one). */
    asked: (name?: string) => (name === undefined ? [...asked.values()].reduce((a, b) => a + b, 0) : (asked.get(name) ?? 0)),
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** Helpdesk names under `.helpdesk.test` are the stand-in on loopback; `internal.example.test` is a private address; nothing else resolves. */
function standInResolver() {
  const lookups: string[] = [];
  const resolve: OutboundPolicy["resolve"] = async (hostname) => {
    lookups.push(hostname);
    if (hostname.endsWith(".helpdesk.test")) return [{ address: "127.0.0.1", family: 4 }];
    if (hostname === "internal.example.test") return [{ address: "10.20.30.40", family: 4 }];
    throw Object.assign(new Error(`no such name ${hostname}`), { code: "ENOTFOUND" });
  };
  return { resolve, lookups };
}

describe("sign-up against strangers", () => {
  let db: Database;
  let helpdesk: Awaited<ReturnType<typeof standInHelpdesk>>;
  let resolver: ReturnType<typeof standInResolver>;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    helpdesk = await standInHelpdesk("127.0.0.1");
    resolver = standInResolver();
  });
  afterAll(async () => {
    await helpdesk.close();
    await db.close();
  });

  /** A ledger behind one trusted proxy: each call names the client address the proxy saw. */
  const ledgerApp = (deps: Partial<LedgerAppDeps> & { allowPrivateNetwork?: boolean } = {}) => {
    const { allowPrivateNetwork = true, ...rest } = deps;
    const ledger = composeLedger({
      db,
      outbound: { allowPrivateNetwork, resolve: resolver.resolve },
      deskproClients: defaultClientFactory({ retryBaseMs: 1, timeoutMs: 2_000 }),
    });
    const app = createLedgerApp({ db, ledger, log: () => undefined, trustedProxies: 1, ...rest });
    const signUp = async (from: string, helpdeskUrl: string, deskproApiKey: string) => {
      const response = await app.fetch(
        new Request("http://ledger.test/v1/signup", {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": from },
          body: JSON.stringify({ helpdeskUrl, deskproApiKey }),
        }),
      );
      return { status: response.status, retryAfter: response.headers.get("retry-after"), body: (await response.json()) as any };
    };
    const call = async (method: string, path: string, key: string, body?: unknown) => {
      const response = await app.fetch(
        new Request(`http://ledger.test${path}`, {
          method,
          headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "x-forwarded-for": "198.51.100.1" },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      return { status: response.status, body: (await response.json()) as any };
    };
    return { signUp, call };
  };
  let helpdeskCount = 0;
  /** A helpdesk of its own for each test (the stand-in answers every name under .helpdesk.test). */
  const newHelpdesk = () => {
    const name = `desk${++helpdeskCount}.helpdesk.test`;
    return { name, url: `http://${name}:${helpdesk.port}` };
  };
  const DESKPRO_PROXY = "203.0.113.10";

  it("lets an admin connect however many wrong keys strangers sent naming the helpdesk, from other addresses and from Deskpro's proxy the admin comes through", async () => {
    const { signUp, call } = ledgerApp(); // the real limits
    const target = newHelpdesk();
    const first = HelpdeskSignup.parse((await signUp(DESKPRO_PROXY, target.url, ADMIN_KEY)).body);

    const strangers: number[] = [];
    for (let i = 0; i < 8; i++) strangers.push((await signUp(DESKPRO_PROXY, target.url, WRONG_KEY)).status);
    for (const from of ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4"]) {
      for (let i = 0; i < 3; i++) strangers.push((await signUp(from, target.url, WRONG_KEY)).status);
    }
    // The admin, through the same proxy as the strangers, re-keys at once.
    const again = await signUp(DESKPRO_PROXY, target.url, ADMIN_KEY);
    expect(again.status).toBe(200);
    const signup = HelpdeskSignup.parse(again.body);
    expect(signup).toMatchObject({ tenantId: first.tenantId, created: false, adminName: "Ada Admin" });
    expect((await call("GET", "/v1/config", signup.apiKey)).status).toBe(200);
    // The old key keeps working through the grace period (tests/selfservice/signup.test.ts sees it end).
    expect((await call("GET", "/v1/config", first.apiKey)).status).toBe(200);
    // The strangers got five failures at once for the helpdesk, then 429: but each was put to the helpdesk.
    expect(strangers.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(new Set(strangers.slice(5))).toEqual(new Set([429]));
    expect(helpdesk.asked(target.name)).toBe(2 + strangers.length);
    // And from anywhere else too.
    expect((await signUp("192.0.2.99", target.url, ADMIN_KEY)).status).toBe(200);
  });

  it("never keeps a helpdesk whose failure budget is spent from being asked: a right key connects, a wrong one gets 429", async () => {
    const { signUp } = ledgerApp({ signupRateLimit: { failuresPerHelpdesk: { burst: 2, perSecond: 0.001 } } });
    const target = newHelpdesk();
    const other = newHelpdesk();
    expect((await signUp("192.0.2.11", target.url, WRONG_KEY)).status).toBe(403);
    expect((await signUp("192.0.2.12", target.url, WRONG_KEY)).status).toBe(403);
    const spent = await signUp("192.0.2.13", target.url, WRONG_KEY);
    expect(spent.status).toBe(429);
    expect(Number(spent.retryAfter)).toBeGreaterThan(0);
    expect(spent.body.detail).toMatch(/An admin's Deskpro API key still connects at once/);
    expect(helpdesk.asked(target.name)).toBe(3);
    // The admin, from an address that failed as well, and from a fresh one.
    expect((await signUp("192.0.2.11", target.url, ADMIN_KEY)).status).toBe(200);
    expect((await signUp("192.0.2.14", target.url, ADMIN_KEY)).status).toBe(200);
    expect(helpdesk.asked(target.name)).toBe(5);
    // Another helpdesk's allowance is its own.
    expect((await signUp("192.0.2.13", other.url, WRONG_KEY)).status).toBe(403);
  });

  it("refuses an address that keeps failing before any helpdesk is asked, and only that address", async () => {
    const { signUp } = ledgerApp({ signupRateLimit: { failuresPerAddress: { burst: 3, perSecond: 0.001 } } });
    const guesser = "192.0.2.21";
    const desks = [newHelpdesk(), newHelpdesk(), newHelpdesk(), newHelpdesk()];
    for (const desk of desks.slice(0, 3)) expect((await signUp(guesser, desk.url, WRONG_KEY)).status).toBe(403);
    const before = helpdesk.asked();
    const refused = await signUp(guesser, desks[3]!.url, WRONG_KEY);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("rate_limited");
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(helpdesk.asked()).toBe(before);
    // Other addresses are not held up by it.
    expect((await signUp("192.0.2.22", desks[3]!.url, WRONG_KEY)).status).toBe(403);
    expect((await signUp("192.0.2.23", desks[3]!.url, ADMIN_KEY)).status).toBe(200);
    // Successes cost nothing: an address may connect any number of helpdesks.
    for (const desk of desks) expect((await signUp("192.0.2.24", desk.url, ADMIN_KEY)).status).toBe(200);
    expect((await signUp("192.0.2.24", desks[0]!.url, WRONG_KEY)).status).toBe(403);
  });

  it("charges nothing for a sign-up refused before anything leaves the ledger", async () => {
    const limits = { failuresPerAddress: { burst: 2, perSecond: 0.001 }, failuresPerHelpdesk: { burst: 2, perSecond: 0.001 } };
    const from = "192.0.2.31";
    const target = newHelpdesk();
    const { signUp } = ledgerApp({ signupRateLimit: limits });
    for (let i = 0; i < 5; i++) {
      const withCredentials = await signUp(from, `http://admin:secret@${target.name}:${helpdesk.port}`, ADMIN_KEY);
      expect(withCredentials.status).toBe(400);
      expect((await signUp(from, "http://.", ADMIN_KEY)).status).toBe(400);
      expect((await signUp(from, "ftp://files.example.test", ADMIN_KEY)).status).toBe(400);
    }
    expect(helpdesk.asked(target.name)).toBe(0);
    expect([(await signUp(from, target.url, WRONG_KEY)).status, (await signUp(from, target.url, WRONG_KEY)).status]).toEqual([403, 403]);

    // Where only public https addresses may be called: scheme and literal addresses are refused as written, for free.
    const strict = ledgerApp({ allowPrivateNetwork: false, signupRateLimit: limits });
    for (const url of ["http://support.example.com", "https://10.0.0.1", "https://[::1]", "https://localhost.", "https://169.254.169.254"]) {
      const answer = await strict.signUp(from, url, ADMIN_KEY);
      expect(answer.status, url).toBe(400);
      expect(["invalid_request", "url_not_allowed"], url).toContain(answer.body.code);
    }
    // …and the same address still has both of its tries for a name it has to look up.
    const lookups = resolver.lookups.length;
    expect((await strict.signUp(from, "https://internal.example.test", ADMIN_KEY)).status).toBe(502);
    expect((await strict.signUp(from, "https://internal.example.test", ADMIN_KEY)).status).toBe(502);
    expect((await strict.signUp(from, "https://internal.example.test", ADMIN_KEY)).status).toBe(429);
    expect(resolver.lookups.length).toBe(lookups + 2);
  });

  it("gives anyone the same answer for a name resolving to an internal address as for one that doesn't resolve, asking DNS once", async () => {
    const { signUp } = ledgerApp({ allowPrivateNetwork: false });
    const lookups = resolver.lookups.length;
    const internal = await signUp("192.0.2.41", "https://internal.example.test", ADMIN_KEY);
    const nowhere = await signUp("192.0.2.41", "https://nowhere.example.test", ADMIN_KEY);
    expect(internal.status).toBe(502);
    expect(internal.body.code).toBe("deskpro_unavailable");
    expect(nowhere).toEqual(internal);
    expect(JSON.stringify(internal.body)).not.toMatch(/10\.20\.30\.40|public|resolve|internal\.example/);
    // One lookup each: a retry would answer a name that doesn't resolve later than a refused one.
    expect(resolver.lookups.slice(lookups)).toEqual(["internal.example.test", "nowhere.example.test"]);

    // A tenant's own calls, which need its key, still name the rule that refused the address.
    const { apiKey } = HelpdeskSignup.parse((await ledgerApp().signUp("192.0.2.42", newHelpdesk().url, ADMIN_KEY)).body);
    const tenant = ledgerApp({ allowPrivateNetwork: false });
    expect((await tenant.call("PUT", "/v1/integrations/deskpro", apiKey, { url: "https://internal.example.test", apiKey: ADMIN_KEY })).status).toBe(200);
    const lookupsAnswer = await tenant.call("GET", "/v1/integrations/deskpro/lookups", apiKey);
    expect(lookupsAnswer.status).toBe(400);
    expect(lookupsAnswer.body).toMatchObject({ code: "url_not_allowed", rule: "public_address_required" });
  });

  it("answers a helpdesk whose answer is over the ledger's limits as everywhere else (deskpro_over_limit), counted as a failure, and still one answer for refused and unreachable names", async () => {
    const { signUp } = ledgerApp({ allowPrivateNetwork: false, signupRateLimit: { failuresPerAddress: { burst: 3, perSecond: 0.001 } } });
    const from = "192.0.2.71";
    // The stand-in speaks plain http on loopback, which only a ledger allowing private networks calls.
    const loopback = ledgerApp({ signupRateLimit: { failuresPerAddress: { burst: 2, perSecond: 0.001 } } });
    const over = await loopback.signUp(from, `http://huge.helpdesk.test:${helpdesk.port}`, ADMIN_KEY);
    expect(over.status).toBe(502);
    expect(over.body).toMatchObject({ code: "deskpro_over_limit", limit: "answer_bytes" });
    expect(over.body.detail).toMatch(/GET \/api\/v2\/me is larger than 1 MiB.*Nothing was changed\.$/);
    expect(helpdesk.asked("huge.helpdesk.test")).toBe(1);
    // A failure like any other: the address's allowance is spent by it.
    expect((await loopback.signUp(from, `http://huge.helpdesk.test:${helpdesk.port}`, ADMIN_KEY)).status).toBe(502);
    expect((await loopback.signUp(from, `http://huge.helpdesk.test:${helpdesk.port}`, ADMIN_KEY)).status).toBe(429);
    expect(helpdesk.asked("huge.helpdesk.test")).toBe(2);
    // The rule that no answer tells a refused name from an unreachable one is unchanged.
    const internal = await signUp(from, "https://internal.example.test", ADMIN_KEY);
    const nowhere = await signUp(from, "https://nowhere.example.test", ADMIN_KEY);
    expect(internal.status).toBe(502);
    expect(internal.body.code).toBe("deskpro_unavailable");
    expect(nowhere).toEqual(internal);
  });

  it("takes a helpdesk's address with a trailing dot as the same helpdesk: one tenant, one allowance", async () => {
    const { signUp } = ledgerApp({ signupRateLimit: { failuresPerHelpdesk: { burst: 2, perSecond: 0.001 } } });
    const target = newHelpdesk();
    const dotted = `http://${target.name}.:${helpdesk.port}/`;
    const first = HelpdeskSignup.parse((await signUp("192.0.2.51", dotted, ADMIN_KEY)).body);
    expect(first).toMatchObject({ created: true, helpdeskUrl: target.url });
    const second = HelpdeskSignup.parse((await signUp("192.0.2.51", `http://${target.name.toUpperCase()}:${helpdesk.port}`, ADMIN_KEY)).body);
    expect(second).toMatchObject({ tenantId: first.tenantId, created: false });
    const third = HelpdeskSignup.parse((await signUp("192.0.2.51", `http://${target.name}..:${helpdesk.port}`, ADMIN_KEY)).body);
    expect(third.tenantId).toBe(first.tenantId);
    // Failures under either spelling spend the one helpdesk's allowance.
    expect((await signUp("192.0.2.52", dotted, WRONG_KEY)).status).toBe(403);
    expect((await signUp("192.0.2.53", target.url, WRONG_KEY)).status).toBe(403);
    expect((await signUp("192.0.2.54", dotted, WRONG_KEY)).status).toBe(429);
    expect((await signUp("192.0.2.55", target.url, WRONG_KEY)).status).toBe(429);
  });

  it("keeps a stored Deskpro key when the helpdesk's address is written with a trailing dot, which is the same helpdesk", async () => {
    const { call } = ledgerApp({ allowPrivateNetwork: false });
    const { apiKey } = HelpdeskSignup.parse((await ledgerApp().signUp("192.0.2.61", newHelpdesk().url, ADMIN_KEY)).body);
    expect((await call("PUT", "/v1/integrations/deskpro", apiKey, { url: "https://support.example.com", apiKey: ADMIN_KEY })).status).toBe(200);
    const same = await call("PUT", "/v1/integrations/deskpro", apiKey, { url: "https://Support.Example.com." });
    expect(same.status).toBe(200);
    expect(same.body).toMatchObject({ apiKeySet: true });
    const elsewhere = await call("PUT", "/v1/integrations/deskpro", apiKey, { url: "https://support.example.org" });
    expect(elsewhere.status).toBe(400);
  });
});

describe("sign-up for a helpdesk at an IPv6 address", () => {
  let db: Database;
  let helpdesk: Awaited<ReturnType<typeof standInHelpdesk>>;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    helpdesk = await standInHelpdesk("::1");
  });
  afterAll(async () => {
    await helpdesk.close();
    await db.close();
  });

  it("makes the tenant, named validly after the address", async () => {
    const ledger = composeLedger({ db, outbound: { allowPrivateNetwork: true }, deskproClients: defaultClientFactory({ timeoutMs: 2_000 }) });
    const app = createLedgerApp({ db, ledger, log: () => undefined });
    const response = await app.fetch(
      new Request("http://ledger.test/v1/signup", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ helpdeskUrl: `http://[::1]:${helpdesk.port}/`, deskproApiKey: ADMIN_KEY }),
      }),
    );
    expect(response.status).toBe(200);
    const signup = HelpdeskSignup.parse(await response.json());
    expect(signup).toMatchObject({ created: true, helpdeskUrl: `http://[::1]:${helpdesk.port}` });
    const tenants = await db.query<{ name: string }>("SELECT name FROM tenants WHERE id = $1", [signup.tenantId]);
    expect(TenantName.safeParse(tenants[0]!.name).success).toBe(true);
    const config = await app.fetch(new Request("http://ledger.test/v1/config", { headers: { authorization: `Bearer ${signup.apiKey}` } }));
    expect(config.status).toBe(200);
  });
});
