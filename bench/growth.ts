/**
 * Cost as the ledger grows: one tenant filled to 10 thousand, 100 thousand and 1 million entries
 * across many banks (half of them in one deep bank), measuring at each size the latency of a
 * balance read, a debit and a statement page deep in the history, and the database size per entry.
 *
 * The history is written straight into the tables with SQL (a million debits through the API
 * would take an hour here) as the service would have written it: every entry with its draw, the
 * grants' remaining credits and the banks' balances consistent with the journal.
 */
import { createLedgerApp } from "../src/ledger/http/app.js";
import { openDatabase, type Database } from "../src/ledger/storage/db.js";
import { migrate } from "../src/ledger/storage/migrations.js";
import { createTenant } from "../src/ledger/core/tenants.js";
import { benchPostgres, freshDatabase, runWrk, startLedgerProcess, type WrkResult } from "./lib.js";

export interface GrowthLevel {
  entries: number;
  banks: number;
  balanceRead: WrkResult;
  debit: WrkResult;
  deepStatementPage: WrkResult;
  bytesPerEntry: number;
  databaseBytes: number;
}

const BIG_BANK = "org:1";
const START = new Date("2025-01-01T00:00:00Z");

async function appendHistory(db: Database, tenantId: string, fromBank: number, banks: number, perBank: number, prefix: string) {
  // Many banks, each with a grant and `perBank` debits of one credit.
  await db.query(
    `INSERT INTO wallets (tenant_id, owner, balance, created_at, updated_at)
     SELECT $1::text, 'org:' || b, 1000000000 - $4::bigint, $5::timestamptz, $5::timestamptz FROM generate_series($2::int, $2::int + $3::int - 1) b`,
    [tenantId, fromBank, banks, perBank, START],
  );
  await db.query(
    `INSERT INTO grants (id, tenant_id, owner, amount, remaining, source, paid, starts_at, created_at)
     SELECT 'grt_' || $6::text || lpad(b::text, 20, '0'), $1::text, 'org:' || b, 1000000000, 1000000000 - $4::bigint, 'manual', false, $5::timestamptz, $5::timestamptz
     FROM generate_series($2::int, $2::int + $3::int - 1) b`,
    [tenantId, fromBank, banks, perBank, START, prefix],
  );
  await db.query(
    `INSERT INTO entries (id, tenant_id, owner, kind, amount, balance_after, reason, grant_id, created_at)
     SELECT 'ent_' || $6::text || lpad((b::bigint * 1000000 + i)::text, 20, '0'), $1::text, 'org:' || b,
            CASE WHEN i = 0 THEN 'grant' ELSE 'manual' END,
            CASE WHEN i = 0 THEN 1000000000 ELSE -1 END,
            1000000000 - i, 'history',
            CASE WHEN i = 0 THEN 'grt_' || $6::text || lpad(b::text, 20, '0') END,
            $5::timestamptz + i * interval '1 minute'
     FROM generate_series($2::int, $2::int + $3::int - 1) b, generate_series(0, $4::int) i
     ORDER BY b, i`,
    [tenantId, fromBank, banks, perBank, START, prefix],
  );
  await db.query(
    `INSERT INTO entry_draws (tenant_id, entry_id, grant_id, amount)
     SELECT $5::text, 'ent_' || $4::text || lpad((b::bigint * 1000000 + i)::text, 20, '0'), 'grt_' || $4::text || lpad(b::text, 20, '0'), -1
     FROM generate_series($1::int, $1::int + $2::int - 1) b, generate_series(1, $3::int) i`,
    [fromBank, banks, perBank, prefix, tenantId],
  );
}

async function appendToBigBank(db: Database, tenantId: string, count: number, prefix: string) {
  const [bank] = await db.query<{ balance: number }>("SELECT balance FROM wallets WHERE tenant_id = $1 AND owner = $2", [tenantId, BIG_BANK]);
  const [grant] = await db.query<{ id: string }>("SELECT id FROM grants WHERE tenant_id = $1 AND owner = $2", [tenantId, BIG_BANK]);
  const balance = bank!.balance;
  await db.query(
    `INSERT INTO entries (id, tenant_id, owner, kind, amount, balance_after, reason, created_at)
     SELECT 'ent_' || $5::text || lpad(i::text, 20, '0'), $1::text, $2::text, 'manual', -1, $3::bigint - i, 'history', $6::timestamptz + i * interval '1 second'
     FROM generate_series(1, $4::int) i ORDER BY i`,
    [tenantId, BIG_BANK, balance, count, prefix, START],
  );
  await db.query(
    `INSERT INTO entry_draws (tenant_id, entry_id, grant_id, amount) SELECT $4::text, 'ent_' || $3::text || lpad(i::text, 20, '0'), $1::text, -1 FROM generate_series(1, $2::int) i`,
    [grant!.id, count, prefix, tenantId],
  );
  await db.query("UPDATE grants SET remaining = remaining - $3 WHERE tenant_id = $1 AND id = $2", [tenantId, grant!.id, count]);
  await db.query("UPDATE wallets SET balance = balance - $3 WHERE tenant_id = $1 AND owner = $2", [tenantId, BIG_BANK, count]);
}

export async function benchGrowth(options: { seconds: number; sizes?: number[] }): Promise<{ postgres: string; levels: GrowthLevel[] }> {
  const sizes = options.sizes ?? [10_000, 100_000, 1_000_000];
  console.log("growth (one tenant; latencies at 1 client, wrk)");
  const pgServer = await benchPostgres();
  const url = await freshDatabase(pgServer.adminUrl, "bench_growth");
  const db = await openDatabase({ databaseUrl: url, poolSize: 2 });
  const levels: GrowthLevel[] = [];
  try {
    await migrate(db);
    const { tenantId, apiKey } = await createTenant(db, { name: "growth" });
    // The deep bank starts with one big grant through the service itself.
    const app = createLedgerApp({ db, log: () => undefined });
    await app.fetch(
      new Request(`http://bench/v1/wallets/${BIG_BANK}/grants`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": "big-bank" },
        body: JSON.stringify({ amount: 1_000_000_000, reason: "deep bank" }),
      }),
    );
    let entries = 1;
    let banks = 1;
    for (const [index, size] of sizes.entries()) {
      const adding = size - entries;
      const newBanks = 1000;
      const perBank = Math.max(1, Math.floor(adding / 2 / newBanks) - 1);
      await appendHistory(db, tenantId, banks + 1, newBanks, perBank, `g${index}a`);
      banks += newBanks;
      entries += newBanks * (perBank + 1);
      await appendToBigBank(db, tenantId, size - entries, `g${index}b`);
      entries = size;
      // Measure the steady state, not autovacuum catching up with the bulk load.
      await db.query("VACUUM ANALYZE");
      await db.query("CHECKPOINT").catch(() => undefined); // superuser only; harmless without

      // A cursor deep in the big bank's history: 90 % of the way back.
      const [deep] = await db.query<{ seq: number }>(
        `SELECT seq FROM entries WHERE tenant_id = $1 AND owner = $2 ORDER BY seq ASC OFFSET (SELECT count(*) / 10 FROM entries WHERE tenant_id = $1 AND owner = $2) LIMIT 1`,
        [tenantId, BIG_BANK],
      );
      const cursor = deep!.seq.toString(36);
      const [size_] = await db.query<{ bytes: number }>(
        `SELECT (pg_total_relation_size('entries') + pg_total_relation_size('entry_draws') + pg_total_relation_size('grants')
                + pg_total_relation_size('wallets') + pg_total_relation_size('idempotency_keys'))::bigint AS bytes`,
      );

      const server = await startLedgerProcess({ DATABASE_URL: url, LEDGER_POOL_SIZE: "4" });
      try {
        const run = (script: string, args: (phase: string) => string[]) => {
          runWrk(server.url, { connections: 1, seconds: 1, script, args: args("warm") });
          return runWrk(server.url, { connections: 1, seconds: options.seconds, script, args: args("run") });
        };
        const balanceRead = run("bench/get.lua", () => [`/v1/wallets/${BIG_BANK}`, apiKey]);
        const deepStatementPage = run("bench/get.lua", () => [`/v1/wallets/${BIG_BANK}/entries?limit=50&cursor=${cursor}`, apiKey]);
        // Each phase its own Idempotency-Keys, or the run would replay the warm-up's.
        const debit = run("bench/debits.lua", (phase) => [String(banks), apiKey, `growth-${size}-${phase}`]);
        const level = {
          entries: size,
          banks,
          balanceRead,
          debit,
          deepStatementPage,
          bytesPerEntry: Math.round(size_!.bytes / size),
          databaseBytes: size_!.bytes,
        };
        levels.push(level);
        console.log(
          `  ${size.toLocaleString("en").padStart(9)} entries, ${banks} banks: balance p50 ${balanceRead.p50.toFixed(2)} ms · debit p50 ${debit.p50.toFixed(2)} ms · deep page p50 ${deepStatementPage.p50.toFixed(2)} ms · ${level.bytesPerEntry} bytes/entry`,
        );
      } finally {
        await server.stop();
      }
    }
    return { postgres: pgServer.source, levels };
  } finally {
    await db.close();
    await pgServer.server?.stop();
  }
}
