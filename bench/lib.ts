import { spawnSync } from "node:child_process";
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

/** Runs wrk and returns the JSON line its Lua `done` hook prints. Latencies in milliseconds. */
export function runWrk(url: string, options: { connections: number; seconds: number; script: string; args?: string[] }): WrkResult {
  const threads = Math.min(2, options.connections);
  const result = spawnSync(
    "wrk",
    [
      "-t",
      String(threads),
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
    ],
    { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  const line = result.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`wrk printed no result: ${result.stdout}\n${result.stderr}`);
  return JSON.parse(line.slice("RESULT ".length)) as WrkResult;
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
