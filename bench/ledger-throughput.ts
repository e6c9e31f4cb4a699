/**
 * Debits per second and latency over HTTP at 1 and 16 concurrent clients, with pgbench's
 * TPC-B-like TPS on the same PostgreSQL server in the same run. The ledger runs as its own process
 * (as in production), in these set-ups:
 *
 * - postgres:          PostgreSQL directly (named prepared statements);
 * - postgres-unnamed:  directly, with LEDGER_POOLER=transaction (no named statements): what the
 *                      pooler-safe mode costs by itself;
 * - pgbouncer:         through PgBouncer in transaction mode (LEDGER_POOLER=transaction), with
 *                      enough server connections for every client;
 * - pgbouncer-4:       the same with only 4 server connections for the 16 clients;
 * - two-processes:     two ledger processes on one PostgreSQL, each driven by its own wrk;
 * - pglite:            the embedded database (one connection).
 *
 * Load comes from wrk (a separate, native process) and its ceiling on this machine is measured too.
 * CPU time per debit of the ledger, PostgreSQL and PgBouncer is read from /proc where it can be.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLedgerApp } from "../src/ledger/http/app.js";
import { openDatabase, type DatabaseOptions } from "../src/ledger/storage/db.js";
import { migrate } from "../src/ledger/storage/migrations.js";
import { createTenant } from "../src/ledger/tenants.js";
import { hasPgBouncer, startPgBouncer, withDatabase, type PgBouncer } from "../tests/setup/pgbouncer.js";
import { benchPostgres, cpuDuring, freePort, freshDatabase, pgEnv, postgresPids, runWrk, runWrkAsync, startLedgerProcess, type WrkResult } from "./lib.js";

export type Setup = "postgres" | "postgres-unnamed" | "pgbouncer" | "pgbouncer-4" | "two-processes" | "pglite";

export interface ThroughputRun extends WrkResult {
  backend: Setup;
  clients: number;
  /** CPU milliseconds per acknowledged debit, by process group; null where it couldn't be read. */
  cpuMsPerDebit?: Record<string, number | null>;
  /** Each process's own numbers when the load was split (rps and counts are summed above; p50/p99 are the worse of the two). */
  perProcess?: WrkResult[];
}

export interface Integrity {
  backend: Setup;
  acknowledged: number;
  written: number;
  lost: number;
  duplicated: number;
  walletsOutOfBalance: number;
}

export interface PgbenchRun {
  via: "direct" | "pgbouncer";
  clients: number;
  tps: number;
  latencyAvgMs: number;
  scale: number;
}

export interface ThroughputReport {
  seconds: number;
  wallets: number;
  postgres: string;
  pgbouncer: string | null;
  ceiling: WrkResult;
  runs: ThroughputRun[];
  integrity: Integrity[];
  pgbench: PgbenchRun[];
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
async function verify(options: DatabaseOptions, backend: Setup, acknowledged: number, wallets: number): Promise<Integrity> {
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

/** Several wrk results as one: counts and rates summed, latency percentiles the worse of them. */
function combine(results: WrkResult[]): WrkResult {
  if (results.length === 1) return results[0]!;
  const sum = (pick: (r: WrkResult) => number | undefined) => results.reduce((total, r) => total + (pick(r) ?? 0), 0);
  const worst = (pick: (r: WrkResult) => number | undefined) => Math.max(...results.map((r) => pick(r) ?? 0));
  return {
    requests: sum((r) => r.requests),
    rps: sum((r) => r.rps),
    p50: worst((r) => r.p50),
    p90: worst((r) => r.p90),
    p99: worst((r) => r.p99),
    max: worst((r) => r.max),
    created: sum((r) => r.created),
    refused: sum((r) => r.refused),
    failed: sum((r) => r.failed),
    socketErrors: sum((r) => r.socketErrors),
  };
}

interface SetupPlan {
  backend: Setup;
  /** How the seeding and the integrity check reach the database (directly). */
  database: DatabaseOptions;
  /** One environment per ledger process; the load is split evenly between them. */
  processes: Record<string, string>[];
  clients: number[];
  /** Process ids whose CPU time is measured besides the ledger's, by name. */
  cpu: () => Promise<Record<string, number[]>>;
}

async function measure(plan: SetupPlan, seconds: number, wallets: number): Promise<{ runs: ThroughputRun[]; integrity: Integrity }> {
  const apiKey = await seed(plan.database, wallets);
  const servers = await Promise.all(plan.processes.map((env) => startLedgerProcess({ ...env, LEDGER_SCHEDULER: "off" })));
  const runs: ThroughputRun[] = [];
  let acknowledged = 0;
  try {
    for (const clients of plan.clients) {
      const load = (phase: string, duration: number) =>
        Promise.all(
          servers.map((server, i) =>
            runWrkAsync(server.url, { connections: clients / servers.length, seconds: duration, script: SCRIPT, args: [String(wallets), apiKey, `${phase}-${plan.backend}-${clients}-p${i}`] }),
          ),
        );
      acknowledged += combine(await load("warm", 2)).created ?? 0;
      const groups = { ledger: servers.map((s) => s.child.pid!), ...(await plan.cpu()) };
      const { result: perProcess, cpuMs } = await cpuDuring(groups, () => load("run", seconds));
      const result = combine(perProcess);
      acknowledged += result.created ?? 0;
      const debits = result.created ?? 0;
      const cpuMsPerDebit = Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, ms === null || debits === 0 ? null : Number((ms / debits).toFixed(3))]));
      runs.push({ backend: plan.backend, clients, ...result, cpuMsPerDebit, ...(perProcess.length > 1 ? { perProcess } : {}) });
      const cpuText = Object.entries(cpuMsPerDebit)
        .filter(([, ms]) => ms !== null)
        .map(([name, ms]) => `${name} ${ms!.toFixed(2)}`)
        .join(", ");
      console.log(
        `  ${plan.backend.padEnd(16)} ${String(clients).padStart(2)} clients: ${result.rps.toFixed(0)} debits/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, non-2xx ${(result.refused ?? 0) + (result.failed ?? 0)}${cpuText ? `; CPU ms per debit: ${cpuText}` : ""}`,
      );
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
  return { runs, integrity: await verify(plan.database, plan.backend, acknowledged, wallets) };
}

function pgbench(url: string, via: PgbenchRun["via"], clients: number, seconds: number, scale: number): PgbenchRun {
  const result = spawnSync("pgbench", ["-c", String(clients), "-j", String(Math.min(2, clients)), "-T", String(seconds), "-n"], {
    env: { ...process.env, ...pgEnv(url) },
    encoding: "utf8",
  });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
  const latency = /latency average = ([\d.]+) ms/.exec(result.stdout)?.[1];
  if (!tps) throw new Error(`pgbench failed: ${result.stdout}\n${result.stderr}`);
  return { via, clients, tps: Number(tps), latencyAvgMs: Number(latency), scale };
}

/** wrk against a server that answers at once: what the load generator itself can drive here. */
async function ceiling(seconds: number): Promise<WrkResult> {
  const port = await freePort();
  const child = spawn(process.execPath, ["-e", `require("http").createServer((q,s)=>{s.statusCode=204;s.end()}).listen(${port},"127.0.0.1",()=>console.log("up"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
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
  const bouncers: PgBouncer[] = [];
  try {
    const noCpu = async () => ({});
    const postgresCpu = async () => ({ postgres: await postgresPids(pgServer.adminUrl) });
    const runs: ThroughputRun[] = [];
    const integrity: Integrity[] = [];
    const run = async (plan: SetupPlan) => {
      const measured = await measure(plan, seconds, wallets);
      runs.push(...measured.runs);
      integrity.push(measured.integrity);
    };

    const direct = await freshDatabase(pgServer.adminUrl, "bench_ledger");
    await run({ backend: "postgres", database: { databaseUrl: direct, poolSize: 4 }, processes: [{ DATABASE_URL: direct, LEDGER_POOL_SIZE: "16" }], clients: [1, 16], cpu: postgresCpu });

    const unnamed = await freshDatabase(pgServer.adminUrl, "bench_ledger_unnamed");
    await run({
      backend: "postgres-unnamed",
      database: { databaseUrl: unnamed, poolSize: 4 },
      processes: [{ DATABASE_URL: unnamed, LEDGER_POOL_SIZE: "16", LEDGER_POOLER: "transaction" }],
      clients: [16],
      cpu: postgresCpu,
    });

    let pgbouncerSource: string | null = null;
    if (hasPgBouncer()) {
      pgbouncerSource = "Debian's pgbouncer, transaction mode, on loopback";
      for (const [backend, serverConnections] of [
        ["pgbouncer", 20],
        ["pgbouncer-4", 4],
      ] as const) {
        const database = await freshDatabase(pgServer.adminUrl, `bench_ledger_${backend.replace("-", "_")}`);
        const bouncer = await startPgBouncer(database, { serverConnections });
        bouncers.push(bouncer);
        await run({
          backend,
          database: { databaseUrl: database, poolSize: 4 },
          processes: [{ DATABASE_URL: bouncer.url, LEDGER_POOL_SIZE: "16", LEDGER_POOLER: "transaction" }],
          clients: backend === "pgbouncer" ? [1, 16] : [16],
          cpu: async () => ({ postgres: await postgresPids(pgServer.adminUrl), pgbouncer: [bouncer.pid] }),
        });
      }
    } else {
      console.log("  (PgBouncer is not installed: the runs through it are left out; Debian: apt-get install -y pgbouncer)");
    }

    const shared = await freshDatabase(pgServer.adminUrl, "bench_ledger_two");
    await run({
      backend: "two-processes",
      database: { databaseUrl: shared, poolSize: 4 },
      processes: [
        { DATABASE_URL: shared, LEDGER_POOL_SIZE: "16" },
        { DATABASE_URL: shared, LEDGER_POOL_SIZE: "16" },
      ],
      clients: [16],
      cpu: postgresCpu,
    });

    const pgbenchUrl = await freshDatabase(pgServer.adminUrl, "bench_pgbench");
    const scale = 16;
    const init = spawnSync("pgbench", ["-i", "-q", "-s", String(scale)], { env: { ...process.env, ...pgEnv(pgbenchUrl) }, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);
    const pgbenchRuns = [1, 16].map((clients) => pgbench(pgbenchUrl, "direct", clients, seconds, scale));
    if (bouncers[0]) pgbenchRuns.push(pgbench(withDatabase(bouncers[0].url, "bench_pgbench"), "pgbouncer", 16, seconds, scale));
    for (const r of pgbenchRuns) console.log(`  pgbench ${r.via === "pgbouncer" ? "via PgBouncer" : "direct"} ${String(r.clients).padStart(2)} clients: ${r.tps.toFixed(0)} TPS, avg ${r.latencyAvgMs.toFixed(2)} ms`);

    const dataDir = mkdtempSync(join(tmpdir(), "bench-pglite-"));
    try {
      await run({ backend: "pglite", database: { dataDir }, processes: [{ LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" }], clients: [1, 16], cpu: noCpu });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
    return { seconds, wallets, postgres: pgServer.source, pgbouncer: pgbouncerSource, ceiling: ceilingResult, runs, integrity, pgbench: pgbenchRuns };
  } finally {
    for (const bouncer of bouncers) await bouncer.stop();
    await pgServer.server?.stop();
  }
}
