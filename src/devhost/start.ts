/**
 * `npm start`: the ledger on embedded PGlite, the app, and the development host showing the
 * sidebars, with a demo tenant on first start.
 *
 *   DEVHOST_DATA_DIR  where everything is kept (default .data)
 *   DEVHOST_PORT      the host page (default 8788)
 *   LEDGER_PORT       the ledger (default 8787, which the dev manifest whitelists)
 *   DEVHOST_STRIPE_PORT  the local Stripe simulation (default 8789)
 *   DEVHOST_FRESH=1   start as a freshly installed, unconfigured app (with an empty DEVHOST_DATA_DIR): no
 *                     demo tenant; connect and set up from the settings page
 *   DEVHOST_PROXY_ORDER  substitute-then-match (default) or match-then-substitute: when the app
 *                        proxy fills in placeholders, before or after checking the whitelist
 */
import { join } from "node:path";
import { startDevHost } from "./devhost.js";
import { PlaceholderOrder } from "./proxy.js";

const dataDir = process.env.DEVHOST_DATA_DIR || ".data";
const port = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`${name} must be a port number (got "${raw}")`);
  return value;
};

try {
  const host = await startDevHost({
    dataDir,
    hostPort: port("DEVHOST_PORT", 8788),
    ledgerPort: port("LEDGER_PORT", 8787),
    stripePort: port("DEVHOST_STRIPE_PORT", 8789),
    proxyOrder: PlaceholderOrder.parse(process.env.DEVHOST_PROXY_ORDER || "substitute-then-match"),
    fresh: process.env.DEVHOST_FRESH === "1" || process.env.DEVHOST_FRESH === "true",
    say: (line) => console.log(line),
  });
  console.log(`
  Support Credits is running.

    Helpdesk (development host)  ${host.hostUrl}
    Ledger API                   ${host.ledgerUrl}   (OpenAPI: ${host.ledgerUrl}/v1/openapi.json)
    Stripe (local simulation)    ${host.stripe.url}   (card buying: no card is charged; its Dashboard page has the keys)
    Demo tenant                  ${host.tenantId ?? "none yet: open Admin: app settings and press Connect this helpdesk"}
    Demo API key                 kept in ${join(dataDir, "devhost.json")} (local demo only)
    Ledger log                   ${join(dataDir, "ledger.log")}

  Open the helpdesk URL and pick a ticket, a person, an organisation or the admin settings page.
  A customer's balance link (in a ticket's reply, or from the sidebar) lists the packs: Buy goes through
  the simulated Stripe Checkout, and the credits arrive once its signed webhook reaches the ledger.
  In a fresh install, connect card payments as with real Stripe: the simulation's page gives the secret
  key and, once the settings page's webhook address is added there, the signing secret to paste in.
  Ctrl+C stops everything; state is kept in ${dataDir}/ (delete it to start afresh).
`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    console.log("Stopping…");
    host.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`npm start failed: ${message}`);
  if ((error as NodeJS.ErrnoException)?.code === "EADDRINUSE") console.error("A port is taken: set DEVHOST_PORT or LEDGER_PORT, or stop the other process.");
  process.exit(1);
}
