/**
 * Builds the Deskpro app and zips it for upload, bound to one ledger:
 *
 *   npm run package -- --ledger-url https://credits.example.com [--out dist/support-credits.zip]
 *
 * Deskpro's app proxy only forwards requests whose URL matches the manifest's whitelist, and the
 * whitelist is fixed when the app is packaged. So the ledger's address is baked in here, as an
 * anchored regular expression with its dots escaped (a loose pattern would let the proxy be
 * pointed at other hosts with the helpdesk's credentials), next to the same rule written with the
 * `__ledger_url__` placeholder the app's requests start with: Deskpro doesn't document whether it
 * fills placeholders in before or after checking the whitelist, and each rule serves one order.
 * The placeholder rule can only reach the ledger because the `ledger_url` setting's validation
 * pattern accepts exactly the built address.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { zipSync, type Zippable } from "fflate";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export class PackageError extends Error {}

/** The ledger's base URL, normalised, or a PackageError saying what is wrong with it. */
export function parseLedgerUrl(raw: string | undefined): URL {
  if (!raw) throw new PackageError("Missing --ledger-url, e.g. npm run package -- --ledger-url https://credits.example.com");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new PackageError(`--ledger-url "${raw}" is not a valid URL; give the full address, e.g. https://credits.example.com`);
  }
  if (url.protocol !== "https:") throw new PackageError(`--ledger-url must use https:// (got ${url.protocol}//): the API key travels to it`);
  if (url.username || url.password) throw new PackageError("--ledger-url must not contain credentials");
  if (url.search || url.hash) throw new PackageError("--ledger-url must not have a query or fragment");
  if (!/^[a-z0-9.-]+$/i.test(url.hostname) || url.hostname.startsWith(".") || url.hostname.endsWith(".")) {
    throw new PackageError(`--ledger-url has an unusable host name "${url.hostname}"`);
  }
  return url;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** "https://credits.example.com" (path kept, trailing slash dropped). */
export function ledgerBase(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** Anchored to exactly the ledger's origin (and base path): only its /v1 API. */
export function whitelistPattern(url: URL): string {
  return `^${escapeRegExp(ledgerBase(url))}/v1/.*$`;
}

/** The same rule as the app's requests write it, for a proxy that checks before filling placeholders in. */
export const PLACEHOLDER_WHITELIST_PATTERN = "^__ledger_url__/v1/.*$";

interface Manifest {
  settings: Record<string, { default?: unknown; validationPattern?: string; [k: string]: unknown }>;
  proxy: { whitelist: Array<{ url: string; methods: string[]; timeout: number }> };
  [k: string]: unknown;
}

export function packagedManifest(manifest: Manifest, url: URL): Manifest {
  const base = ledgerBase(url);
  const ledgerUrl = manifest.settings.ledger_url;
  if (!ledgerUrl) throw new PackageError("manifest.json has no ledger_url setting");
  return {
    ...manifest,
    settings: {
      ...manifest.settings,
      // The proxy would refuse any other address, so the form accepts only this one.
      ledger_url: { ...ledgerUrl, default: base, validationPattern: `^${escapeRegExp(base)}$` },
    },
    proxy: {
      whitelist: [whitelistPattern(url), PLACEHOLDER_WHITELIST_PATTERN].map((pattern) => ({ url: pattern, methods: ["GET", "POST", "PUT"], timeout: 20 })),
    },
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { "ledger-url": { type: "string" }, out: { type: "string" }, "build-dir": { type: "string" } },
    strict: true,
  });
  const url = parseLedgerUrl(values["ledger-url"]);
  const buildDir = resolve(values["build-dir"] ?? join(root, "dist"));
  const out = resolve(values.out ?? join(buildDir, "support-credits.zip"));

  const { build } = await import("vite");
  await build({ root, configFile: join(root, "vite.config.ts"), logLevel: "warn", build: { outDir: buildDir, emptyOutDir: true } });

  const manifest = packagedManifest(JSON.parse(readFileSync(join(root, "manifest.json"), "utf8")) as Manifest, url);
  const files: Zippable = { "manifest.json": new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`) };
  for (const path of filesUnder(buildDir)) {
    const name = relative(buildDir, path).split(sep).join("/");
    if (path === out || name.endsWith(".zip") || name === "manifest.json") continue;
    files[name] = readFileSync(path);
  }
  for (const required of ["index.html", "icon.svg", "DESCRIPTION.md", "SETUP.md"]) {
    if (!(required in files)) throw new PackageError(`the build has no ${required} (is it in public/?)`);
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, zipSync(files, { level: 9, mtime: new Date("2000-01-01T00:00:00Z") }));
  console.log(`Packaged ${Object.keys(files).length} files for ${ledgerBase(url)} → ${relative(process.cwd(), out) || out}`);
  console.log(`Proxy whitelist: ${manifest.proxy.whitelist.map((rule) => rule.url).join(" and ")}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof PackageError || (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS"))) {
      console.error(`package: ${error.message}`);
    } else {
      console.error("package: failed:", error);
    }
    process.exitCode = 1;
  });
}
