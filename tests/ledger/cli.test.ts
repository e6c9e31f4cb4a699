/**
 * The shell commands of ledger-api.md ("Operating it from a shell"), run exactly as written, on
 * the embedded database in a temporary data folder.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { forgetCachedKeys } from "../../src/ledger/core/tenants.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { openDatabase } from "../../src/ledger/storage/db.js";
import { freePort } from "../setup/embedded-postgres.js";

const dataDir = mkdtempSync(join(tmpdir(), "ledger-cli-"));
const env = { ...process.env, LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" };
const ledger = (...args: string[]) => spawnSync("npm", ["run", "-s", "ledger", "--", ...args], { env, encoding: "utf8", timeout: 60_000 });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Each test runs several `npm run ledger` processes (each starting tsx and opening the embedded
// database): on a busy machine that takes longer than the project's usual per-test minute.
describe("npm run ledger", { timeout: 180_000 }, () => {
  it("migrates, and is safe to run twice", () => {
    const first = ledger("migrate");
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/applied migrations 1/);
    const second = ledger("migrate");
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/up to date/);
  });

  it("creates, lists and rotates tenants; serves with their keys; exits cleanly on SIGTERM", async () => {
    const created = ledger("tenant", "create", "--name", "acme", "--json");
    expect(created.status).toBe(0);
    const lines = created.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    const { tenantId, apiKey } = JSON.parse(lines[0]!) as { tenantId: string; apiKey: string };
    expect(tenantId).toMatch(/^tnt_/);
    expect(apiKey).toMatch(/^sck_/);

    const duplicate = ledger("tenant", "create", "--name", "acme", "--json");
    expect(duplicate.status).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
    expect(ledger("tenant", "create", "--json").status).toBe(2);

    const listed = JSON.parse(ledger("tenant", "list", "--json").stdout) as { tenantId: string; name: string; activeKeys: number }[];
    expect(listed).toEqual([expect.objectContaining({ tenantId, name: "acme", activeKeys: 1 })]);
    expect(JSON.stringify(listed)).not.toContain(apiKey);

    const rotated = JSON.parse(ledger("tenant", "rotate-key", "--tenant", "acme", "--json").stdout) as { apiKey: string; revokedKeys: number };
    expect(rotated.revokedKeys).toBe(1);
    expect(rotated.apiKey).not.toBe(apiKey);

    const port = await freePort();
    // The command `npm run ledger -- serve` runs, started directly so the signal reaches the ledger itself.
    const server = spawn(process.execPath, ["--import", "tsx", "src/ledger/cli.ts", "serve"], {
      env: { ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    server.stdout.on("data", (chunk) => (output += chunk));
    try {
      await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain("ledger listening");
      expect(output).toContain(`127.0.0.1:${port}`);
      // a second process can't open the same embedded database while it is served
      const clash = ledger("tenant", "list");
      expect(clash.status).toBe(1);
      expect(clash.stderr).toMatch(/in use by process/);

      const base = `http://127.0.0.1:${port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      expect((await fetch(`${base}/v1/wallets/org:1`, { headers: { authorization: `Bearer ${apiKey}` } })).status).toBe(401);
      const ok = await fetch(`${base}/v1/wallets/org:1`, { headers: { authorization: `Bearer ${rotated.apiKey}` } });
      expect(ok.status).toBe(200);
      await expect.poll(() => output, { timeout: 5_000 }).toContain('"route":"/v1/wallets/:owner","status":200');
      expect(output).not.toContain(rotated.apiKey);
    } finally {
      const exited = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
      server.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
    expect(output).toContain("shutting down");
  }, 120_000);

  it("suspends and resumes a tenant by id or name: its key gets 403 while suspended and works again once resumed", async () => {
    const created = JSON.parse(ledger("tenant", "create", "--name", "paused-co", "--json").stdout) as { tenantId: string; apiKey: string };
    // The ledger over the same data folder, in this process, between commands (PGlite is one process at a time).
    const ask = async () => {
      const db = await openDatabase({ dataDir });
      try {
        const app = createLedgerApp({ db, log: () => undefined });
        const response = await app.fetch(new Request("http://ledger.test/v1/wallets/org:1", { headers: { authorization: `Bearer ${created.apiKey}` } }));
        return { status: response.status, body: (await response.json()) as { code?: string } };
      } finally {
        await db.close();
        forgetCachedKeys();
      }
    };
    expect((await ask()).status).toBe(200);

    const suspended = ledger("tenant", "suspend", "paused-co", "--json");
    expect(suspended.status).toBe(0);
    expect(JSON.parse(suspended.stdout)).toEqual({ tenantId: created.tenantId, name: "paused-co", state: "suspended", changed: true });
    expect(ledger("tenant", "suspend", created.tenantId).stdout).toMatch(/already suspended/);
    const listed = JSON.parse(ledger("tenant", "list", "--json").stdout) as { tenantId: string; suspendedAt: string | null; activeKeys: number }[];
    expect(listed.find((t) => t.tenantId === created.tenantId)).toMatchObject({ suspendedAt: expect.stringMatching(/^\d{4}-/), activeKeys: 1 });
    expect(await ask()).toMatchObject({ status: 403, body: { code: "tenant_suspended" } });

    const resumed = ledger("tenant", "resume", created.tenantId);
    expect(resumed.status).toBe(0);
    expect(resumed.stdout).toMatch(/resumed/);
    expect(await ask()).toMatchObject({ status: 200 });

    expect(ledger("tenant", "suspend").status).toBe(2);
    const unknown = ledger("tenant", "suspend", "nobody-by-that-name");
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/No tenant/);
  });

  it("stores a tenant's Deskpro connection with secrets from the environment, sealed and never printed back", () => {
    const secretsKey = Buffer.alloc(32, 7).toString("base64");
    const created = JSON.parse(ledger("tenant", "create", "--name", "helpdesk-co", "--json").stdout) as { tenantId: string };
    const run = (extra: Record<string, string>, ...args: string[]) =>
      spawnSync("npm", ["run", "-s", "ledger", "--", "deskpro", "connect", ...args], {
        env: { ...env, LEDGER_SECRETS_KEY: secretsKey, ...extra },
        encoding: "utf8",
        timeout: 60_000,
      });

    const apiKey = "12:Zx8v2Kq9LmN4pR7s";
    const connected = run(
      { DESKPRO_API_KEY: apiKey },
      "--tenant",
      "helpdesk-co",
      "--url",
      "https://support.example.com/",
      "--generate-webhook-secret",
      "--json",
    );
    expect(connected.status).toBe(0);
    const out = JSON.parse(connected.stdout) as { tenantId: string; connection: Record<string, unknown>; webhookSecret: string };
    expect(out.tenantId).toBe(created.tenantId);
    expect(out.connection).toMatchObject({ url: "https://support.example.com", apiKeySet: true, apiKeyId: "12", webhookSecretSet: true });
    expect(out.webhookSecret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(connected.stdout).not.toContain(apiKey);

    const badKey = run({ DESKPRO_API_KEY: "not a key" }, "--tenant", "helpdesk-co", "--url", "https://support.example.com");
    expect(badKey.status).toBe(2);
    expect(badKey.stderr).toContain("DESKPRO_API_KEY");
    expect(badKey.stderr).not.toContain("not a key");
    expect(run({}, "--tenant", "nobody", "--url", "https://support.example.com").status).toBe(2);
    expect(run({}, "--tenant", "helpdesk-co").status).toBe(2);
  });

  it("prints the OpenAPI document, with its public address, without opening a database", () => {
    const emptyDir = mkdtempSync(join(tmpdir(), "ledger-cli-openapi-"));
    try {
      const printed = spawnSync("npm", ["run", "-s", "ledger", "--", "openapi"], {
        env: { ...env, LEDGER_DATA_DIR: join(emptyDir, "never-made"), LEDGER_PUBLIC_URL: "https://credits.example.com" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(printed.status).toBe(0);
      const doc = JSON.parse(printed.stdout) as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.servers.map((s) => s.url)).toEqual(["https://credits.example.com"]);
      expect(doc.paths).toHaveProperty(["/v1/wallets/{owner}/debits"]);
      expect(doc.paths).toHaveProperty(["/v1/signup"]);
      expect(existsSync(join(emptyDir, "never-made"))).toBe(false);
      // Without sign-up, as the server would serve it.
      const off = spawnSync("npm", ["run", "-s", "ledger", "--", "openapi"], {
        env: { ...env, LEDGER_DATA_DIR: join(emptyDir, "never-made"), LEDGER_SIGNUP: "off" },
        encoding: "utf8",
        timeout: 60_000,
      });
      expect(off.status).toBe(0);
      const withoutSignup = JSON.parse(off.stdout) as { paths: Record<string, unknown> };
      expect(withoutSignup.paths).toHaveProperty(["/v1/wallets/{owner}/debits"]);
      expect(withoutSignup.paths).not.toHaveProperty(["/v1/signup"]);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
