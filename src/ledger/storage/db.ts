import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Sql {
  query<Row extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface Database extends Sql {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction; retried on serialization failures and deadlocks. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string;
  /** PGlite's data folder; in memory when neither this nor `databaseUrl` is given. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

const INT8_OID = 20;
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_TRANSACTION_ATTEMPTS = 4;

/** int8 values are credits and sequence numbers, always within Number's safe range (writes are capped). */
const parseInt8 = (value: string) => Number(value);

function isRetryable(error: unknown): boolean {
  return typeof error === "object" && error !== null && RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= MAX_TRANSACTION_ATTEMPTS || !isRetryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 2 ** n + Math.random() * 5));
    }
  }
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.dataDir);
}

async function openPostgres(connectionString: string, max: number): Promise<Database> {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server (a database restart) must not crash the process; the pool
  // drops it and the next checkout connects afresh.
  pool.on("error", () => undefined);

  // Named statements are parsed and planned once per connection instead of on every call; the
  // ledger's SQL is a fixed set of texts, so the names stay few.
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `ledger_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`));
    return name;
  };
  const run = async <Row extends object>(client: pg.Pool | pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await client.query<Row>({ name: nameOf(text), text, values: params as unknown[] | undefined })).rows;

  return {
    kind: "postgres",
    query: (text, params) => run(pool, text, params),
    exec: async (script) => void (await pool.query(script)),
    transaction: (work) =>
      withRetries(async () => {
        const client = await pool.connect();
        let broken = false;
        // A checked-out client whose server goes away emits 'error' with no query to fail; unheard,
        // that would crash the process. Mark it broken instead: the transaction fails with 503.
        const onError = () => {
          broken = true;
        };
        client.on("error", onError);
        try {
          await client.query("BEGIN");
          const result = await work({
            query: (text, params) => run(client, text, params),
            exec: async (script) => void (await client.query(script)),
          });
          await client.query("COMMIT");
          return result;
        } catch (error) {
          try {
            await client.query("ROLLBACK");
          } catch {
            broken = true; // the connection itself failed; don't hand it back to the pool
          }
          throw error;
        } finally {
          client.off("error", onError);
          client.release(broken);
        }
      }),
    close: () => pool.end(),
  };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * PGlite is an embedded database: two processes opening one data folder would corrupt it. A lock
 * file holding the owner's pid keeps a second process out (a stale lock of a dead process is taken over).
 */
function lockDataDir(dataDir: string): () => void {
  const lockFile = join(dataDir, "ledger.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number(readFileSync(lockFile, "utf8"));
      if (Number.isInteger(owner) && owner > 0 && isRunning(owner)) {
        throw new Error(
          `The embedded database in ${dataDir} is in use by process ${owner}. Stop it first, or use DATABASE_URL for a PostgreSQL server that many processes can share.`,
        );
      }
      rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}.`);
}

async function openPglite(dataDir: string | undefined): Promise<Database> {
  let unlock = () => undefined as void;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    unlock = lockDataDir(dataDir);
  }
  const db = new PGlite(dataDir, { parsers: { [INT8_OID]: parseInt8 } });
  try {
    await db.waitReady;
  } catch (error) {
    unlock();
    throw error;
  }
  return {
    kind: "pglite",
    query: async (text, params) => (await db.query(text, params as unknown[] | undefined)).rows as never,
    exec: async (script) => void (await db.exec(script)),
    // PGlite is one connection: its transaction() holds it exclusively, so transactions never interleave.
    transaction: (work) =>
      withRetries(() =>
        db.transaction((tx) =>
          work({
            query: async (text, params) => (await tx.query(text, params as unknown[] | undefined)).rows as never,
            exec: async (script) => void (await tx.exec(script)),
          }),
        ),
      ),
    close: async () => {
      try {
        await db.close();
      } finally {
        unlock();
      }
    },
  };
}

/** True for errors that mean the database is unreachable rather than that the request was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as { message?: unknown }).message ?? "");
  return (
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "57P01", "57P02", "57P03", "53300", "08000", "08003", "08006", "08001", "08004"].includes(
      code,
    ) || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(message)
  );
}
