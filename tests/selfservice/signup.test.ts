/**
 * Self-service sign-up: a helpdesk admin connects their Deskpro from the settings page. The ledger
 * proves admin against the helpdesk's own `GET /api/v2/me`, binds the tenant to the helpdesk's
 * origin, re-keys it on a second sign-up, keeps the Deskpro key as the helpdesk connection, counts
 * failures per helpdesk, can be turned off, and never lets one helpdesk reach another's tenant.
 * (What strangers can and can't do to it is in signup-abuse.test.ts.)
 */
import { randomBytes } from "node:crypto";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { HelpdeskSignup } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import { createLedgerApp, type LedgerAppDeps } from "../../src/ledger/http/app.js";
import { defaultClientFactory } from "../../src/ledger/integrations/deskpro/connection.js";
import { canonicalOrigin } from "../../src/ledger/core/outbound.js";
import { SIGNUP_KEY_GRACE_MS, TenantName } from "../../src/ledger/core/tenants.js";
import { helpdeskOrigin, helpdeskTenantName } from "../../src/ledger/features/signup.js";
import { openDatabase, type Database } from "../../src/ledger/storage/db.js";
import { MIGRATIONS, migrate } from "../../src/ledger/storage/migrations.js";
import { backends, openTestDatabase } from "../helpers/ledger.js";
import { DESKPRO_API_KEY, DESKPRO_URL, FakeDeskpro } from "../portal/fake-deskpro.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const deskpro = new FakeDeskpro();
const ROOMY = { burst: 100, perSecond: 100 };
// A second helpdesk, with its own admin key.
const OTHER_URL = "https://other-helpdesk.example.test";
const OTHER_KEY = "9:OtherHelpdeskKey1234";
const server = setupServer(
  ...deskpro.handlers(),
  http.get(`${OTHER_URL}/api/v2/me`, ({ request }) =>
    request.headers.get("authorization") === `key ${OTHER_KEY}`
      ? HttpResponse.json({ data: { auth_method: "api_key", person_id: 3, person: { id: 3, name: "Olga Other", can_admin: true } }, meta: {}, linked: {} })
      : HttpResponse.json({ status: 401, code: "401", message: "Invalid API Key." }, { status: 401 }),
  ),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  deskpro.me.can_admin = true;
  deskpro.recover();
});
afterAll(() => server.close());

describe("helpdesk origins", () => {
  it("binds to the origin alone, lower case, without the default port, path or trailing slash", () => {
    expect(helpdeskOrigin("https://Support.Example.com:443/app#/t/ticket/1", false)).toBe("https://support.example.com");
    expect(helpdeskOrigin("https://support.example.com:8443/", false)).toBe("https://support.example.com:8443");
  });
  it("takes a fully qualified name's trailing dot as the same origin", () => {
    expect(helpdeskOrigin("https://Support.Example.com./app", false)).toBe("https://support.example.com");
    expect(helpdeskOrigin("https://support.example.com..:8443/", false)).toBe("https://support.example.com:8443");
    expect(canonicalOrigin("https://support.example.com.:443")).toBe("https://support.example.com");
    expect(canonicalOrigin("https://1.2.3.4./")).toBe("https://1.2.3.4");
    expect(() => helpdeskOrigin("https://./", false)).toThrow(/no host name/);
  });
  it("names a tenant validly after any host: names, ports, IPv4 and IPv6 addresses, punycode", () => {
    const hosts = [
      "https://support.example.com",
      "https://support.example.com:8443",
      "https://[2001:db8::1]",
      "https://[::1]:8788",
      "https://[::ffff:127.0.0.1]",
      "https://93.184.215.14:444",
      "https://xn--bcher-kva.example",
      "https://_desk.example.com",
      "https://-desk.example.com",
      `https://${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.example`,
    ];
    for (const host of hosts) {
      const name = helpdeskTenantName(helpdeskOrigin(host, false));
      expect(TenantName.safeParse(name).success, `${host} → ${name}`).toBe(true);
      expect(name.length, host).toBeLessThanOrEqual(80);
    }
    expect(helpdeskTenantName("https://support.example.com:8443")).toBe("support.example.com-8443");
    expect(helpdeskTenantName("https://[2001:db8::1]")).toBe("2001-db8--1");
  });
  it("are written without the trailing dot by migration 16, where that makes no second tenant of a helpdesk", async () => {
    const db = await openDatabase();
    try {
      await migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 16),
      );
      const origins: Array<[string, string]> = [
        ["tnt_a", "https://a.example.test."],
        ["tnt_b_plain", "https://b.example.test"],
        ["tnt_b_dotted", "https://b.example.test."],
        ["tnt_c", "https://c.example.test.:8443"],
        ["tnt_d_old", "https://d.example.test."],
        ["tnt_d_new", "https://d.example.test.."],
        ["tnt_e", "http://[::1]:8788"],
        ["tnt_f", "https://93.184.215.14"],
      ];
      for (const [i, [id, origin]] of origins.entries()) {
        await db.query("INSERT INTO tenants (id, name, created_at, helpdesk_origin) VALUES ($1, $1, $2, $3)", [id, new Date(Date.UTC(2025, 0, 1 + i)), origin]);
      }
      await migrate(db);
      const rows = await db.query<{ id: string; helpdesk_origin: string }>("SELECT id, helpdesk_origin FROM tenants ORDER BY id");
      expect(Object.fromEntries(rows.map((r) => [r.id, r.helpdesk_origin]))).toEqual({
        tnt_a: "https://a.example.test",
        tnt_b_plain: "https://b.example.test",
        tnt_b_dotted: "https://b.example.test.",
        tnt_c: "https://c.example.test:8443",
        tnt_d_old: "https://d.example.test",
        tnt_d_new: "https://d.example.test..",
        tnt_e: "http://[::1]:8788",
        tnt_f: "https://93.184.215.14",
      });
    } finally {
      await db.close();
    }
  });
  it("refuses plain http unless private networks are allowed", () => {
    expect(() => helpdeskOrigin("http://127.0.0.1:8788", false)).toThrow(/https/);
    expect(helpdeskOrigin("http://127.0.0.1:8788", true)).toBe("http://127.0.0.1:8788");
  });
});

describe.each(backends())("sign-up on %s", (backend) => {
  let db: Database;
  beforeAll(async () => {
    db = await openTestDatabase(backend);
  });
  afterAll(() => db.close());

  const ledgerApp = ({ allowPrivateNetwork, ...deps }: Partial<LedgerAppDeps> & { allowPrivateNetwork?: boolean } = {}) => {
    const ledger = composeLedger({
      db,
      deskproClients: defaultClientFactory({ retryBaseMs: 1, retries: 0, timeoutMs: 2_000 }),
      ...(allowPrivateNetwork === undefined ? {} : { outbound: { allowPrivateNetwork } }),
    });
    return createLedgerApp({ db, ledger, log: () => undefined, signupRateLimit: { failuresPerAddress: ROOMY, failuresPerHelpdesk: ROOMY }, ...deps });
  };
  const post = async (app: ReturnType<typeof ledgerApp>, path: string, body: unknown, key?: string) => {
    const response = await app.fetch(
      new Request(`http://ledger.test${path}`, {
        method: path === "/v1/signup" ? "POST" : "PUT",
        headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: JSON.stringify(body),
      }),
    );
    return { status: response.status, body: (await response.json()) as any };
  };
  const get = async (app: ReturnType<typeof ledgerApp>, path: string, key: string) => {
    const response = await app.fetch(new Request(`http://ledger.test${path}`, { headers: { authorization: `Bearer ${key}` } }));
    return { status: response.status, body: (await response.json()) as any };
  };
  const signUp = (app: ReturnType<typeof ledgerApp>, helpdeskUrl = DESKPRO_URL, deskproApiKey = DESKPRO_API_KEY) =>
    post(app, "/v1/signup", { helpdeskUrl, deskproApiKey });

  it("makes the helpdesk's tenant after Deskpro says the key is an admin's, and keeps the key as the helpdesk connection", async () => {
    const app = ledgerApp();
    const meBefore = deskpro.count("getMe");
    const answer = await signUp(app, `${DESKPRO_URL}/app#/admin`);
    expect(answer.status).toBe(200);
    const signup = HelpdeskSignup.parse(answer.body);
    expect(signup).toMatchObject({ helpdeskUrl: DESKPRO_URL, adminName: "Ada Admin" });
    expect(deskpro.count("getMe")).toBe(meBefore + 1);
    // The key it gives works, and the helpdesk connection is the Deskpro key given.
    const connection = await get(app, "/v1/integrations/deskpro", signup.apiKey);
    expect(connection.status).toBe(200);
    expect(connection.body).toMatchObject({ url: DESKPRO_URL, apiKeySet: true, apiKeyId: DESKPRO_API_KEY.split(":")[0] });
    // Secrets never come back in the answer beyond the new ledger key.
    expect(JSON.stringify(answer.body)).not.toContain(DESKPRO_API_KEY.split(":")[1]);
  });

  it("re-keys the same tenant on a second sign-up: the old key works until Deskpro can have stored the new one, then stops", async () => {
    const app = ledgerApp();
    const first = HelpdeskSignup.parse((await signUp(app)).body);
    const second = HelpdeskSignup.parse((await signUp(app, `${DESKPRO_URL.toUpperCase()}/`)).body);
    expect(second.tenantId).toBe(first.tenantId);
    expect(second.created).toBe(false);
    expect(second.apiKey).not.toBe(first.apiKey);
    expect((await get(ledgerApp(), "/v1/config", second.apiKey)).status).toBe(200);
    // Nothing tells the ledger that Deskpro saved the new key: the helpdesk keeps a working key meanwhile.
    expect((await get(ledgerApp(), "/v1/config", first.apiKey)).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + SIGNUP_KEY_GRACE_MS + 60_000 });
    try {
      expect((await get(ledgerApp(), "/v1/config", first.apiKey)).status).toBe(401);
      expect((await get(ledgerApp(), "/v1/config", second.apiKey)).status).toBe(200);
    } finally {
      vi.useRealTimers();
    }
  });

  it("never hands one helpdesk another's tenant", async () => {
    const app = ledgerApp();
    const ours = HelpdeskSignup.parse((await signUp(app)).body);
    const theirs = HelpdeskSignup.parse((await signUp(app, OTHER_URL, OTHER_KEY)).body);
    expect(theirs.tenantId).not.toBe(ours.tenantId);
    expect(theirs.helpdeskUrl).toBe(OTHER_URL);
    // Our helpdesk's key does not prove anything at theirs, and theirs nothing at ours.
    expect((await signUp(app, OTHER_URL, DESKPRO_API_KEY)).body.code).toBe("not_helpdesk_admin");
    expect((await signUp(app, DESKPRO_URL, OTHER_KEY)).body.code).toBe("not_helpdesk_admin");
    // Our key still works: the refused attempts changed nothing.
    const still = HelpdeskSignup.parse((await signUp(app)).body);
    expect(still.tenantId).toBe(ours.tenantId);
  });

  it("refuses a key whose person is not an admin, and a key Deskpro refuses, and makes nothing", async () => {
    const app = ledgerApp();
    deskpro.me.can_admin = false;
    const notAdmin = await signUp(app, "https://helpdesk.example.test");
    expect(notAdmin.status).toBe(403);
    expect(notAdmin.body).toMatchObject({ code: "not_helpdesk_admin" });
    expect(notAdmin.body.detail).toMatch(/not an admin/);
    const refused = await signUp(app, DESKPRO_URL, "7:WrongWrongWrong123");
    expect(refused.status).toBe(403);
    expect(refused.body.detail).toMatch(/refused the Deskpro API key \(401\)/);
    expect(refused.body.detail).not.toContain("WrongWrongWrong123");
  });

  it("signs up a helpdesk on a port (named without the colon)", async () => {
    server.use(
      http.get("https://ported.example.test:8443/api/v2/me", () =>
        HttpResponse.json({ data: { person: { id: 1, name: "Pat Port", can_admin: true } }, meta: {}, linked: {} }),
      ),
    );
    const answer = await signUp(ledgerApp(), "https://ported.example.test:8443/", "3:PortedHelpdeskKey1");
    expect(answer.status).toBe(200);
    expect(answer.body.helpdeskUrl).toBe("https://ported.example.test:8443");
  });

  it("signs up a helpdesk served under a sub-path at the API base Deskpro's helpdesk/discover names", async () => {
    const host = "https://shared.example.test";
    const asked: string[] = [];
    server.use(
      http.get(`${host}/support/api/v2/helpdesk/discover`, () =>
        HttpResponse.json({ data: { is_deskpro: true, helpdesk_url: `${host}/support/`, base_api_url: `${host}/support/api/v2/` }, meta: {}, linked: {} }),
      ),
      http.get(`${host}/support/api/v2/me`, ({ request }) => {
        asked.push(request.headers.get("authorization") ?? "");
        return HttpResponse.json({ data: { person: { id: 1, name: "Sam Sub", can_admin: true } }, meta: {}, linked: {} });
      }),
      // Anything else there (the agent interface's own paths, the origin's root) is not the API.
      http.get(`${host}/*`, () => HttpResponse.json({ status: 404, code: "not_found", message: "Not found" }, { status: 404 })),
    );
    const app = ledgerApp();
    // The address as the admin's browser shows it, inside the agent interface.
    const answer = await signUp(app, `${host}/support/app`, "4:SubPathHelpdeskKey1");
    expect(answer.status).toBe(200);
    expect(asked).toEqual(["key 4:SubPathHelpdeskKey1"]);
    const signup = HelpdeskSignup.parse(answer.body);
    expect(signup.helpdeskUrl).toBe(`${host}/support`);
    // The ledger's connection calls the API there; the tenant is still the origin's.
    expect((await get(app, "/v1/integrations/deskpro", signup.apiKey)).body).toMatchObject({ url: `${host}/support` });
    expect(HelpdeskSignup.parse((await signUp(app, `${host}/support/`, "4:SubPathHelpdeskKey1")).body).tenantId).toBe(signup.tenantId);
  });

  it("keeps to the origin when helpdesk/discover names an API on another origin", async () => {
    const host = "https://split.example.test";
    server.use(
      http.get(`${host}/desk/api/v2/helpdesk/discover`, () =>
        HttpResponse.json({ data: { is_deskpro: true, base_api_url: "https://elsewhere.example.test/api/v2/" }, meta: {}, linked: {} }),
      ),
      http.get(`${host}/api/v2/me`, () => HttpResponse.json({ data: { person: { id: 1, name: "Root Admin", can_admin: true } }, meta: {}, linked: {} })),
      http.get("https://elsewhere.example.test/*", () => HttpResponse.json({ data: { person: { id: 1, can_admin: true } } })),
    );
    const answer = await signUp(ledgerApp(), `${host}/desk`, "5:SplitHelpdeskKey123");
    expect(answer.status).toBe(200);
    expect(answer.body.helpdeskUrl).toBe(host);
  });

  it("answers 502 when the helpdesk can't be reached, and 400 for a plain-http helpdesk", async () => {
    const app = ledgerApp({ allowPrivateNetwork: false });
    deskpro.fail("getMe", 503);
    const down = await signUp(app);
    expect(down.status).toBe(502);
    expect(down.body.code).toBe("deskpro_unavailable");
    const plain = await signUp(app, "http://helpdesk.example.test");
    expect(plain.status).toBe(400);
  });

  it("is off when the operator says so (LEDGER_SIGNUP=off)", async () => {
    const before = deskpro.count("getMe");
    const answer = await signUp(ledgerApp({ signup: false }));
    expect(answer.status).toBe(403);
    expect(answer.body.code).toBe("signup_disabled");
    expect(deskpro.count("getMe")).toBe(before);
  });

  it("counts only failures, per helpdesk: one helpdesk's failures don't spend another's, and its admin still connects", async () => {
    const app = ledgerApp({ signupRateLimit: { failuresPerAddress: ROOMY, failuresPerHelpdesk: { burst: 2, perSecond: 0.001 } } });
    // Successes are free.
    for (let i = 0; i < 3; i++) expect((await signUp(app)).status).toBe(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await signUp(app, DESKPRO_URL, "7:WrongWrongWrong123")).status);
    expect(statuses).toEqual([403, 403, 429, 429]);
    expect((await signUp(app)).status).toBe(200);
    // Another helpdesk behind the same address (Deskpro's proxy) has its own allowance.
    server.use(http.get("https://second-helpdesk.example.test/api/v2/me", () => HttpResponse.json({ status: 401 }, { status: 401 })));
    const other = [];
    for (let i = 0; i < 3; i++) other.push((await signUp(app, "https://second-helpdesk.example.test", "7:WrongWrongWrong123")).status);
    expect(other).toEqual([403, 403, 429]);
  });

  it("takes a tenant key pasted into the app's plain setting from X-Credits-Key, beside an unfilled placeholder", async () => {
    const app = ledgerApp();
    const { apiKey } = HelpdeskSignup.parse((await signUp(app)).body);
    const read = (headers: Record<string, string>) => app.fetch(new Request("http://ledger.test/v1/config", { headers }));
    expect((await read({ authorization: "Bearer __ledger_api_key__", "x-credits-key": apiKey })).status).toBe(200);
    expect((await read({ authorization: `Bearer ${apiKey}`, "x-credits-key": "__ledger_api_key_pasted__" })).status).toBe(200);
    expect((await read({ authorization: "Bearer __ledger_api_key__", "x-credits-key": "__ledger_api_key_pasted__" })).status).toBe(401);
    expect((await read({ "x-credits-key": "sck_not-a-key" })).status).toBe(401);
  });

  it("validates the request and changes nothing on bad input", async () => {
    const answer = await post(ledgerApp(), "/v1/signup", { helpdeskUrl: "not a url", deskproApiKey: "nope" });
    expect(answer.status).toBe(400);
    expect(answer.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["body.deskproApiKey", "body.helpdeskUrl"]);
  });
});
