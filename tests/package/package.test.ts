import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const tsx = join(root, "node_modules", ".bin", "tsx");
const work = mkdtempSync(join(tmpdir(), "package-test-"));

function runPackage(...args: string[]) {
  return spawnSync(tsx, ["scripts/package.ts", ...args], { cwd: root, encoding: "utf8", timeout: 120_000 });
}

const VALID_TARGETS = new Set(["ticket_sidebar", "user_sidebar", "organisation_sidebar", "global"]);
const SETTING_TYPES = new Set(["string", "boolean", "number", "app_embedded", "app_modal"]);

interface Setting {
  title: string;
  type: string;
  isRequired: boolean;
  isBackendOnly: boolean;
  validationPattern?: string;
  default?: string;
  options?: { entrypoint?: string };
}
interface Manifest {
  name: string;
  title: string;
  version: string;
  targets: Array<{ target: string; entrypoint: string }>;
  settings: Record<string, Setting>;
  proxy: { whitelist: Array<{ url: string; methods: string[]; timeout: number }> };
}

describe("npm run package", () => {
  let files: Record<string, Uint8Array>;
  let manifest: Manifest;
  const zip = join(work, "out", "support-credits.zip");

  beforeAll(() => {
    const run = runPackage("--ledger-url", "https://credits.example.com", "--build-dir", join(work, "build"), "--out", zip);
    expect(run.status, run.stderr).toBe(0);
    files = unzipSync(readFileSync(zip));
    manifest = JSON.parse(new TextDecoder().decode(files["manifest.json"])) as Manifest;
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("puts the manifest, page, icon and descriptions at the zip root, with the built assets", () => {
    for (const name of ["manifest.json", "index.html", "icon.svg", "DESCRIPTION.md", "SETUP.md"]) expect(Object.keys(files)).toContain(name);
    const html = new TextDecoder().decode(files["index.html"]);
    const scripts = [...html.matchAll(/src="([^"]+)"/g)].map((m) => m[1] as string);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith("/"), `${src} must be relative: Deskpro serves the app from its own path`).toBe(false);
      expect(Object.keys(files)).toContain(src.replace(/^\.\//, ""));
    }
  });

  it("declares valid targets, each opening the page", () => {
    expect(manifest.targets.map((t) => t.target).sort()).toEqual(["organisation_sidebar", "ticket_sidebar", "user_sidebar"]);
    for (const t of manifest.targets) {
      expect(VALID_TARGETS.has(t.target)).toBe(true);
      expect(t.entrypoint.split("#")[0] || "index.html").toBe("index.html");
    }
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("has the ledger settings, with the key backend-only", () => {
    for (const [name, setting] of Object.entries(manifest.settings)) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(SETTING_TYPES.has(setting.type), `${name}: ${setting.type}`).toBe(true);
      expect(typeof setting.title).toBe("string");
    }
    const url = manifest.settings.ledger_url as Setting;
    expect(url).toMatchObject({ type: "string", isRequired: true, isBackendOnly: false, default: "https://credits.example.com" });
    const pattern = new RegExp(url.validationPattern as string);
    expect(pattern.test("https://credits.example.com")).toBe(true);
    expect(pattern.test("http://credits.example.com")).toBe(false);
    expect(pattern.test("https://credits.example.com.evil.io")).toBe(false);
    // The key's own setting is the Connect page, which writes the key with setAdminSetting; the plain
    // one beside it takes a pasted key (self-hosted, or when Deskpro would not store it). Both backend-only.
    expect(manifest.settings.ledger_api_key).toMatchObject({ type: "app_embedded", isBackendOnly: true, options: { entrypoint: "#/connect" } });
    expect(manifest.settings.ledger_api_key_pasted).toMatchObject({ type: "string", isRequired: false, isBackendOnly: true });
    expect(manifest.settings.credits_configuration).toMatchObject({ type: "app_embedded", isBackendOnly: false, options: { entrypoint: "#/admin" } });
  });

  it("whitelists exactly the ledger's origin, as an address and as the placeholder the app's requests start with", () => {
    expect(manifest.proxy.whitelist).toHaveLength(2);
    const placeholder = manifest.proxy.whitelist[1] as Manifest["proxy"]["whitelist"][number];
    expect(placeholder).toMatchObject({ url: "^__ledger_url__/v1/.*$", timeout: 20 });
    expect(placeholder.methods.sort()).toEqual(["GET", "POST", "PUT"]);
    const asWritten = new RegExp(placeholder.url);
    expect(asWritten.test("__ledger_url__/v1/wallets/org%3A42")).toBe(true);
    expect(asWritten.test("__ledger_url__.evil.io/v1/wallets")).toBe(false);
    expect(asWritten.test("https://evil.io/__ledger_url__/v1/wallets")).toBe(false);
    expect(asWritten.test("__ledger_url__@evil.io/v1/wallets")).toBe(false);
    const entry = manifest.proxy.whitelist[0] as Manifest["proxy"]["whitelist"][number];
    expect(entry.url.startsWith("^") && entry.url.endsWith("$")).toBe(true);
    expect(entry.methods.sort()).toEqual(["GET", "POST", "PUT"]);
    const allowed = new RegExp(entry.url);
    expect(allowed.test("https://credits.example.com/v1/wallets/org%3A42")).toBe(true);
    expect(allowed.test("https://credits.example.com/v1/tickets/7/payer?person=3&org=42")).toBe(true);
    expect(allowed.test("https://credits.example.com.evil.io/")).toBe(false);
    expect(allowed.test("https://credits.example.com.evil.io/v1/wallets")).toBe(false);
    expect(allowed.test("https://evil.io/?https://credits.example.com")).toBe(false);
    expect(allowed.test("https://evil.io/?https://credits.example.com/v1/x")).toBe(false);
    expect(allowed.test("https://creditsXexample.com/v1/wallets")).toBe(false);
    expect(allowed.test("http://credits.example.com/v1/wallets")).toBe(false);
    expect(allowed.test("https://credits.example.com@evil.io/v1/wallets")).toBe(false);
  });

  it.each([
    ["http://credits.example.com", /https/],
    ["credits.example.com", /not a valid URL/],
    ["https://credits.example.com/?x=1", /query/],
    ["https://user:pw@credits.example.com", /credentials/],
  ])("refuses %s with a clear message and no zip", (url, message) => {
    const out = join(work, "bad", "x.zip");
    const run = runPackage("--ledger-url", url, "--build-dir", join(work, "bad-build"), "--out", out);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it("refuses to run without --ledger-url", () => {
    const run = runPackage();
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/Missing --ledger-url/);
  });
});
