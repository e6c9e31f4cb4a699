/**
 * The ledger as the AWS Lambda function a user uploads: `npm run build:lambda`'s bundle (not the
 * source), loaded by plain Node as Lambda's runtime loads it, driven with API Gateway (HTTP API,
 * payload 2.0) events and EventBridge schedules, on a database of its own reached through
 * PgBouncer in transaction mode (directly when there is no PgBouncer here).
 */
import { spawnSync } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { unzipSync } from "fflate";
import type { APIGatewayProxyResult } from "hono/aws-lambda";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EntryPage, LedgerConfig, Wallet, WriteResult } from "../../src/contract/index.js";
import type { CronReport } from "../../src/ledger/cron.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { openDatabase, type Database } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import * as wallets from "../../src/ledger/storage/wallets.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { buildLambda, type LambdaBundle } from "../../scripts/build-lambda.js";
import { createScratchDatabase, DAY, postgresUrl, TestClock, type ScratchDatabase } from "../helpers/ledger.js";
import { startLambdaInstance, type LambdaInstance } from "../helpers/lambda-runtime.js";

function httpApiEvent(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown; sourceIp?: string } = {}) {
  const [rawPath, rawQueryString = ""] = path.split("?") as [string, string?];
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    headers: { host: "credits.example.com", "x-forwarded-proto": "https", ...options.headers },
    requestContext: {
      accountId: "123456789012",
      apiId: "api",
      domainName: "credits.example.com",
      domainPrefix: "credits",
      http: { method, path: rawPath, protocol: "HTTP/1.1", sourceIp: options.sourceIp ?? "198.51.100.7", userAgent: "test" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: "24/Nov/2026:00:00:00 +0000",
      timeEpoch: 0,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}

/** An EventBridge rule's own event on its schedule (no input of its own). */
const scheduledEvent = () => ({
  version: "0",
  id: randomUUID(),
  "detail-type": "Scheduled Event",
  source: "aws.events",
  account: "123456789012",
  time: new Date().toISOString(),
  region: "eu-west-1",
  resources: ["arn:aws:events:eu-west-1:123456789012:rule/support-credits-ledger"],
  detail: {},
});

const CONFIG = LedgerConfig.parse({ plans: [{ key: "monthly", name: "Monthly", creditsPerPeriod: 100 }] });

describe.skipIf(!postgresUrl())("the Lambda bundle", () => {
  let bundle: LambdaBundle;
  let outDir: string;
  let database: ScratchDatabase;
  let direct: Database;
  let lambda: LambdaInstance;
  let tenant: { tenantId: string; apiKey: string };
  let receiver: Server;
  let receiverUrl: string;
  const received: { body: string; headers: Record<string, string> }[] = [];
  const webhookSecret = `whsec_${randomBytes(24).toString("base64")}`;
  const metricsToken = randomBytes(24).toString("hex");

  const call = async (method: string, path: string, options: { body?: unknown; key?: string | null; idempotencyKey?: string; sourceIp?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (options.key !== null) headers.authorization = `Bearer ${options.key ?? tenant.apiKey}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    if (method === "POST" || method === "PUT") headers["idempotency-key"] = options.idempotencyKey ?? randomUUID();
    const result = await lambda.invoke<APIGatewayProxyResult>(httpApiEvent(method, path, { headers, body: options.body, sourceIp: options.sourceIp }));
    return { ...result, json: () => JSON.parse(result.body) as unknown };
  };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), "ledger-lambda-"));
    bundle = await buildLambda(outDir);
    database = await createScratchDatabase("lambda");
    direct = await openDatabase({ databaseUrl: database.url, poolSize: 2 });
    await migrate(direct);
    tenant = await createTenant(direct, { name: "lambda" });
    receiver = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => (body += chunk.toString()));
      request.on("end", () => {
        received.push({ body, headers: Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)])) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/credits`;
    lambda = await startLambdaInstance(bundle.file, {
      DATABASE_URL: database.pgbouncerUrl || database.url,
      ...(database.pgbouncerUrl ? { LEDGER_POOLER: "transaction" } : {}),
      LEDGER_SECRETS_KEY: randomBytes(32).toString("base64"),
      // The alert webhook's receiver is this test, on loopback over plain http.
      LEDGER_ALLOW_PRIVATE_NETWORK: "true",
      LEDGER_METRICS_TOKEN: metricsToken,
    });
  });
  afterAll(async () => {
    await lambda?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    await direct?.close();
    await database?.drop();
    rmSync(outDir, { recursive: true, force: true });
  });

  it("is an entry and its chunks without PGlite, zipped with their source maps for upload; Stripe's SDK is a chunk loaded on first use", () => {
    expect(bundle.packages).toEqual(expect.arrayContaining(["hono", "pg", "zod", "stripe"]));
    expect(bundle.packages).not.toContain("@electric-sql/pglite");
    // Only the parts of prom-client /metrics uses (not its default process metrics, which pull in OpenTelemetry's API, nor summaries).
    expect(bundle.packages).not.toEqual(expect.arrayContaining(["@opentelemetry/api"]));
    expect(bundle.packages).not.toContain("tdigest");
    // Not even imported on loading (the runtime here has no node_modules to find it in): only when used.
    for (const file of bundle.files) expect(readFileSync(join(dirname(bundle.file), file), "utf8")).not.toMatch(/from\s*"@electric-sql\/pglite"/);
    expect(bundle.files[0]).toBe("index.mjs");
    expect(Object.keys(unzipSync(readFileSync(bundle.zip))).sort()).toEqual(bundle.files.flatMap((file) => [file, `${file}.map`]).sort());
    // The cold start doesn't load Stripe's SDK: it is in a chunk the entry imports only dynamically.
    const stripeChunk = bundle.files.find((file) => readFileSync(join(dirname(bundle.file), file), "utf8").includes("api.stripe.com"));
    expect(stripeChunk).toMatch(/^chunks\//);
    expect(readFileSync(bundle.file, "utf8")).not.toContain("api.stripe.com");
    // And no locale but English of zod's error messages.
    expect(bundle.files.map((file) => readFileSync(join(dirname(bundle.file), file), "utf8")).join("")).not.toContain("Entrada inválida");
  });

  it("loads on import no route group, no feature, not the OpenAPI library and not every contract schema: each comes with the first event that needs it", () => {
    const waiting =
      /^src\/ledger\/features\/|^src\/ledger\/http\/(?:document\.ts|openapi\.ts|routes\/(?!signup-limits\.ts))|^src\/contract\/index\.ts|zod-to-openapi|@hono\/zod-openapi|zod\/v4\/core\/compile\.js/;
    expect(bundle.coldInputs.filter((input) => waiting.test(input))).toEqual([]);
    // They are in the bundle, in chunks loaded on first use (the events below use them).
    expect(bundle.coldInputs).toEqual(expect.arrayContaining(["src/ledger/http/app.ts", "src/ledger/http/route-groups.ts", "src/ledger/compose.ts"]));
    const chunks = bundle.files.filter((file) => file.startsWith("chunks/")).map((file) => readFileSync(join(dirname(bundle.file), file), "utf8"));
    expect(chunks.some((code) => code.includes("getWallet"))).toBe(true);
  });

  it("serves the whole OpenAPI document, built on its first request from every route group, byte for byte as the ledger prints it", async () => {
    const served = await call("GET", "/v1/openapi.json", { key: null });
    expect(served.statusCode).toBe(200);
    // Printed by the CLI in a process of its own: in this one the contract was loaded before the
    // OpenAPI library (the imports above), which orders the document's components otherwise.
    const printed = spawnSync(process.execPath, ["--import", "tsx", "src/ledger/cli.ts", "openapi"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "", TZ: "UTC" },
    });
    expect(printed.status).toBe(0);
    expect(served.body).toBe(JSON.stringify(JSON.parse(printed.stdout)));
  });

  it("loads neither Node's fetch implementation nor prom-client's default metrics on import: pg is handed its Node sockets", () => {
    const loaded = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", "await import(process.argv[1]); console.log(JSON.stringify(process.moduleLoadList))", pathToFileURL(bundle.file).href],
      { encoding: "utf8", cwd: outDir, env: { PATH: process.env.PATH ?? "", TZ: "UTC" } },
    );
    expect(loaded.status).toBe(0);
    const modules = JSON.parse(loaded.stdout) as string[];
    expect(modules).toContain("NativeModule net");
    expect(modules.filter((name) => /undici|perf_hooks|cluster/.test(name))).toEqual([]);
  });

  it("answers API Gateway events: a grant, a debit, its replay with the same key, the statement; no key, no access", async () => {
    expect(await call("GET", "/healthz", { key: null })).toMatchObject({ statusCode: 200, body: '{"ok":true}' });
    const granted = await call("POST", "/v1/wallets/org:77/grants", { body: { amount: 400, reason: "via Lambda" } });
    expect(granted.statusCode).toBe(201);
    expect(WriteResult.parse(granted.json()).balance).toBe(400);

    const debit = { body: { kind: "manual", amount: 150, reason: "onboarding call" }, idempotencyKey: "lambda-debit-1" };
    const charged = await call("POST", "/v1/wallets/org:77/debits", debit);
    expect(charged.statusCode).toBe(201);
    expect(WriteResult.parse(charged.json()).balance).toBe(250);
    const replayed = await call("POST", "/v1/wallets/org:77/debits", debit);
    expect(replayed.statusCode).toBe(201);
    expect(replayed.headers?.["idempotent-replayed"]).toBe("true");
    expect(replayed.body).toBe(charged.body);

    const statement = EntryPage.parse((await call("GET", "/v1/wallets/org:77/entries?limit=10")).json());
    expect(statement.entries.map((e) => [e.kind, e.amount, e.balanceAfter])).toEqual([
      ["manual", -150, 250],
      ["grant", 400, 400],
    ]);
    expect((await call("GET", "/v1/wallets/org:77", { key: null })).statusCode).toBe(401);
    expect((await call("GET", "/v1/wallets/org:77", { key: "sck_not-a-key" })).statusCode).toBe(401);
  });

  it("serves the operator's /metrics from the bundle's own prom-client: counters of this instance, gauges from the database", async () => {
    expect((await call("GET", "/healthz", { key: null })).statusCode).toBe(200);
    expect((await call("GET", "/metrics", { key: null })).statusCode).toBe(401);
    const scraped = await call("GET", "/metrics", { key: metricsToken });
    expect(scraped.statusCode).toBe(200);
    expect(scraped.headers?.["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.body).toMatch(/^ledger_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/m);
    expect(scraped.body).toMatch(/^# TYPE ledger_outbound_call_duration_seconds histogram$/m);
    expect(scraped.body).toContain("# TYPE ledger_outbox_pending gauge");
  });

  it("gives each client address API Gateway saw its own allowance on the endpoints without a key", async () => {
    const anonymous = async (sourceIp: string) => (await call("GET", "/no-such-page", { key: null, sourceIp })).statusCode;
    // Until the flooding address has spent its burst (and what it earned back meanwhile, on a slow machine).
    const flood: number[] = [];
    while (flood.length < 1_000 && flood.at(-1) !== 429) flood.push(await anonymous("203.0.113.9"));
    expect(flood.at(-1)).toBe(429);
    expect(flood.length).toBeGreaterThan(60);
    expect(new Set(flood.slice(0, -1))).toEqual(new Set([404]));
    // Right after, another address still has its whole allowance.
    expect(await anonymous("203.0.113.10")).toBe(404);
  });

  it("does the scheduled work on a schedule's event, with no process in between: allocations, expiry notices, alerts delivered; nothing twice", async () => {
    expect((await call("PUT", "/v1/config", { body: CONFIG })).statusCode).toBe(200);
    expect((await call("PUT", "/v1/alerts/settings", { body: { webhooks: [{ id: "ops", url: receiverUrl, secret: webhookSecret }] } })).statusCode).toBe(200);
    // A bank put on the monthly plan last month and not touched since (set up with last month's clock).
    const lastMonth = new TestClock(new Date(Date.now() - 35 * DAY));
    const past = createLedgerApp({ db: direct, clock: lastMonth.now, log: () => undefined });
    const assigned = await past.fetch(
      new Request("http://ledger.test/v1/wallets/org:10/plan", {
        method: "PUT",
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": randomUUID() },
        body: JSON.stringify({ plan: "monthly" }),
      }),
    );
    expect(assigned.status).toBe(200);
    // Read then, so last month's allocation is made then.
    expect((await past.fetch(new Request("http://ledger.test/v1/wallets/org:10", { headers: { authorization: `Bearer ${tenant.apiKey}` } }))).status).toBe(200);
    const allocatedBefore = (await wallets.findWallet(direct, tenant.tenantId, "org:10"))?.allocatedFrom;
    // A bank drawn below its low-balance level, and credits that expire in two days.
    await call("POST", "/v1/wallets/org:11/grants", { body: { amount: 500, reason: "pack" } });
    expect((await call("POST", "/v1/wallets/org:11/debits", { body: { kind: "manual", amount: 450, reason: "migration work" } })).statusCode).toBe(201);
    const expiresAt = new Date(Date.now() + 2 * DAY).toISOString();
    await call("POST", "/v1/wallets/org:12/grants", { body: { amount: 300, reason: "trial", expiresAt } });
    expect(received).toEqual([]); // nothing runs between events: the alerts wait in the outbox

    const report = await lambda.invoke<CronReport>(scheduledEvent());
    expect(report.allocate).toMatchObject({ tenants: 1, failedTenants: [], unfinishedTenants: 0 });
    expect(report.allocate!.allocated).toBeGreaterThanOrEqual(1);
    expect(report.allocate!.expiringNotices).toBeGreaterThanOrEqual(1);
    expect(report.outbox).toMatchObject({ failed: 0, remaining: 0 });

    const wallet = await wallets.findWallet(direct, tenant.tenantId, "org:10");
    expect(wallet?.allocatedFrom?.getTime()).toBeGreaterThan(allocatedBefore!.getTime());
    expect(Wallet.parse((await call("GET", "/v1/wallets/org:10")).json()).grants.filter((g) => g.source === "allocation" && g.remaining > 0)).toHaveLength(1);

    const signer = new Webhook(webhookSecret);
    const events = received.map((r) => signer.verify(r.body, r.headers) as { type: string; data: { owner: string; credits?: number } });
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "balance.low", data: expect.objectContaining({ owner: "org:11" }) }),
        expect.objectContaining({ type: "credits.expiring", data: expect.objectContaining({ owner: "org:12", credits: 300 }) }),
      ]),
    );
    const ids = received.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(ids.length);

    // The next run finds nothing left to do: allocation is once per period, each grant announced once.
    const again = await lambda.invoke<CronReport>({ ledgerCron: "all" });
    expect(again.allocate).toMatchObject({ allocated: 0, expiringNotices: 0 });
    expect(again.outbox).toMatchObject({ delivered: 0, remaining: 0 });
    expect(received.length).toBe(ids.length);
    // A schedule's input can name one task.
    expect(Object.keys(await lambda.invoke<CronReport>({ ledgerCron: "outbox" }))).toEqual(["outbox"]);
    expect(lambda.logs()).not.toMatch(/"level":"(error|warn)"/);
  });
});
