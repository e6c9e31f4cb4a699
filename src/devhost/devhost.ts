/**
 * A helpdesk on your laptop: the ledger on embedded PGlite, the app built for that ledger's
 * address, and a page that plays Deskpro around the app's iframe, with a demo tenant, people,
 * organisations, tickets and a few weeks of history on first start.
 */
import { serve, type ServerType } from "@hono/node-server";
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "vite";
import { packagedManifest } from "../../scripts/package.js";
import type { Logger } from "../ledger/http/app.js";
import { startLedgerServer, type LedgerServer } from "../ledger/node.js";
import { SECRETS_KEY_ENV } from "../ledger/core/secrets.js";
import { createTenant } from "../ledger/core/tenants.js";
import { seedDemo } from "./demo.js";
import { ManifestProxy, type PlaceholderOrder } from "./proxy.js";
import { hostServer } from "./server.js";
import { startStripeStandIn, type StripeStandIn } from "./stripe/server.js";
import { openHostStore, TIER_FIELD, type HostStore } from "./store.js";

const ROOT = resolve(import.meta.dirname, "../..");

export interface DevHostOptions {
  /** Everything the host keeps: the ledger's PGlite folder, host state, builds, the ledger's log. */
  dataDir: string;
  /** 0 picks a free port (tests). */
  hostPort?: number;
  ledgerPort?: number;
  /** The local Stripe simulation's port (default: a free one; npm start uses 8789). */
  stripePort?: number;
  /** Progress lines ("building the app…"); silent when omitted. */
  say?: (line: string) => void;
  /** When the app proxy fills in placeholders: before or after it checks the whitelist (default: before). */
  proxyOrder?: PlaceholderOrder;
  /**
   * A freshly installed, unconfigured app (DEVHOST_FRESH=1): no demo tenant, no saved key, no tier
   * field or triggers in the helpdesk. The admin connects, sets tiers up and submits the first paid
   * ticket from the pages alone.
   */
  fresh?: boolean;
}

export interface DevHost {
  hostUrl: string;
  ledgerUrl: string;
  /** The demo tenant; null on a fresh start until the admin connects (the key is then Deskpro's setting). */
  tenantId: string | null;
  apiKey: string | null;
  ledger: LedgerServer;
  /** The local Stripe simulation the ledger's card buying talks to (LEDGER_STRIPE_API_URL). */
  stripe: StripeStandIn;
  /** True when this start created the demo tenant and its history. */
  seeded: boolean;
  close(): Promise<void>;
}

/** Builds the app into `outDir` with its proxy whitelist bound to this ledger, as `npm run package` does. */
async function buildApp(outDir: string, ledgerUrl: string): Promise<ManifestProxy> {
  await build({ root: ROOT, configFile: join(ROOT, "vite.config.ts"), logLevel: "warn", build: { outDir, emptyOutDir: true } });
  const source = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8"));
  const manifest = packagedManifest(source, new URL(ledgerUrl));
  writeFileSync(join(outDir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return ManifestProxy.parse(manifest);
}

async function buildHostPage(outDir: string): Promise<void> {
  const root = join(ROOT, "src/devhost/page");
  await build({ root, configFile: false, base: "/", logLevel: "warn", build: { outDir, emptyOutDir: true, target: "es2022" } });
}

/** Ledger log lines go to a file; server errors are also printed, so nothing goes unnoticed. */
function fileLogger(file: string, say: (line: string) => void): Logger {
  return (line) => {
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    if (line.level === "error" || (typeof line.status === "number" && line.status >= 500)) say(`ledger: ${JSON.stringify(line)}`);
  };
}

/**
 * Points the demo tenant's portal flow at the REST stand-in, as an admin would with their
 * helpdesk: its address and API key, the webhook secret, and the tier field's options.
 */
async function connectPortal(ledgerUrl: string, apiKey: string, hostUrl: string, store: HostStore): Promise<void> {
  const put = async (path: string, body: unknown) => {
    const response = await fetch(`${ledgerUrl}${path}`, {
      method: "PUT",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`connecting the portal flow: PUT ${path} answered ${response.status}: ${await response.text()}`);
  };
  await put("/v1/integrations/deskpro", { url: `${hostUrl}/deskpro`, apiKey: store.state.helpdeskApiKey, webhookSecret: store.state.webhookSecret });
  await put("/v1/portal/settings", {
    tierFieldId: TIER_FIELD.id,
    tierOptions: TIER_FIELD.options.map((o) => ({ tier: o.tier, optionId: o.id })),
  });
}

/**
 * Connects the demo tenant's card buying to the Stripe simulation, as an admin would with their
 * Stripe account: the secret key, and a webhook endpoint at the ledger with its signing secret.
 */
async function connectStripe(ledgerUrl: string, apiKey: string, tenantId: string, stripe: StripeStandIn): Promise<void> {
  const response = await fetch(`${ledgerUrl}/v1/integrations/stripe`, {
    method: "PUT",
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ secretKey: stripe.secretKey, webhookSecret: stripe.webhookSecret }),
  });
  if (!response.ok) throw new Error(`connecting card buying: PUT /v1/integrations/stripe answered ${response.status}: ${await response.text()}`);
  stripe.setEndpoint(`${ledgerUrl}/hooks/stripe/${tenantId}`);
}

/** The demo helpdesk's web hook actions, as its admin set them up: each event to the demo tenant's hook with the secret. */
function demoTriggers(ledgerUrl: string, tenantId: string, secret: string): HostStore["state"]["triggers"] {
  const to = (event: string) => ({ url: `${ledgerUrl}/hooks/deskpro/${tenantId}/${event}`, secret });
  return { "ticket-created": to("ticket-created"), "ticket-updated": to("ticket-updated"), "sla-failed": to("sla-failed") };
}

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const say = options.say ?? (() => undefined);
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const store = openHostStore(join(dataDir, "devhost.json"), new Date(), { fresh: options.fresh ?? false });
  // The ledger seals integration secrets with this key; a real deployment sets its own.
  process.env[SECRETS_KEY_ENV] ??= store.state.secretsKey;

  // While the demo history is written the ledger's clock runs in the past.
  let pinnedTime: Date | null = null;
  const clock = () => pinnedTime ?? new Date();
  const stripe = await startStripeStandIn({ stateFile: join(dataDir, "stripe.json"), port: options.stripePort ?? 0 });
  say("Starting the ledger on embedded PGlite…");
  const ledger = await startLedgerServer({
    // Card buying goes to the local Stripe simulation (plain http on loopback, allowed below).
    stripeApiUrl: stripe.url,
    dataDir: join(dataDir, "ledger"),
    port: options.ledgerPort ?? 8787,
    clock,
    log: fileLogger(join(dataDir, "ledger.log"), say),
    // The REST stand-in is this host, on loopback over plain http (sign-up's check, write-backs).
    allowPrivateNetwork: true,
  });
  // Customer messages and links carry the ledger's public address: the demo's is this machine's.
  process.env.LEDGER_PUBLIC_URL ??= ledger.url;
  let server: ServerType | null = null;
  try {
    let seeded = false;
    if (!store.state.tenant && !options.fresh) {
      say("First start: creating the demo tenant and a few weeks of history…");
      const tenant = await createTenant(ledger.db, { name: "Demo Support Co" });
      await seedDemo({ url: ledger.url, apiKey: tenant.apiKey, setTime: (at) => (pinnedTime = at) });
      store.state.tenant = { id: tenant.tenantId, apiKey: tenant.apiKey };
      store.state.settings.ledger_api_key = tenant.apiKey;
      // As the settings page's Save leaves it: the sidebars read "set up" from this public setting.
      store.state.settings.credits_configuration = JSON.stringify({ configVersion: null });
      seeded = true;
    }
    // The app is built for the ledger that is running now, so its address is the installed one.
    store.state.settings.ledger_url = ledger.url;
    store.changed();

    say("Building the app and the host page…");
    const appDir = join(dataDir, "build/app");
    const pageDir = join(dataDir, "build/page");
    const manifest = await buildApp(appDir, ledger.url);
    await buildHostPage(pageDir);

    const tenant = store.state.tenant;
    const app = hostServer({ store, manifest, appDir, pageDir, ledger: { url: ledger.url }, proxyOrder: options.proxyOrder });
    const port = await new Promise<number>((resolvePort, reject) => {
      server = serve({ fetch: app.fetch, port: options.hostPort ?? 8788, hostname: "127.0.0.1" }, (info) => resolvePort(info.port));
      server.once("error", reject);
    });
    const hostUrl = `http://127.0.0.1:${port}`;
    if (tenant) {
      await connectPortal(ledger.url, tenant.apiKey, hostUrl, store);
      await connectStripe(ledger.url, tenant.apiKey, tenant.id, stripe);
      store.state.triggers = demoTriggers(ledger.url, tenant.id, store.state.webhookSecret);
      store.changed();
    }
    return {
      hostUrl,
      ledgerUrl: ledger.url,
      tenantId: tenant?.id ?? null,
      apiKey: tenant?.apiKey ?? null,
      ledger,
      stripe,
      seeded,
      close: async () => {
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        store.flush();
        await ledger.close();
        await stripe.close();
      },
    };
  } catch (error) {
    (server as ServerType | null)?.close();
    store.flush();
    await ledger.close();
    await stripe.close();
    throw error;
  }
}
