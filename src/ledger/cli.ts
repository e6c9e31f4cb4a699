/**
 * The ledger's command line: `npm run ledger -- <command>`.
 *
 *   serve                                   run the HTTP service (PORT, HOST, DATABASE_URL, LEDGER_DATA_DIR)
 *   migrate                                 apply migrations and exit
 *   cron [allocate|outbox]                  run the scheduled work once and exit (for hosts without
 *                                           a long-running ledger: a CronJob, a systemd timer)
 *   tenant create --name <name> [--json]    create a tenant; prints its API key once
 *   tenant list [--json]                    list tenants
 *   tenant rotate-key --tenant <id|name> [--json]
 *                                           revoke the tenant's keys and print a new one once
 *   tenant suspend <id|name> [--json]       refuse the tenant's keys and web hooks (403) and pause its
 *                                           background work; nothing is deleted
 *   tenant resume <id|name> [--json]        undo a suspension
 *   deskpro connect --tenant <id|name> --url <helpdesk> [--generate-webhook-secret]
 *                                           store the tenant's Deskpro address, API key (DESKPRO_API_KEY)
 *                                           and webhook secret (DESKPRO_WEBHOOK_SECRET), sealed at rest
 *   openapi                                 print the OpenAPI document (servers: LEDGER_PUBLIC_URL)
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { DeskproConnectionRequest } from "../contract/portal.js";
import { composeLedger } from "./compose.js";
import { outboundPolicyFromEnv } from "./core/outbound.js";
import { ALL_CRON_TASKS, CronTask, runCron } from "./cron.js";
import { stripeApiAddress } from "./integrations/stripe/client.js";
import { putConnection } from "./integrations/deskpro/connection.js";
import { ledgerOpenApiDocument } from "./http/document.js";
import { ledgerEnv, startLedgerServer } from "./node.js";
import { openDatabase, type Database } from "./storage/db.js";
import * as tenantRows from "./storage/tenants.js";
import { migrate } from "./storage/migrations.js";
import { createTenant, listTenants, resumeTenant, rotateTenantKey, suspendTenant } from "./core/tenants.js";

const USAGE = `usage: npm run ledger -- <command>
  serve                                    run the ledger (env: PORT=8787, HOST=127.0.0.1, DATABASE_URL, LEDGER_DATA_DIR=.data/ledger)
  migrate                                  apply database migrations and exit
  cron [allocate|outbox]                   run the scheduled work once and exit: every tenant's allocations and
                                           expiry notices (allocate, hourly), outbox delivery (outbox, every minute);
                                           both when neither is named. Prints a JSON report
  tenant create --name <name> [--json]     create a tenant and print its API key (shown once)
  tenant list [--json]                     list tenants
  tenant rotate-key --tenant <id|name> [--json]
                                           revoke the tenant's keys and print a new one (shown once)
  tenant suspend <id|name> [--json]        refuse the tenant's API keys and web hooks (403 tenant_suspended) and
                                           pause its outbox and sweep; nothing is deleted. Running ledgers
                                           notice within 10 s
  tenant resume <id|name> [--json]         lift a suspension: keys, web hooks and background work as before
  deskpro connect --tenant <id|name> --url <https://helpdesk> [--generate-webhook-secret] [--json]
                                           store the tenant's Deskpro address, the API key from DESKPRO_API_KEY
                                           and the webhook secret from DESKPRO_WEBHOOK_SECRET (or a generated one,
                                           printed once); secrets are sealed with LEDGER_SECRETS_KEY
  openapi                                  print the OpenAPI document, as GET /v1/openapi.json serves it (its server is
                                           LEDGER_PUBLIC_URL when set; no sign-up with LEDGER_SIGNUP=off); opens no database`;

/** The database the environment names, for one command (a short-lived process needs only a connection or two). */
function openFromEnv(): Promise<Database> {
  const env = ledgerEnv();
  return openDatabase({ databaseUrl: env.databaseUrl, dataDir: env.databaseUrl ? undefined : env.dataDir, poolSize: 2, pooler: env.pooler });
}

async function withDatabase<T>(work: (db: Database) => Promise<T>): Promise<T> {
  const db = await openFromEnv();
  try {
    await migrate(db);
    return await work(db);
  } finally {
    await db.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      tenant: { type: "string" },
      url: { type: "string" },
      "generate-webhook-secret": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, sub] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  if (command === "serve") {
    const env = ledgerEnv();
    const server = await startLedgerServer(env);
    console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "ledger listening", url: server.url, database: server.db.kind }));
    const stop = async (signal: string) => {
      console.log(JSON.stringify({ time: new Date().toISOString(), level: "info", msg: "shutting down", signal }));
      await server.close();
      process.exit(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
    return -1; // keep running
  }
  if (command === "openapi") {
    const env = ledgerEnv();
    console.log(JSON.stringify(await ledgerOpenApiDocument(env.publicUrl, env.signup), null, 2));
    return 0;
  }
  if (command === "migrate") {
    const db = await openFromEnv();
    try {
      const applied = await migrate(db);
      console.log(applied.length ? `applied migrations ${applied.join(", ")}` : "database is up to date");
    } finally {
      await db.close();
    }
    return 0;
  }
  if (command === "cron") {
    let tasks = ALL_CRON_TASKS;
    if (sub !== undefined) {
      const task = CronTask.safeParse(sub);
      if (!task.success) throw new UsageError(`cron runs "allocate" or "outbox" (both when neither is named), not "${sub}"`);
      tasks = [task.data];
    }
    const outbound = outboundPolicyFromEnv();
    // Auto-recharge's charges leave through the outbox: they go where the server's own calls to Stripe go.
    const stripeApiUrl = process.env.LEDGER_STRIPE_API_URL?.trim();
    const stripeApi = stripeApiUrl ? stripeApiAddress(stripeApiUrl, outbound) : undefined;
    const report = await withDatabase((db) =>
      runCron(composeLedger({ db, outbound, ...(stripeApi ? { stripeApi } : {}) }), tasks, {
        onError: (error, tenantId) =>
          console.error(
            JSON.stringify({ time: new Date().toISOString(), level: "warn", msg: "scheduled allocation failed", tenantId, error: (error as Error)?.name }),
          ),
      }),
    );
    console.log(JSON.stringify(report));
    // A scheduler sees a failed run and can alert on it; the tenants that worked are done.
    return report.allocate?.failedTenants.length ? 1 : 0;
  }
  if (command === "tenant" && sub === "create") {
    if (!values.name) throw new UsageError("tenant create needs --name <name>");
    const created = await withDatabase((db) => createTenant(db, { name: values.name! }));
    if (values.json) console.log(JSON.stringify(created));
    else console.log(`tenant ${created.tenantId} created\nAPI key (shown once, store it now): ${created.apiKey}`);
    return 0;
  }
  if (command === "tenant" && sub === "list") {
    const tenants = await withDatabase((db) => listTenants(db));
    if (values.json)
      console.log(
        JSON.stringify(
          tenants.map((t) => ({
            tenantId: t.id,
            name: t.name,
            createdAt: t.createdAt.toISOString(),
            activeKeys: t.activeKeys,
            suspendedAt: t.suspendedAt?.toISOString() ?? null,
          })),
        ),
      );
    else
      for (const t of tenants)
        console.log(
          `${t.id}\t${t.name}\t${t.createdAt.toISOString()}\t${t.activeKeys} active key(s)${t.suspendedAt ? `\tsuspended since ${t.suspendedAt.toISOString()}` : ""}`,
        );
    return 0;
  }
  if (command === "tenant" && (sub === "suspend" || sub === "resume")) {
    const who = positionals[2] ?? values.tenant;
    if (!who || positionals.length > 3) throw new UsageError(`tenant ${sub} needs the tenant's id or name: tenant ${sub} <id|name>`);
    const done = await withDatabase((db) => (sub === "suspend" ? suspendTenant(db, who) : resumeTenant(db, who)));
    const state = sub === "suspend" ? "suspended" : "active";
    if (values.json) console.log(JSON.stringify({ tenantId: done.tenantId, name: done.name, state, changed: done.changed }));
    else
      console.log(
        done.changed
          ? `tenant ${done.tenantId} (${done.name}) ${sub === "suspend" ? "suspended: its keys and web hooks are refused and its background work pauses (running ledgers notice within 10 s)" : "resumed"}`
          : `tenant ${done.tenantId} (${done.name}) was already ${state}`,
      );
    return 0;
  }
  if (command === "tenant" && sub === "rotate-key") {
    if (!values.tenant) throw new UsageError("tenant rotate-key needs --tenant <id or name>");
    const rotated = await withDatabase((db) => rotateTenantKey(db, values.tenant!));
    if (values.json) console.log(JSON.stringify({ tenantId: rotated.tenantId, apiKey: rotated.apiKey, revokedKeys: rotated.revoked }));
    else console.log(`revoked ${rotated.revoked} key(s) of ${rotated.tenantId}\nnew API key (shown once, store it now): ${rotated.apiKey}`);
    return 0;
  }
  if (command === "deskpro" && sub === "connect") {
    // Secrets come from the environment, not flags, so they stay out of shell history and `ps`.
    if (!values.tenant || !values.url) throw new UsageError("deskpro connect needs --tenant <id or name> and --url <helpdesk address>");
    const generated = values["generate-webhook-secret"] ? randomBytes(32).toString("base64url") : undefined;
    const parsed = DeskproConnectionRequest.safeParse({
      url: values.url,
      apiKey: process.env.DESKPRO_API_KEY || undefined,
      webhookSecret: generated ?? (process.env.DESKPRO_WEBHOOK_SECRET || undefined),
    });
    if (!parsed.success)
      throw new UsageError(
        parsed.error.issues
          .map(
            (i) =>
              `${i.path.join(".") === "apiKey" ? "DESKPRO_API_KEY" : i.path.join(".") === "webhookSecret" ? "DESKPRO_WEBHOOK_SECRET" : `--${i.path.join(".")}`}: ${i.message}`,
          )
          .join("; "),
      );
    const saved = await withDatabase(async (db) => {
      const tenant = await tenantRows.findTenant(db, values.tenant!);
      if (!tenant) throw new UsageError(`no tenant "${values.tenant}"`);
      return { tenantId: tenant.id, connection: await putConnection(db, tenant.id, parsed.data, new Date(), outboundPolicyFromEnv()) };
    });
    if (values.json) console.log(JSON.stringify({ ...saved, ...(generated ? { webhookSecret: generated } : {}) }));
    else {
      const c = saved.connection;
      console.log(
        `Deskpro connection of ${saved.tenantId}: ${c.url}; API key ${c.apiKeySet ? `set (id ${c.apiKeyId})` : "not set"}; webhook secret ${c.webhookSecretSet ? "set" : "not set"}`,
      );
      if (generated) console.log(`webhook secret (shown once, put it in the trigger's X-Credits-Webhook-Secret header): ${generated}`);
    }
    return 0;
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    // Exit once what was printed has reached a pipe (writes to pipes are asynchronous: a large
    // document such as `openapi`'s would otherwise be cut off).
    if (code >= 0) process.stdout.write("", () => process.exit(code));
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`error: ${message}`);
    if (error instanceof UsageError) console.error(USAGE);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
