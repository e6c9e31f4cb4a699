import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import pg from "pg";
import { freePort, startEmbeddedPostgres, type EmbeddedServer } from "../tests/setup/embedded-postgres.js";

export { freePort };

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).status === 0;
}

/** A PostgreSQL server for the run: DATABASE_URL's, or an embedded one with default durability. */
export async function benchPostgres(): Promise<{ adminUrl: string; server?: EmbeddedServer; source: string }> {
  if (process.env.DATABASE_URL) return { adminUrl: process.env.DATABASE_URL, source: "DATABASE_URL" };
  const server = await startEmbeddedPostgres({ durable: true });
  return { adminUrl: server.url, server, source: "embedded-postgres (default settings)" };
}

export async function freshDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export { startLedgerProcess, type LedgerProcess } from "../tests/helpers/ledger-process.js";

export interface WrkResult {
  requests: number;
  rps: number;
  p50: number;
  p90?: number;
  p99: number;
  max?: number;
  created?: number;
  refused?: number;
  failed?: number;
  socketErrors?: number;
}

interface WrkOptions {
  connections: number;
  seconds: number;
  script: string;
  args?: string[];
}

const wrkArgs = (url: string, options: WrkOptions) => [
  "-t",
  String(Math.min(2, options.connections)),
  "-c",
  String(options.connections),
  "-d",
  `${options.seconds}s`,
  "--timeout",
  "10s",
  "-s",
  options.script,
  url,
  "--",
  ...(options.args ?? []),
];

function wrkResult(stdout: string, stderr: string): WrkResult {
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`wrk printed no result: ${stdout}\n${stderr}`);
  return JSON.parse(line.slice("RESULT ".length)) as WrkResult;
}

/** Runs wrk and returns the JSON line its Lua `done` hook prints. Latencies in milliseconds. */
export function runWrk(url: string, options: WrkOptions): WrkResult {
  const result = spawnSync("wrk", wrkArgs(url, options), { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
  return wrkResult(result.stdout, result.stderr);
}

/** The same, without blocking: for several wrk processes at once (one per ledger process). */
export function runWrkAsync(url: string, options: WrkOptions): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("wrk", wrkArgs(url, options), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", () => {
      try {
        resolve(wrkResult(stdout, stderr));
      } catch (error) {
        reject(error);
      }
    });
  });
}

const CLOCK_TICKS_PER_SECOND = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** CPU time (user + system) a running process has used so far, in milliseconds; null where /proc can't tell. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, hence the last ')'): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/**
 * The PostgreSQL server's processes (backends and background workers), when the server runs on
 * this machine: what pg_stat_activity lists, and /proc confirms to be postgres processes.
 */
export async function postgresPids(url: string): Promise<number[]> {
  if (!["127.0.0.1", "localhost", "[::1]"].includes(new URL(url).hostname)) return [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const rows = (await client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity")).rows;
    return rows
      .map((r) => r.pid)
      .filter((pid) => {
        try {
          return /postgres/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
        } catch {
          return false;
        }
      });
  } finally {
    await client.end();
  }
}

/** The CPU milliseconds a group of processes uses while `work` runs (processes that end meanwhile are left out). */
export async function cpuDuring<T>(groups: Record<string, number[]>, work: () => Promise<T>): Promise<{ result: T; cpuMs: Record<string, number | null> }> {
  const sample = () => Object.fromEntries(Object.entries(groups).map(([name, pids]) => [name, new Map(pids.map((pid) => [pid, cpuMs(pid)]))]));
  const before = sample();
  const result = await work();
  const after = sample();
  const cpu: Record<string, number | null> = {};
  for (const [name, pids] of Object.entries(groups)) {
    let total = 0;
    let known = false;
    for (const pid of pids) {
      const start = before[name]!.get(pid);
      const end = after[name]!.get(pid);
      if (start == null || end == null) continue;
      total += end - start;
      known = true;
    }
    cpu[name] = known ? total : null;
  }
  return { result, cpuMs: cpu };
}

export function pgEnv(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port || "5432",
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: u.pathname.slice(1),
  };
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
