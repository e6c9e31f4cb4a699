/**
 * Where the ledger's outgoing calls may go: public https addresses only, unless the operator sets
 * LEDGER_ALLOW_PRIVATE_NETWORK=true. Checked when an address is saved and on the address actually
 * connected to (after DNS resolution). Real sockets on loopback stand in for internal services;
 * no request interception here, so what would connect does connect.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertWebhookTest, OutboxPage } from "../../src/contract/index.js";
import { composeLedger } from "../../src/ledger/compose.js";
import { isPublicAddress, MAX_RESPONSE_BYTES, outboundFetch, outboundPolicyFromEnv, type OutboundPolicy } from "../../src/ledger/core/outbound.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { defaultClientFactory } from "../../src/ledger/integrations/deskpro/connection.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { openTestDatabase } from "../helpers/ledger.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

describe("public addresses", () => {
  it("are told from loopback, private, link-local, shared, unique-local, multicast and reserved ones, in IPv4 and IPv6", () => {
    const refused = [
      "127.0.0.1",
      "127.255.255.254",
      "10.0.0.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "100.127.255.255",
      "0.0.0.0",
      "224.0.0.251",
      "239.255.255.250",
      "255.255.255.255",
      "192.0.2.1",
      "::1",
      "::",
      "fd12:3456::1",
      "fc00::1",
      "fe80::1",
      "ff02::1",
      "::ffff:127.0.0.1",
      "::ffff:a9fe:a9fe", // 169.254.169.254, IPv4-mapped
      "64:ff9b::a00:1", // 10.0.0.1 through NAT64
      "2001:db8::1",
      "2002:7f00:1::1", // 6to4 of 127.0.0.1
      "not an address",
    ];
    const allowed = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"];
    expect(refused.filter(isPublicAddress)).toEqual([]);
    expect(allowed.filter((a) => !isPublicAddress(a))).toEqual([]);
  });

  it("are required unless LEDGER_ALLOW_PRIVATE_NETWORK is exactly true", () => {
    expect(outboundPolicyFromEnv({}).allowPrivateNetwork).toBe(false);
    expect(outboundPolicyFromEnv({ LEDGER_ALLOW_PRIVATE_NETWORK: "1" }).allowPrivateNetwork).toBe(false);
    expect(outboundPolicyFromEnv({ LEDGER_ALLOW_PRIVATE_NETWORK: "true" }).allowPrivateNetwork).toBe(true);
  });
});

/** An internal service on loopback that counts every connection made to it. */
async function internalService(): Promise<{ server: Server; port: number; connections: () => number; requests: string[] }> {
  let connections = 0;
  const requests: string[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      requests.push(`${request.method} ${request.url} ${body}`);
      response.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => connections, requests };
}

/** A name that resolves to loopback: what a rebinding attacker points at the ledger. */
const REBINDING_NAME = "rebind.example.test";
const resolve: OutboundPolicy["resolve"] = async (hostname) => {
  if (hostname === REBINDING_NAME) return [{ address: "127.0.0.1", family: 4 }];
  throw Object.assign(new Error(`no such name ${hostname}`), { code: "ENOTFOUND" });
};

describe("outgoing calls", () => {
  let db: Database;
  let service: Awaited<ReturnType<typeof internalService>>;
  let closedPort: number;
  beforeAll(async () => {
    db = await openTestDatabase("pglite");
    service = await internalService();
    const closed = await internalService();
    closedPort = closed.port;
    await new Promise((done) => closed.server.close(done));
  });
  afterAll(async () => {
    await new Promise((done) => service.server.close(done));
    await db.close();
  });

  /** A tenant on a ledger with the given policy; `allowPrivateNetwork` left out reads the environment. */
  const tenantOn = async (outbound: OutboundPolicy | undefined, tenantId?: string, apiKey?: string) => {
    const ledger = composeLedger({ db, outbound, deskproClients: defaultClientFactory({ retries: 0, timeoutMs: 2_000 }) });
    const app = createLedgerApp({ db, ledger, log: () => undefined });
    const tenant = tenantId && apiKey ? { tenantId, apiKey } : await createTenant(db, { name: `outbound-${randomUUID()}` });
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await app.fetch(
        new Request(`http://ledger.test${path}`, {
          method,
          headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": randomUUID() },
          body: body === undefined ? undefined : JSON.stringify(body),
        }),
      );
      return { status: response.status, body: (await response.json()) as any };
    };
    return { ...tenant, ledger, call };
  };

  it("refuses to save a helpdesk or webhook address that isn't public https, naming the rule and the field", async () => {
    expect(process.env.LEDGER_ALLOW_PRIVATE_NETWORK).toBeUndefined();
    const t = await tenantOn(undefined); // the environment's policy: not set, so refused
    const cases: Array<[string, string]> = [
      ["http://support.example.com", "https_required"],
      [`http://127.0.0.1:${service.port}`, "https_required"],
      [`https://127.0.0.1:${service.port}`, "public_address_required"],
      ["https://localhost", "public_address_required"],
      ["https://[::1]", "public_address_required"],
      ["https://10.1.2.3", "public_address_required"],
      ["https://172.20.0.1", "public_address_required"],
      ["https://192.168.0.10", "public_address_required"],
      ["https://169.254.169.254", "public_address_required"],
      ["https://100.64.0.7", "public_address_required"],
      ["https://[fd00::5]", "public_address_required"],
      ["https://[fe80::1]", "public_address_required"],
      ["https://224.0.0.1", "public_address_required"],
      ["https://[ff02::1]", "public_address_required"],
      ["https://0.0.0.0", "public_address_required"],
      ["https://[::ffff:127.0.0.1]", "public_address_required"],
      ["https://2130706433", "public_address_required"], // 127.0.0.1 written as a number
      ["https://user:secret@support.example.com", "no_credentials"],
    ];
    for (const [url, rule] of cases) {
      const deskpro = await t.call("PUT", "/v1/integrations/deskpro", { url, apiKey: "7:Zx8v2Kq9LmT4pW6s" });
      expect(deskpro.status, url).toBe(400);
      expect(deskpro.body, url).toMatchObject({ code: "url_not_allowed", rule, errors: [{ path: "body.url" }] });
      const hooks = await t.call("PUT", "/v1/alerts/settings", { webhooks: [{ id: "ops", url, secret: `whsec_${randomBytes(24).toString("base64")}` }] });
      expect(hooks.status, url).toBe(400);
      expect(hooks.body, url).toMatchObject({ code: "url_not_allowed", rule, errors: [{ path: "body.webhooks.0.url" }] });
    }
    expect((await t.call("GET", "/v1/integrations/deskpro")).body.url).toBeNull();
    expect((await t.call("GET", "/v1/alerts/settings")).body.webhooks).toEqual([]);
    expect(service.connections()).toBe(0);
    // A public https address is accepted.
    expect((await t.call("PUT", "/v1/integrations/deskpro", { url: "https://support.example.com", apiKey: "7:Zx8v2Kq9LmT4pW6s" })).status).toBe(200);
  });

  it("checks the address connected to: a name resolving to loopback is refused before any connection, at the test button and in the outbox", async () => {
    const t = await tenantOn({ allowPrivateNetwork: false, resolve });
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    const url = `https://${REBINDING_NAME}:${service.port}/hook`;
    expect((await t.call("PUT", "/v1/alerts/settings", { webhooks: [{ id: "ops", url, secret }] })).status).toBe(200);
    expect((await t.call("PUT", "/v1/integrations/deskpro", { url: `https://${REBINDING_NAME}:${service.port}`, apiKey: "7:Zx8v2Kq9LmT4pW6s" })).status).toBe(
      200,
    );

    const test = await t.call("POST", "/v1/alerts/webhooks/ops/test", {});
    expect(test.status).toBe(200);
    expect(AlertWebhookTest.parse(test.body)).toEqual({ delivered: false, status: null, detail: expect.stringContaining("must be a public internet address") });
    expect(test.body.detail).not.toContain("127.0.0.1");

    // An alert: its webhook and its Deskpro message are both refused when delivered, with a safe message.
    expect((await t.call("POST", "/v1/wallets/org:5/grants", { amount: 150, reason: "top-up" })).status).toBe(201);
    expect((await t.call("POST", "/v1/wallets/org:5/debits", { kind: "manual", amount: 100, reason: "work", ticketId: "77" })).status).toBe(201);
    await t.ledger.drain({ tenantId: t.tenantId });
    const rows = OutboxPage.parse((await t.call("GET", "/v1/outbox?limit=50")).body).items.filter((r) => r.kind.startsWith("alert."));
    expect(rows.map((r) => r.kind).sort()).toEqual(["alert.deskpro", "alert.webhook"]);
    for (const row of rows) {
      expect(row.state, row.kind).not.toBe("done");
      expect(row.lastError, row.kind).toContain("must be a public internet address");
      expect(row.lastError, row.kind).not.toContain("127.0.0.1");
    }
    expect(service.connections()).toBe(0);
    expect(service.requests).toEqual([]);
  });

  it("gives a port scanner nothing: an open and a closed internal port get the same answer from the test button", async () => {
    // Saved while the operator allowed private networks, then tested after they stopped allowing them.
    const allowed = await tenantOn({ allowPrivateNetwork: true });
    const secret = `whsec_${randomBytes(24).toString("base64")}`;
    const webhooks = [
      { id: "open", url: `http://127.0.0.1:${service.port}/hook`, secret },
      { id: "closed", url: `http://127.0.0.1:${closedPort}/hook`, secret },
    ];
    expect((await allowed.call("PUT", "/v1/alerts/settings", { webhooks })).status).toBe(200);
    const refused = await tenantOn({ allowPrivateNetwork: false }, allowed.tenantId, allowed.apiKey);
    const answers = [
      (await refused.call("POST", "/v1/alerts/webhooks/open/test", {})).body,
      (await refused.call("POST", "/v1/alerts/webhooks/closed/test", {})).body,
    ];
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ delivered: false, status: null, detail: expect.stringContaining("must use https") });
    expect(service.connections()).toBe(0);

    // With private networks allowed (development, tests), the same endpoint is reached, signed.
    const delivered = await allowed.call("POST", "/v1/alerts/webhooks/open/test", {});
    expect(delivered.body).toMatchObject({ delivered: true, status: 200 });
    expect(service.requests).toEqual([expect.stringMatching(/^POST \/hook \{"type":"webhook.test"/)]);
  });
});

describe("answers to outgoing calls", () => {
  /** An endpoint whose answer never ends: it writes as fast as it is read, and says when its connection closes. */
  async function endlessService() {
    let closed = false;
    const server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once("drain", pump);
      };
      response.on("close", () => (closed = true));
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, closed: () => closed };
  }
  const doFetch = outboundFetch({ allowPrivateNetwork: true });

  it("are streamed as the caller reads them: a caller that stops at its own limit holds no more, and the connection closes", async () => {
    const service = await endlessService();
    try {
      // The answer arrives as soon as its headers do; nothing is buffered ahead of the reader.
      const response = await doFetch(service.url);
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      let read = 0;
      while (read < 1024 * 1024) read += (await reader.read()).value!.byteLength;
      await reader.cancel();
      await expect.poll(service.closed, { timeout: 5_000 }).toBe(true);
    } finally {
      service.server.closeAllConnections();
      await new Promise((done) => service.server.close(done));
    }
  });

  it(`are never read past ${MAX_RESPONSE_BYTES / 1024 / 1024} MB, whoever reads them`, async () => {
    const service = await endlessService();
    try {
      const response = await doFetch(service.url);
      await expect(response.arrayBuffer()).rejects.toThrow();
      await expect.poll(service.closed, { timeout: 5_000 }).toBe(true);
    } finally {
      service.server.closeAllConnections();
      await new Promise((done) => service.server.close(done));
    }
  });
});
