import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createHash } from "node:crypto";
import pg from "pg";
// Types only: PGlite itself is loaded when it is used, so hosts that always have DATABASE_URL
// (the Lambda bundle) neither load nor ship it.
import type { PGlite } from "@electric-sql/pglite";

/** Anything that runs SQL: the database itself or an open transaction. */
export interface Sql {
  query<Row extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(script: string): Promise<void>;
}

export interface TransactionOptions {
  /**
   * Whether the database enforces TRANSACTION_DEADLINE_MS on the transaction (on unless false:
   * migrations may run longer).
   */
  deadline?: boolean;
}

export interface Database extends Sql {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction; retried on serialization failures and deadlocks. */
  transaction<T>(work: (tx: Sql) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string;
  /** PGlite's data folder; in memory when neither this nor `databaseUrl` is given. */
  dataDir?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
  /**
   * "transaction": `databaseUrl` is a connection pooler in transaction mode (PgBouncer, the poolers
   * of serverless PostgreSQL services), where each transaction may run on another server
   * connection, so nothing may outlive a transaction: statements are not prepared by name.
   * Unset: statements are prepared by name (parsed and planned once per connection) until the
   * server shows they don't persist, then not for the rest of the process (see `openPostgres`).
   */
  pooler?: "transaction";
  /** Told once when a transaction-mode pooler is detected behind `databaseUrl`. */
  onPoolerDetected?: () => void;
}

/** What a process logs when it finds a transaction-mode pooler that LEDGER_POOLER didn't announce. */
export const POOLER_DETECTED =
  "DATABASE_URL is a pooler in transaction mode: statements are no longer prepared by name (LEDGER_POOLER=transaction says so from the start)";

/** How `LEDGER_POOLER` names a transaction-mode pooler; anything else set there is a mistake. */
export function parsePoolerSetting(value: string | undefined): "transaction" | undefined {
  if (value === undefined || value === "") return undefined;
  if (value === "transaction") return "transaction";
  throw new Error(`LEDGER_POOLER must be "transaction" (DATABASE_URL is a pooler in transaction mode) or unset; got "${value}"`);
}

/**
 * How long PostgreSQL lets one of a request's statements run, or its transaction sit idle between
 * statements, before it ends the attempt (and releases its locks): an attempt stalled between the
 * ledger and the database (a frozen pooler, a paused process) can't hold a bank's lock, or commit,
 * long after its client gave up. Far above any statement's real cost (milliseconds); the client
 * gets 503 with Retry-After and nothing written.
 */
export const TRANSACTION_DEADLINE_MS = 10_000;
const BEGIN_WITH_DEADLINE = `BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_DEADLINE_MS}; SET LOCAL idle_in_transaction_session_timeout = ${TRANSACTION_DEADLINE_MS}`;

const INT8_OID = 20;
const RETRYABLE_SQLSTATES = new Set(["40001", "40P01"]);
const MAX_TRANSACTION_ATTEMPTS = 4;

/** int8 values are credits and sequence numbers, always within Number's safe range (writes are capped). */
const parseInt8 = (value: string) => Number(value);

/**
 * A transaction that failed after the server showed that named statements don't persist: it is
 * run again at once, without them.
 */
class RetryWithoutNamedStatements extends Error {
  override name = "RetryWithoutNamedStatements";
  constructor(readonly original: unknown) {
    super("a transaction-mode pooler lost a named statement");
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof RetryWithoutNamedStatements) return true;
  return typeof error === "object" && error !== null && RETRYABLE_SQLSTATES.has(String((error as { code?: unknown }).code));
}

/**
 * What a transaction-mode pooler answers to named statements: the connection it picked already
 * has one of that name (another client prepared it there), or hasn't the one this client prepared
 * on another connection. Either way the statement did not run. On a direct connection neither
 * happens: the driver tracks what each connection has prepared.
 */
const POOLER_LOST_STATEMENT = new Set(["42P05", "26000"]);
const isLostStatement = (error: unknown) =>
  typeof error === "object" && error !== null && POOLER_LOST_STATEMENT.has(String((error as { code?: unknown }).code));

/**
 * Whether the connection may serve the next statement after `error`: an error the server reported
 * for the statement alone, not one that ended the session (FATAL: the server is shutting down, an
 * administrator ended the backend, a connection or system failure), which the driver may not
 * have noticed yet when the connection goes back to the pool. The severity is the server's own
 * word, localised on some servers, so the SQLSTATE classes of session-ending errors count too.
 */
function leavesSessionUsable(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return false;
  if (error.severity === "FATAL" || error.severity === "PANIC") return false;
  return typeof error.code === "string" && !/^(08|57P|58|XX)/.test(error.code) && error.code !== "25P03";
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= MAX_TRANSACTION_ATTEMPTS || !isRetryable(error)) throw error instanceof RetryWithoutNamedStatements ? error.original : error;
      if (error instanceof RetryWithoutNamedStatements) continue; // nothing to wait for
      await new Promise((resolve) => setTimeout(resolve, 2 ** n + Math.random() * 5));
    }
  }
}

export async function openDatabase(options: DatabaseOptions = {}): Promise<Database> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openPglite(options.dataDir);
}

async function openPostgres(connectionString: string, options: DatabaseOptions): Promise<Database> {
  const max = options.poolSize ?? 10;
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
  // ledger's SQL is a fixed set of texts, so the names stay few. A name is its text's hash, so a
  // statement another process prepared under that name is the same statement.
  // They are session state: behind a transaction-mode pooler (LEDGER_POOLER=transaction, or
  // detected by its first lost statement) every statement is unnamed instead.
  let named = options.pooler !== "transaction";
  const poolerDetected = () => {
    if (!named) return;
    named = false;
    options.onPoolerDetected?.();
  };
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `ledger_${createHash("sha1").update(text).digest("hex").slice(0, 16)}`));
    return name;
  };
  const unnamed = async <Row extends object>(client: pg.PoolClient, text: string, params?: readonly unknown[]) =>
    (await client.query<Row>({ text, values: params as unknown[] | undefined })).rows;
  /** One statement; `onLost` hears that the pooler lost a named one (it did not run). */
  const run = async <Row extends object>(client: pg.PoolClient, text: string, params: readonly unknown[] | undefined, onLost: () => void) => {
    if (!named) return unnamed<Row>(client, text, params);
    try {
      return (await client.query<Row>({ name: nameOf(text), text, values: params as unknown[] | undefined })).rows;
    } catch (error) {
      if (isLostStatement(error)) {
        poolerDetected();
        onLost();
      }
      throw error;
    }
  };
  /**
   * A pooled connection for `use`, handed back afterwards unless `use` marked it broken or it
   * failed meanwhile: a checked-out client whose server goes away emits 'error' with no query to
   * fail, which unheard would crash the process, so it is marked broken instead.
   */
  const withClient = async <T>(use: (client: pg.PoolClient, connection: { broken: boolean }) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    const connection = { broken: false };
    const onError = () => {
      connection.broken = true;
    };
    client.on("error", onError);
    try {
      return await use(client, connection);
    } finally {
      client.off("error", onError);
      client.release(connection.broken);
    }
  };

  /**
   * A statement on its own (autocommit). Not through `pool.query`, which closes the connection
   * after any error: errors are part of normal work here (a key another request took meanwhile, a
   * deadlock PostgreSQL broke, a constraint that refuses a duplicate), and each cost a new
   * connection, tens of milliseconds of connecting and authenticating. An error the server reports
   * for the statement leaves the connection as usable as it was.
   */
  const query = <Row extends object>(text: string, params?: readonly unknown[]) =>
    withClient(async (client, connection) => {
      let lost = false;
      try {
        return await run<Row>(client, text, params, () => (lost = true));
      } catch (error) {
        // On its own (autocommit) a lost statement is simply sent again, unnamed.
        if (lost) return await unnamed<Row>(client, text, params);
        if (!leavesSessionUsable(error)) connection.broken = true;
        throw error;
      }
    });

  return {
    kind: "postgres",
    query,
    exec: async (script) => void (await pool.query(script)),
    transaction: (work, options) =>
      withRetries(() =>
        withClient(async (client, connection) => {
          // A lost statement aborts the transaction, whatever `work` makes of the error: run it again.
          let lost = false;
          try {
            await client.query(options?.deadline === false ? "BEGIN" : BEGIN_WITH_DEADLINE);
            const result = await work({
              query: (text, params) => run(client, text, params, () => (lost = true)),
              exec: async (script) => void (await client.query(script)),
            });
            // PostgreSQL aborted the transaction at the lost statement: COMMIT would quietly roll back.
            if (lost) throw new Error("a named statement was lost in this transaction");
            await client.query("COMMIT");
            return result;
          } catch (error) {
            try {
              await client.query("ROLLBACK");
            } catch {
              connection.broken = true; // the connection itself failed; don't hand it back to the pool
            }
            throw lost ? new RetryWithoutNamedStatements(error) : error;
          }
        }),
      ),
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
  let db: PGlite;
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    db = new PGlite(dataDir, { parsers: { [INT8_OID]: parseInt8 } });
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

/**
 * SQLSTATEs that mean the database could not do the work now, though the request was fine: the
 * connection failed or was refused (class 08, PgBouncer's own refusals included, which it sends as
 * 08P01: "server login has been failing", "query_wait_timeout"), the server is shutting down,
 * restarting or out of connections, or a deadline ran out (a lock or statement timeout, a
 * transaction left idle too long). Nothing of the transaction was written; retrying is right.
 */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "57P05", "53300", "53400", "57014", "55P03", "25P03"]);

/** True for errors that mean the database is unreachable rather than that the request was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as { message?: unknown }).message ?? "");
  return (
    code.startsWith("08") ||
    UNAVAILABLE_SQLSTATES.has(code) ||
    ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN"].includes(code) ||
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended|Query read timeout/i.test(message)
  );
}
