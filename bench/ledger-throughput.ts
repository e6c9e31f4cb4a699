/**
 * Debits per second and latency over HTTP at 1 and 16 concurrent clients, with pgbench's
 * TPC-B-like TPS on the same PostgreSQL server in the same run. The ledger runs as its own process
 * (as in production), in these set-ups:
 *
 * - postgres:          PostgreSQL directly (named prepared statements), with a pool of 2
 *                      connections: one per core of this machine, which the database shares with
 *                      the ledger and the load generator (see POOL_SIZE);
 * - postgres-pool-4, postgres-pool-16: the same with 4 connections, and with one per client:
 *                      what a larger pool costs here;
 * - postgres-unnamed:  directly, with LEDGER_POOLER=transaction (no named statements): what the
 *                      pooler-safe mode costs by itself;
 * - pgbouncer:         through PgBouncer in transaction mode (LEDGER_POOLER=transaction), with
 *                      enough server connections for every client;
 * - pgbouncer-4:       the same with only 4 server connections for the 16 clients;
 * - two-processes:     two ledger processes on one PostgreSQL (one connection each, the same 2
 *                      in all), each driven by its own wrk;
 * - pglite:            the embedded database (one connection).
 *
 * Directly and through PgBouncer the 16 clients also debit one hot bank, whose row lock serialises them.
 *
 * Load comes from wrk (a separate, native process) and its ceiling on this machine is measured too.
 * Every load (pgbench's too) runs in rounds that alternate with the others', so that other work
 * on a shared machine weighs on all of them alike; rates are the rounds' mean, percentiles their median.
 * CPU time per debit of the ledger, PostgreSQL and PgBouncer is read from /proc where it can be.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLedgerApp } from "../src/ledger/http/app.js";
import { openDatabase, type DatabaseOptions } from "../src/ledger/storage/db.js";
import { migrate } from "../src/ledger/storage/migrations.js";
import { createTenant } from "../src/ledger/core/tenants.js";
import { hasPgBouncer, startPgBouncer, withDatabase, type PgBouncer } from "../tests/setup/pgbouncer.js";
import {
  benchPostgres,
  cpuDuring,
  freePort,
  freshDatabase,
  median,
  pgEnv,
  postgresPids,
  runWrk,
  runWrkAsync,
  startLedgerProcess,
  type LedgerProcess,
  type WrkResult,
} from "./lib.js";

export type Setup = "postgres" | "postgres-pool-4" | "postgres-pool-16" | "postgres-unnamed" | "pgbouncer" | "pgbouncer-4" | "two-processes" | "pglite";

export interface ThroughputRun extends WrkResult {
  backend: Setup;
  clients: number;
  /** Every debit to one bank (its row lock serialises them), not to random banks of 1,000. */
  hotBank?: boolean;
  /** CPU milliseconds per acknowledged debit, by process group; null where it couldn't be read. */
  cpuMsPerDebit?: Record<string, number | null>;
  /** Each process's own numbers when the load was split (rps and counts are summed above; p50/p99 are the worse of the processes'). */
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
  /** pgbench's own latency percentiles, from its per-transaction log. */
  p50: number;
  p99: number;
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

/**
 * PostgreSQL connections the ledger holds directly: one per core of this machine, where the
 * database, the ledger and the load generator share two cores. A debit holds its connection for
 * one statement, so 16 clients queue briefly in the ledger for 2 connections; more connections
 * only add server processes competing for the same cores (the postgres-pool-* set-ups measure it).
 */
const POOL_SIZE = 2;

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

/** Rounds of the same load as one: counts summed, the rate their mean, latency percentiles their median. */
function acrossRounds(rounds: WrkResult[]): WrkResult {
  const sum = (pick: (r: WrkResult) => number | undefined) => rounds.reduce((total, r) => total + (pick(r) ?? 0), 0);
  const mid = (pick: (r: WrkResult) => number | undefined) => median(rounds.map((r) => pick(r) ?? 0));
  return {
    requests: sum((r) => r.requests),
    rps: sum((r) => r.rps) / rounds.length,
    p50: mid((r) => r.p50),
    p90: mid((r) => r.p90),
    p99: mid((r) => r.p99),
    max: Math.max(...rounds.map((r) => r.max ?? 0)),
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
  /** Also 16 clients on one bank. */
  hotBank?: boolean;
  /** Process ids whose CPU time is measured besides the ledger's, by name. */
  cpu: () => Promise<Record<string, number[]>>;
}

interface StartedSetup {
  plan: SetupPlan;
  apiKey: string;
  servers: LedgerProcess[];
  acknowledged: number;
}

/** One load measured a round at a time; rounds of all loads alternate, so a machine growing busier mid-run weighs on all alike. */
interface Slot {
  round(seconds: number, index: number): Promise<void>;
  /** What the rounds add up to, printed as it is. */
  finish(): void;
}

function ledgerSlot(setup: StartedSetup, clients: number, hotBank: boolean, wallets: number, runs: ThroughputRun[]): Slot {
  const { plan, apiKey, servers } = setup;
  const banks = hotBank ? 1 : wallets;
  const rounds: { result: WrkResult; perProcess: WrkResult[]; cpuMs: Record<string, number | null> }[] = [];
  const load = (phase: string, duration: number) =>
    Promise.all(
      servers.map((server, i) =>
        runWrkAsync(server.url, {
          connections: clients / servers.length,
          seconds: duration,
          script: SCRIPT,
          args: [String(banks), apiKey, `${phase}-${plan.backend}-${clients}-${banks}-p${i}`],
        }),
      ),
    );
  return {
    round: async (seconds, index) => {
      setup.acknowledged += combine(await load(`warm${index}`, 1)).created ?? 0;
      const groups = { ledger: servers.map((s) => s.child.pid!), ...(await plan.cpu()) };
      const { result: perProcess, cpuMs } = await cpuDuring(groups, () => load(`run${index}`, seconds));
      const result = combine(perProcess);
      setup.acknowledged += result.created ?? 0;
      rounds.push({ result, perProcess, cpuMs });
    },
    finish: () => {
      const result = acrossRounds(rounds.map((r) => r.result));
      const debits = result.created ?? 0;
      const cpuMsPerDebit: Record<string, number | null> = {};
      for (const name of Object.keys(rounds[0]?.cpuMs ?? {})) {
        const spent = rounds.map((r) => r.cpuMs[name] ?? null);
        cpuMsPerDebit[name] = spent.includes(null) || debits === 0 ? null : Number((spent.reduce((a, b) => a! + b!, 0)! / debits).toFixed(3));
      }
      const perProcess = servers.length > 1 ? servers.map((_, i) => acrossRounds(rounds.map((r) => r.perProcess[i]!))) : undefined;
      runs.push({ backend: plan.backend, clients, ...(hotBank ? { hotBank } : {}), ...result, cpuMsPerDebit, ...(perProcess ? { perProcess } : {}) });
      const cpuText = Object.entries(cpuMsPerDebit)
        .filter(([, ms]) => ms !== null)
        .map(([name, ms]) => `${name} ${ms!.toFixed(2)}`)
        .join(", ");
      console.log(
        `  ${plan.backend.padEnd(16)} ${String(clients).padStart(2)} clients${hotBank ? " on one bank" : ""}: ${result.rps.toFixed(0)} debits/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, non-2xx ${(result.refused ?? 0) + (result.failed ?? 0)}${cpuText ? `; CPU ms per debit: ${cpuText}` : ""}`,
      );
    },
  };
}

function pgbenchSlot(url: string, via: PgbenchRun["via"], clients: number, scale: number, runs: PgbenchRun[]): Slot {
  const rounds: PgbenchRun[] = [];
  return {
    round: async (seconds) => void rounds.push(pgbench(url, via, clients, seconds, scale)),
    finish: () => {
      const run = {
        via,
        clients,
        scale,
        tps: rounds.reduce((s, r) => s + r.tps, 0) / rounds.length,
        latencyAvgMs: rounds.reduce((s, r) => s + r.latencyAvgMs, 0) / rounds.length,
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
      };
      runs.push(run);
      console.log(
        `  pgbench ${via === "pgbouncer" ? "via PgBouncer" : "direct"} ${String(clients).padStart(2)} clients: ${run.tps.toFixed(0)} TPS, avg ${run.latencyAvgMs.toFixed(2)} ms, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms`,
      );
    },
  };
}

function pgbench(url: string, via: PgbenchRun["via"], clients: number, seconds: number, scale: number): PgbenchRun {
  // Each transaction's latency goes to a log (one file per thread), for percentiles like wrk's.
  const logs = mkdtempSync(join(tmpdir(), "bench-pgbench-"));
  try {
    const result = spawnSync(
      "pgbench",
      ["-c", String(clients), "-j", String(Math.min(2, clients)), "-T", String(seconds), "-n", "-l", "--log-prefix", join(logs, "tx")],
      { env: { ...process.env, ...pgEnv(url) }, encoding: "utf8" },
    );
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
    const latency = /latency average = ([\d.]+) ms/.exec(result.stdout)?.[1];
    if (!tps) throw new Error(`pgbench failed: ${result.stdout}\n${result.stderr}`);
    // A log line: client, transaction number, latency in microseconds, script, epoch seconds, microseconds.
    const latencies = readdirSync(logs)
      .flatMap((file) => readFileSync(join(logs, file), "utf8").split("\n"))
      .map((line) => Number(line.split(" ")[2]) / 1000)
      .filter((ms) => Number.isFinite(ms))
      .sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? NaN;
    return { via, clients, tps: Number(tps), latencyAvgMs: Number(latency), p50: at(0.5), p99: at(0.99), scale };
  } finally {
    rmSync(logs, { recursive: true, force: true });
  }
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

/** Each load runs this many times, alternating with the others. */
const ROUNDS = 3;

export async function benchLedgerThroughput(options: { seconds: number; wallets: number }): Promise<ThroughputReport> {
  const { wallets } = options;
  const perRound = Math.max(1, Math.round(options.seconds / ROUNDS));
  const seconds = perRound * ROUNDS;
  console.log(`ledger throughput (wrk → ledger over HTTP; ${ROUNDS} alternating rounds of ${perRound} s per load)`);
  const ceilingResult = await ceiling(Math.min(seconds, 5));
  console.log(`  wrk ceiling against an empty Node server: ${ceilingResult.rps.toFixed(0)} requests/s`);
  const pgServer = await benchPostgres();
  const bouncers: PgBouncer[] = [];
  const started: StartedSetup[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "bench-pglite-"));
  try {
    const postgresCpu = async () => ({ postgres: await postgresPids(pgServer.adminUrl) });
    const plans: SetupPlan[] = [];

    const direct = await freshDatabase(pgServer.adminUrl, "bench_ledger");
    plans.push({
      backend: "postgres",
      database: { databaseUrl: direct, poolSize: 4 },
      processes: [{ DATABASE_URL: direct, LEDGER_POOL_SIZE: String(POOL_SIZE) }],
      clients: [1, 16],
      hotBank: true,
      cpu: postgresCpu,
    });

    for (const [backend, poolSize] of [
      ["postgres-pool-4", 4],
      ["postgres-pool-16", 16],
    ] as const) {
      const database = await freshDatabase(pgServer.adminUrl, `bench_ledger_pool_${poolSize}`);
      plans.push({
        backend,
        database: { databaseUrl: database, poolSize: 4 },
        processes: [{ DATABASE_URL: database, LEDGER_POOL_SIZE: String(poolSize) }],
        clients: [16],
        cpu: postgresCpu,
      });
    }

    const unnamed = await freshDatabase(pgServer.adminUrl, "bench_ledger_unnamed");
    plans.push({
      backend: "postgres-unnamed",
      database: { databaseUrl: unnamed, poolSize: 4 },
      processes: [{ DATABASE_URL: unnamed, LEDGER_POOL_SIZE: String(POOL_SIZE), LEDGER_POOLER: "transaction" }],
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
        plans.push({
          backend,
          database: { databaseUrl: database, poolSize: 4 },
          processes: [{ DATABASE_URL: bouncer.url, LEDGER_POOL_SIZE: "16", LEDGER_POOLER: "transaction" }],
          clients: backend === "pgbouncer" ? [1, 16] : [16],
          hotBank: backend === "pgbouncer",
          cpu: async () => ({ postgres: await postgresPids(pgServer.adminUrl), pgbouncer: [bouncer.pid] }),
        });
      }
    } else {
      console.log("  (PgBouncer is not installed: the runs through it are left out; Debian: apt-get install -y pgbouncer)");
    }

    const shared = await freshDatabase(pgServer.adminUrl, "bench_ledger_two");
    plans.push({
      backend: "two-processes",
      database: { databaseUrl: shared, poolSize: 4 },
      processes: [
        { DATABASE_URL: shared, LEDGER_POOL_SIZE: String(POOL_SIZE / 2) },
        { DATABASE_URL: shared, LEDGER_POOL_SIZE: String(POOL_SIZE / 2) },
      ],
      clients: [16],
      cpu: postgresCpu,
    });
    plans.push({
      backend: "pglite",
      database: { dataDir },
      processes: [{ LEDGER_DATA_DIR: dataDir, DATABASE_URL: "" }],
      clients: [1, 16],
      cpu: async () => ({}),
    });

    const pgbenchUrl = await freshDatabase(pgServer.adminUrl, "bench_pgbench");
    const scale = 16;
    const init = spawnSync("pgbench", ["-i", "-q", "-s", String(scale)], { env: { ...process.env, ...pgEnv(pgbenchUrl) }, encoding: "utf8" });
    if (init.status !== 0) throw new Error(`pgbench -i failed: ${init.stderr}`);

    const runs: ThroughputRun[] = [];
    const pgbenchRuns: PgbenchRun[] = [];
    const slots: Slot[] = [pgbenchSlot(pgbenchUrl, "direct", 1, scale, pgbenchRuns), pgbenchSlot(pgbenchUrl, "direct", 16, scale, pgbenchRuns)];
    if (bouncers[0]) slots.push(pgbenchSlot(withDatabase(bouncers[0].url, "bench_pgbench"), "pgbouncer", 16, scale, pgbenchRuns));
    for (const plan of plans) {
      const apiKey = await seed(plan.database, wallets);
      // PGlite is one process on its folder: it opens it only once seeding has let go.
      const servers = await Promise.all(plan.processes.map((env) => startLedgerProcess({ ...env, LEDGER_SCHEDULER: "off" })));
      const setup: StartedSetup = { plan, apiKey, servers, acknowledged: 0 };
      started.push(setup);
      for (const clients of plan.clients) slots.push(ledgerSlot(setup, clients, false, wallets, runs));
      if (plan.hotBank) slots.push(ledgerSlot(setup, 16, true, wallets, runs));
    }

    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts elsewhere in the list, so no load always follows the same one.
      const offset = Math.floor((round * slots.length) / ROUNDS);
      for (let i = 0; i < slots.length; i++) await slots[(offset + i) % slots.length]!.round(perRound, round);
    }
    for (const slot of slots) slot.finish();

    const integrity: Integrity[] = [];
    for (const setup of started.splice(0)) {
      await Promise.all(setup.servers.map((s) => s.stop()));
      integrity.push(await verify(setup.plan.database, setup.plan.backend, setup.acknowledged, wallets));
    }
    return { seconds, wallets, postgres: pgServer.source, pgbouncer: pgbouncerSource, ceiling: ceilingResult, runs, integrity, pgbench: pgbenchRuns };
  } finally {
    for (const setup of started) await Promise.all(setup.servers.map((s) => s.stop()));
    for (const bouncer of bouncers) await bouncer.stop();
    await pgServer.server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
