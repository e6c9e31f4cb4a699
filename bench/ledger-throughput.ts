/**
 * Debits per second and latency over HTTP at 1 and 16 concurrent clients, on PGlite and on
 * PostgreSQL, with pgbench's TPC-B-like TPS on the same PostgreSQL server in the same run.
 * Load comes from wrk (a separate, native process) and its ceiling on this machine is measured too.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLedgerApp } from "../src/ledger/http/app.js";
import { openDatabase, type DatabaseOptions } from "../src/ledger/storage/db.js";
import { migrate } from "../src/ledger/storage/migrations.js";
import { createTenant } from "../src/ledger/core/tenants.js";
import { benchPostgres, freePort, freshDatabase, pgEnv, runWrk, startLedgerProcess, type WrkResult } from "./lib.js";

export interface ThroughputRun extends WrkResult {
  backend: "pglite" | "postgres";
  clients: number;
}

export interface Integrity {
  backend: "pglite" | "postgres";
  acknowledged: number;
  written: number;
  lost: number;
  duplicated: number;
  walletsOutOfBalance: number;
}

export interface ThroughputReport {
  seconds: number;
  wallets: number;
  postgres: string;
  ceiling: WrkResult;
  runs: ThroughputRun[];
  integrity: Integrity[];
  pgbench: { clients: number; tps: number; latencyAvgMs: number; scale: number }[];
}

const SCRIPT = "bench/debits.lua";

async function seed(options: DatabaseOptions, wallets: number): Promise<string> {
  const db = await openDatabase(options);
  try {
    await migrate(db);
    const { apiKey } = await createTenant(db, { name: `bench-${Date.now()}` });
    const app = createLedgerApp({ db, log: () => undefined });
    for (let i = 1; i <= wallets; i++) {
      const response = await app.fetch(
        new Request(`http://bench/v1/wallets/org:${i}/grants`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": `seed-${i}` },
          body: JSON.stringify({ amount: 1_000_000_000, reason: "benchmark bank" }),
        }),
      );
      if (response.status !== 201) throw new Error(`seeding failed: ${response.status}`);
    }
    return apiKey;
  } finally {
    await db.close();
  }
}

/** After the load: every acknowledged debit is in the journal once, and every cached balance is its entries' sum. */
async function verify(options: DatabaseOptions, backend: "pglite" | "postgres", acknowledged: number, wallets: number): Promise<Integrity> {
  const db = await openDatabase(options);
  try {
    const [row] = await db.query<{ debits: number; keys: number; off: number }>(
      `SELECT (SELECT count(*) FROM entries WHERE kind = 'manual')::int AS debits,
              (SELECT count(*) FROM idempotency_keys)::int - $1::int AS keys,
              (SELECT count(*) FROM wallets w WHERE w.balance <> (SELECT coalesce(sum(amount), 0) FROM entries e
                 WHERE e.tenant_id = w.tenant_id AND e.owner = w.owner))::int AS off`,
      [wallets],
    );
    return {
      backend,
      acknowledged,
      written: row!.debits,
      // Written but unacknowledged debits are the few in flight when wrk stopped; acknowledged but unwritten would be lost.
      lost: Math.max(0, acknowledged - row!.debits),
      duplicated: row!.debits - row!.keys,
      walletsOutOfBalance: row!.off,
    };
  } finally {
    await db.close();
  }
}

async function measureBackend(
  backend: "pglite" | "postgres",
  options: DatabaseOptions,
  env: Record<string, string>,
  seconds: number,
  wallets: number,
): Promise<{ runs: ThroughputRun[]; integrity: Integrity }> {
  const apiKey = await seed(options, wallets);
  const server = await startLedgerProcess(env);
  const runs: ThroughputRun[] = [];
  let acknowledged = 0;
  try {
    for (const clients of [1, 16]) {
      const warm = runWrk(server.url, { connections: clients, seconds: 2, script: SCRIPT, args: [String(wallets), apiKey, `warm-${backend}-${clients}`] });
      acknowledged += warm.created ?? 0;
      const result = runWrk(server.url, { connections: clients, seconds, script: SCRIPT, args: [String(wallets), apiKey, `run-${backend}-${clients}`] });
      acknowledged += result.created ?? 0;
      runs.push({ backend, clients, ...result });
      console.log(
        `  ${backend.padEnd(8)} ${String(clients).padStart(2)} clients: ${result.rps.toFixed(0)} debits/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, non-2xx ${(result.refused ?? 0) + (result.failed ?? 0)}`,
      );
    }
  } finally {
    await server.stop();
  }
  return { runs, integrity: await verify(options, backend, acknowledged, wallets) };
}

function pgbench(url: string, clients: number, seconds: number, scale: number) {
  const result = spawnSync("pgbench", ["-c", String(clients), "-j", String(Math.min(2, clients)), "-T", String(seconds), "-n"], {
    env: { ...process.env, ...pgEnv(url) },
    encoding: "utf8",
  });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(result.stdout)?.[1];
  if (!tps) throw new Error(`pgbench failed: ${result.stdout}\n${result.stderr}`);
  return { clients, tps: Number(tps), latencyAvgMs: Number(latency), scale };
}

/** wrk against a server that answers at once: what the load generator itself can drive here. */
async function ceiling(seconds: number): Promise<WrkResult> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["-e", `require("http").createServer((q,s)=>{s.statusCode=204;s.end()}).listen(${port},"127.0.0.1",()=>console.log("up"))`],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  await new Promise<void>((resolve) => child.stdout!.once("data", () => resolve()));
  try {
    return runWrk(`http://127.0.0.1:${port}`, { connections: 16, seconds, script: "bench/ceiling.lua" });
  } finally {
    child.kill("SIGTERM");
  }
}

export async function benchLedgerThroughput(options: { seconds: number; wallets: number }): Promise<ThroughputReport> {
  const { seconds, wallets } = options;
  console.log("ledger throughput (wrk → ledger over HTTP)");
  const ceilingResult = await ceiling(Math.min(seconds, 5));
  console.log(`  wrk ceiling against an empty Node server: ${ceilingResult.rps.toFixed(0)} requests/s`);
  const pgServer = await benchPostgres();
  try {
    const ledgerUrl = await freshDatabase(pgServer.adminUrl, "bench_ledger");
    const postgres = await measureBackend(
      "postgres",
      { databaseUrl: ledgerUrl, poolSize: 4 },
      { DATABASE_URL: ledgerUrl, LEDGER_POOL_SIZE: "16" },
      seconds,
      wallets,
    );

    const pgbenchUrl = await freshDatabase(pgServer.adminUrl, "bench_pgbench");
    const scale = 16;
    const init = spawnSync("pgbench", ["-i", "-q", "-s", String(scale)], { env: { ...process.env, ...pgEnv(pgbenchUrl) }, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    const pgbenchRuns = [1, 16].map((clients) => pgbench(pgbenchUrl, clients, seconds, scale));
    for (const r of pgbenchRuns)
      console.log(`  pgbench  ${String(r.clients).padStart(2)} clients: ${r.tps.toFixed(0)} TPS, avg ${r.latencyAvgMs.toFixed(2)} ms`);

    const dataDir = mkdtempSync(join(tmpdir(), "bench-pglite-"));
    try {
      const pglite = await measureBackend("pglite", { dataDir }, { LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" }, seconds, wallets);
      return {
        seconds,
        wallets,
        postgres: pgServer.source,
        ceiling: ceilingResult,
        runs: [...postgres.runs, ...pglite.runs],
        integrity: [postgres.integrity, pglite.integrity],
        pgbench: pgbenchRuns,
      };
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  } finally {
    await pgServer.server?.stop();
  }
}
