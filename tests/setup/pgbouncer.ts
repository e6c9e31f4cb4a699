import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./embedded-postgres.js";

export interface PgBouncer {
  /** The pooler's address with the server URL's user, password and database. */
  url: string;
  /** The pooler's process id (to measure its CPU time, or to freeze it with SIGSTOP). */
  pid: number;
  port: number;
  stop(): Promise<void>;
  /** SIGKILL: gone at once, its clients' connections cut. */
  kill(): Promise<void>;
}

export function hasPgBouncer(): boolean {
  return spawnSync("sh", ["-c", "command -v pgbouncer"], { encoding: "utf8" }).status === 0;
}

/** A URL's database swapped for another on the same server (or pooler). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;

/**
 * Starts Debian's PgBouncer on loopback in front of the PostgreSQL server `serverUrl` names, in
 * transaction mode: every transaction may get a different server connection, as behind the
 * poolers of serverless PostgreSQL services. Any database name is passed through to the server.
 * PgBouncer refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function startPgBouncer(serverUrl: string, options: { serverConnections?: number; port?: number } = {}): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username) || "postgres";
  const password = decodeURIComponent(server.password);
  const dir = mkdtempSync(join(tmpdir(), "support-credits-pgbouncer-"));
  chmodSync(dir, 0o777); // the `postgres` user writes its log and pid file here
  const port = options.port ?? (await freePort());
  writeFileSync(join(dir, "userlist.txt"), `${quote(user)} ${quote(password)}\n`);
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=${server.hostname} port=${server.port || "5432"}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      `auth_type = ${password ? "scram-sha-256" : "trust"}`,
      `auth_file = ${join(dir, "userlist.txt")}`,
      "pool_mode = transaction",
      "max_client_conn = 2000",
      `default_pool_size = ${options.serverConnections ?? 20}`,
      "reserve_pool_size = 0",
      "server_reset_query =",
      // After a failed server login (the database restarting) PgBouncer refuses its clients for this
      // long before trying again: 15 s by default, which keeps the ledger unavailable for 15 s
      // after a 1-second database restart. The README's deployment advice says the same.
      "server_login_retry = 1",
      // pgbench and psql send these; PgBouncer would refuse the connection otherwise.
      "ignore_startup_parameters = extra_float_digits,options",
      `logfile = ${join(dir, "pgbouncer.log")}`,
      "log_connections = 0",
      "log_disconnections = 0",
      "",
    ].join("\n"),
  );
  for (const file of ["userlist.txt", "pgbouncer.ini"]) chmodSync(join(dir, file), 0o644);
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const child: ChildProcess = spawn("pgbouncer", [...(asRoot ? ["-u", "postgres"] : []), join(dir, "pgbouncer.ini")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const u = new URL(serverUrl);
  u.hostname = "127.0.0.1";
  u.port = String(port);
  const url = u.toString();
  const log = () => {
    try {
      return readFileSync(join(dir, "pgbouncer.log"), "utf8").slice(-2000);
    } catch {
      return "";
    }
  };
  const stop = async () => {
    if (running) {
      child.kill("SIGINT"); // immediate shutdown
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const kill = async () => {
    if (running) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when a query goes through it to the server.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (!running || attempt >= 50) {
        await stop();
        throw new Error(`PgBouncer did not start: ${(error as Error).message}\n${stderr}${log()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url, pid: child.pid!, port, stop, kill };
}
