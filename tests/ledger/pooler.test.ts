/**
 * The ledger behind a connection pooler in transaction mode (Debian's PgBouncer 1.18, which like
 * the poolers of serverless PostgreSQL services hands each transaction whichever server connection
 * is free): nothing may outlive a transaction. The shell commands exactly as a new user runs them,
 * with DATABASE_URL pointing at the pooler and nothing else said.
 * Each test has a database of its own, so PgBouncer keeps a pool of server connections for it alone.
 */
import { spawn } from "node:child_process";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, parsePoolerSetting, type Database } from "../../src/ledger/storage/db.js";
import { MIGRATIONS } from "../../src/ledger/storage/migrations.js";
import { createScratchDatabase, pgbouncerUrl, postgresUrl, type ScratchDatabase } from "../helpers/ledger.js";
import { startLedgerProcess } from "../helpers/ledger-process.js";

/** `npm run ledger -- <args>`, started directly (tsx on the CLI) to spare the machine npm's own start-up. */
function ledgerCommand(env: Record<string, string>, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/ledger/cli.ts", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("LEDGER_POOLER", () => {
  it('is "transaction" or unset, and anything else is refused with what to write', () => {
    expect(parsePoolerSetting(undefined)).toBeUndefined();
    expect(parsePoolerSetting("")).toBeUndefined();
    expect(parsePoolerSetting("transaction")).toBe("transaction");
    expect(() => parsePoolerSetting("pgbouncer")).toThrow(/LEDGER_POOLER must be "transaction"/);
  });
});

describe.skipIf(!pgbouncerUrl())("through PgBouncer in transaction mode", () => {
  const scratch: ScratchDatabase[] = [];
  const open: Database[] = [];
  const scratchDatabase = async (purpose: string) => {
    const db = await createScratchDatabase(purpose);
    scratch.push(db);
    return db;
  };
  afterAll(async () => {
    await Promise.all(open.map((db) => db.close().catch(() => undefined)));
    for (const db of scratch) await db.drop().catch(() => undefined);
  });

  it("is a pooler in transaction mode: a statement one client prepared is already there for the next client", async () => {
    const { pgbouncerUrl: url } = await scratchDatabase("mode");
    const first = new pg.Client({ connectionString: url });
    const second = new pg.Client({ connectionString: url });
    await first.connect();
    await second.connect();
    try {
      await first.query({ name: "ledger_probe", text: "SELECT 1" });
      // The error a new user met in `tenant create`: both clients got the one server connection in turn.
      await expect(second.query({ name: "ledger_probe", text: "SELECT 1" })).rejects.toMatchObject({
        code: "42P05",
        message: 'prepared statement "ledger_probe" already exists',
      });
    } finally {
      await first.end();
      await second.end();
    }
  });

  it("finds the pooler by its first lost statement without LEDGER_POOLER, and carries on without named statements", async () => {
    const { pgbouncerUrl: url } = await scratchDatabase("detect");
    const detected: string[] = [];
    const openThrough = async (name: string) => {
      const db = await openDatabase({ databaseUrl: url, poolSize: 2, onPoolerDetected: () => detected.push(name) });
      open.push(db);
      return db;
    };
    const text = "SELECT $1::int + 1 AS next";
    const first = await openThrough("first");
    expect(await first.query(text, [1])).toEqual([{ next: 2 }]);
    expect(detected).toEqual([]); // one client alone can't tell

    // Another process's pool, on the server connection the first one prepared its statement on.
    const second = await openThrough("second");
    expect(await second.query(text, [2])).toEqual([{ next: 3 }]);
    expect(detected).toEqual(["second"]);
    // Once found, nothing is prepared by name: many transactions at once meet no lost statement.
    const sums = await Promise.all(
      Array.from({ length: 20 }, (_, i) => second.transaction(async (tx) => (await tx.query<{ next: number }>(text, [i]))[0]?.next)),
    );
    expect(sums).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(detected).toEqual(["second"]);
  });

  it("runs the shell commands as a new user would: migrations from two processes at once, tenant create, serve, cron", async () => {
    const database = await scratchDatabase("cli");
    const env = { DATABASE_URL: database.pgbouncerUrl, LEDGER_DATA_DIR: "", LEDGER_POOLER: "" };

    const [one, two] = await Promise.all([ledgerCommand(env, "migrate"), ledgerCommand(env, "migrate")]);
    expect([one.status, two.status, one.stderr + two.stderr]).toEqual([0, 0, ""]);
    // The advisory lock lives in the migrating transaction, so the pooler can't lose it: one applies, the other waits and finds nothing to do.
    expect([one.stdout, two.stdout].sort()).toEqual([expect.stringMatching(/^applied migrations 1, 2, /), expect.stringContaining("database is up to date")]);
    const direct = await openDatabase({ databaseUrl: database.url, poolSize: 1 });
    open.push(direct);
    const versions = await direct.query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));

    const created = await ledgerCommand(env, "tenant", "create", "--name", "acme", "--json");
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);
    const { apiKey } = JSON.parse(created.stdout) as { apiKey: string };

    const server = await startLedgerProcess({ ...env, LEDGER_SCHEDULER: "off" });
    try {
      const post = (path: string, body: unknown, key: string) =>
        fetch(`${server.url}${path}`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key },
          body: JSON.stringify(body),
        });
      expect((await post("/v1/wallets/org:1/grants", { amount: 300, reason: "start" }, "grant-1")).status).toBe(201);
      const debits = await Promise.all(
        Array.from({ length: 40 }, (_, i) => post("/v1/wallets/org:1/debits", { kind: "manual", amount: 10, reason: `debit ${i}` }, `debit-${i}`)),
      );
      expect(debits.map((r) => r.status).sort()).toEqual([...Array(30).fill(201), ...Array(10).fill(409)]);
      const wallet = (await (await fetch(`${server.url}/v1/wallets/org:1`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { balance: number };
      expect(wallet.balance).toBe(0);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.output()).not.toMatch(/"level":"error"/);

    const cron = await ledgerCommand(env, "cron");
    expect(cron.stderr).toBe("");
    expect(cron.status).toBe(0);
    expect(JSON.parse(cron.stdout)).toMatchObject({ allocate: { tenants: 1, failedTenants: [] }, outbox: { remaining: 0 } });
  }, 120_000);
});

describe.skipIf(!postgresUrl())("a lost named statement", () => {
  // Lost on purpose on a direct connection: DEALLOCATE ALL behind the driver's back does to the
  // pool's one connection what a transaction-mode pooler does by handing over another.
  const text = "SELECT $1::int * 2 AS twice";
  const withLostStatement = async () => {
    const detected: number[] = [];
    const db = await openDatabase({ databaseUrl: postgresUrl(), poolSize: 1, onPoolerDetected: () => detected.push(1) });
    expect(await db.query(text, [1])).toEqual([{ twice: 2 }]);
    await db.exec("DEALLOCATE ALL");
    return { db, detected };
  };

  it("on its own is sent again unnamed, and named statements stay off", async () => {
    const { db, detected } = await withLostStatement();
    try {
      expect(await db.query(text, [21])).toEqual([{ twice: 42 }]);
      expect(detected).toEqual([1]);
      expect(await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements")).toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it("in a transaction runs the transaction again from the start, unnamed, even when the transaction caught the error", async () => {
    const { db, detected } = await withLostStatement();
    try {
      let attempts = 0;
      const result = await db.transaction(async (tx) => {
        attempts++;
        // A transaction that swallows the error must not commit: PostgreSQL aborted it.
        const row = await tx.query<{ twice: number }>(text, [5]).catch(() => null);
        return row?.[0]?.twice ?? "swallowed";
      });
      expect([result, attempts, detected]).toEqual([10, 2, [1]]);
    } finally {
      await db.close();
    }
  });
});

describe.skipIf(!pgbouncerUrl())("a database opened with LEDGER_POOLER=transaction", () => {
  let scratch: ScratchDatabase;
  beforeAll(async () => {
    scratch = await createScratchDatabase("declared");
  });
  afterAll(() => scratch.drop());

  it("prepares nothing by name, so clients sharing server connections never meet one", async () => {
    const pools = await Promise.all(
      [0, 1, 2].map(() =>
        openDatabase({ databaseUrl: scratch.pgbouncerUrl, poolSize: 3, pooler: "transaction", onPoolerDetected: () => expect.unreachable() }),
      ),
    );
    try {
      const results = await Promise.all(
        pools.flatMap((db, p) =>
          Array.from({ length: 10 }, (_, i) => db.transaction(async (tx) => (await tx.query<{ n: number }>("SELECT $1::int AS n", [p * 100 + i]))[0]?.n)),
        ),
      );
      expect(results.sort((a, b) => a! - b!)).toEqual([0, 1, 2].flatMap((p) => Array.from({ length: 10 }, (_, i) => p * 100 + i)));
      // Through the pooler, whichever server connection this lands on holds no statement of the ledger's.
      const leftovers = await pools[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'ledger_%'");
      expect(leftovers).toEqual([{ n: 0 }]);
    } finally {
      await Promise.all(pools.map((db) => db.close()));
    }
  });
});

describe.skipIf(!postgresUrl())("a statement the server refuses", () => {
  const backendPid = async (db: Database) => (await db.query<{ pid: number }>("SELECT pg_backend_pid() AS pid"))[0]!.pid;

  it("leaves its connection in the pool: an error the server reports for one statement costs no reconnect", async () => {
    const db = await openDatabase({ databaseUrl: postgresUrl(), poolSize: 1 });
    try {
      const before = await backendPid(db);
      await expect(db.query("SELECT 1 / 0")).rejects.toMatchObject({ code: "22012" });
      await expect(db.query("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'LR001'; END $$")).rejects.toMatchObject({ code: "LR001" });
      expect(await backendPid(db)).toBe(before);
    } finally {
      await db.close();
    }
  });

  it("drops a connection the server closed, and the next statement connects afresh", async () => {
    const db = await openDatabase({ databaseUrl: postgresUrl(), poolSize: 1 });
    try {
      const before = await backendPid(db);
      await expect(db.query("SELECT pg_terminate_backend(pg_backend_pid())")).rejects.toBeDefined();
      const after = await backendPid(db);
      expect(after).not.toBe(before);
    } finally {
      await db.close();
    }
  });
});
