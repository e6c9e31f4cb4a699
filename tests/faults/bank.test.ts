/**
 * The bank test (README, "Reliability"): two ledger processes on one PostgreSQL, one of them
 * through PgBouncer in transaction mode; twelve clients debiting at the edge of small balances,
 * granting and reversing, retrying with the same key (sometimes on the other process) or giving
 * up; meanwhile each process is killed with SIGKILL, PostgreSQL restarts immediately (crash
 * recovery), the pooler freezes for 6 s and is then killed. Afterwards every check of
 * `checkBank` holds, and each check is shown able to fail on a damaged copy of what was read.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { openDatabase } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { startLedgerProcess, type LedgerProcess } from "../helpers/ledger-process.js";
import { startEmbeddedPostgres, type EmbeddedServer } from "../setup/embedded-postgres.js";
import { hasPgBouncer, startPgBouncer, type PgBouncer } from "../setup/pgbouncer.js";
import { loud } from "../setup/postgres.js";
import { checkBank, readJournal, startBankLoad, type BankHistory, type Check, type Journal } from "./bank.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ci = process.env.CI === "true" || process.env.CI === "1";
const OWNERS = ["org:1", "org:2", "org:3", "org:4"];

if (!hasPgBouncer()) {
  if (ci) throw new Error("PgBouncer is missing: the bank test must run under CI=true (.ci/run installs Debian's pgbouncer).");
  loud("PgBouncer is not installed: the bank test is SKIPPED (apt-get install pgbouncer).");
}

describe.runIf(hasPgBouncer())("the bank test: two processes, one through PgBouncer, under kills, a PostgreSQL restart and a pooler freeze", () => {
  let postgres: EmbeddedServer;
  let bouncer: PgBouncer;
  let history: BankHistory;
  let journal: Journal;
  let recoveredBehindPoolerMs: number;

  beforeAll(async () => {
    postgres = await startEmbeddedPostgres({ durable: true });
    bouncer = await startPgBouncer(postgres.url, { serverConnections: 10 });
  }, 120_000);
  afterAll(async () => {
    await bouncer?.stop();
    await postgres?.stop();
  });

  it("keeps every promise: acknowledged once, nothing unsent, one answer per key, refusals write nothing, balances and dates agree", async () => {
    const db = await openDatabase({ databaseUrl: postgres.url, poolSize: 2 });
    await migrate(db);
    const tenant = await createTenant(db, { name: `bank-${Date.now()}` });
    await db.close();
    const direct = { DATABASE_URL: postgres.url, LEDGER_SCHEDULER: "off" };
    const pooled = { DATABASE_URL: bouncer.url, LEDGER_POOLER: "transaction", LEDGER_SCHEDULER: "off" };
    const started = await Promise.all([startLedgerProcess(direct), startLedgerProcess(pooled)]);
    let a: LedgerProcess = started[0];
    let b: LedgerProcess = started[1];
    const upstreams = [a.url, b.url];

    const load = startBankLoad({ upstreams: () => upstreams, apiKey: tenant.apiKey, owners: OWNERS, clients: 12, attemptTimeoutMs: 2_000 });
    // The banks start small, so that debits meet their edge: grants through the load's own history.
    for (const owner of OWNERS) {
      const key = `bank-seed-${owner}`;
      const response = await fetch(`${a.url}/v1/wallets/${owner}/grants`, {
        method: "POST",
        headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify({ amount: 60, reason: `bank ${key}` }),
      });
      load.history.keys.set(key, {
        key,
        operation: { kind: "grant", owner, amount: 60 },
        answers: [{ status: response.status, text: await response.text() }],
        indeterminate: 0,
        gaveUp: false,
      });
    }
    try {
      await sleep(2_000);
      await a.kill();
      await sleep(300);
      a = await startLedgerProcess(direct, { port: a.port });

      await sleep(1_500);
      await postgres.halt("immediate");
      await sleep(1_000);
      await postgres.resume();
      // How long the process behind the pooler takes to serve again (PgBouncer's server_login_retry).
      const resumedAt = performance.now();
      for (;;) {
        const answer = await fetch(`${b.url}/v1/wallets/org:1`, {
          headers: { authorization: `Bearer ${tenant.apiKey}` },
          signal: AbortSignal.timeout(2_000),
        }).catch(() => null);
        if (answer?.status === 200) break;
        await sleep(100);
      }
      recoveredBehindPoolerMs = performance.now() - resumedAt;

      await sleep(1_500);
      process.kill(bouncer.pid, "SIGSTOP");
      await sleep(6_000);
      process.kill(bouncer.pid, "SIGCONT");

      await sleep(1_500);
      await bouncer.kill();
      bouncer = await startPgBouncer(postgres.url, { serverConnections: 10, port: bouncer.port });

      await sleep(1_500);
      await b.kill();
      await sleep(300);
      b = await startLedgerProcess(pooled, { port: b.port });
      await sleep(2_500);
    } finally {
      history = await load.stop();
      await Promise.all([a.stop(), b.stop()]);
    }
    // Attempts still running inside PostgreSQL (their process killed) end within the ledger's deadline.
    const reader = await openDatabase({ databaseUrl: postgres.url, poolSize: 1 });
    try {
      for (let i = 0; i < 150; i++) {
        const busy = await reader.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
        );
        if (busy[0]!.n === 0) break;
        await sleep(100);
      }
      journal = await readJournal(reader, tenant.tenantId);
    } finally {
      await reader.close();
    }

    const records = [...history.keys.values()];
    const acknowledged = records.filter((r) => r.answers[0]?.status === 201);
    const refused = records.filter((r) => r.answers[0] && r.answers[0].status !== 201);
    const unanswered = records.filter((r) => r.answers.length === 0);
    console.info(
      `bank test: ${records.length} keys, ${acknowledged.length} acknowledged, ${refused.length} refused ` +
        `(${refused.filter((r) => r.answers[0]!.text.includes("insufficient_credits")).length} for insufficient credits), ` +
        `${records.reduce((n, r) => n + r.answers.length - 1, 0)} answers replayed to clients, ${records.filter((r) => r.indeterminate > 0).length} keys retried, ` +
        `${unanswered.length} given up (${unanswered.filter((r) => journal.entries.some((e) => e.reason === `bank ${r.key}`)).length} of them written); ` +
        `attempts by outcome ${JSON.stringify(history.outcomes)}; ${journal.entries.length} entries; ` +
        `the process behind PgBouncer served again ${Math.round(recoveredBehindPoolerMs)} ms after PostgreSQL was back`,
    );
    expect(checkBank(history, journal)).toEqual([]);
    // The run tested something: writes at the edge were refused, faults made clients retry and give up.
    expect(acknowledged.length).toBeGreaterThan(100);
    expect(refused.filter((r) => r.answers[0]!.text.includes("insufficient_credits")).length).toBeGreaterThan(10);
    expect(records.filter((r) => r.indeterminate > 0).length).toBeGreaterThan(0);
    expect(unanswered.length).toBeGreaterThan(0);
    // The database being unavailable is answered 503 (with Retry-After), never 500.
    expect(history.outcomes["500"]).toBeUndefined();
    expect(history.outcomes["503"]).toBeGreaterThan(0);
    // Not PgBouncer's default 15 s refusal after a failed server login (server_login_retry = 1).
    expect(recoveredBehindPoolerMs).toBeLessThan(10_000);
  }, 180_000);

  it("shows each check able to fail: damaged copies of what was read back are caught", () => {
    expect(journal, "the bank run must have read the journal").toBeDefined();
    const records = [...history.keys.values()];
    const acknowledgedDebit = records.find((r) => r.operation.kind === "debit" && r.answers[0]?.status === 201)!;
    const refusedDebit = records.find((r) => r.answers[0]?.text.includes("insufficient_credits"))!;
    const entryOf = (key: string) => journal.entries.find((e) => e.reason === `bank ${key}`)!;
    const copy = (): { history: BankHistory; journal: Journal } => ({
      history: { outcomes: { ...history.outcomes }, keys: new Map([...history.keys].map(([k, r]) => [k, { ...r, answers: [...r.answers] }])) },
      journal: {
        entries: journal.entries.map((e) => ({ ...e })),
        keys: new Map([...journal.keys].map(([k, v]) => [k, { ...v }])),
        balances: new Map(journal.balances),
      },
    });
    const damages: Array<[Check, (d: { history: BankHistory; journal: Journal }) => void]> = [
      ["acknowledged once", (d) => (d.journal.entries = d.journal.entries.filter((e) => e.reason !== `bank ${acknowledgedDebit.key}`))],
      ["acknowledged once", (d) => d.journal.entries.push({ ...entryOf(acknowledgedDebit.key), seq: 1e9, id: "ent_copy" })],
      [
        "no entry no client sent",
        (d) => d.journal.entries.push({ ...entryOf(acknowledgedDebit.key), seq: 1e9, id: "ent_stray", reason: "bank nobody-sent-this" }),
      ],
      ["one answer per key", (d) => d.history.keys.get(acknowledgedDebit.key)!.answers.push({ status: 409, text: refusedDebit.answers[0]!.text })],
      ["one answer per key", (d) => (d.journal.keys.get(refusedDebit.key)!.refusedCode = null)],
      [
        "refused wrote nothing",
        (d) => d.journal.entries.push({ ...entryOf(acknowledgedDebit.key), seq: 1e9, id: "ent_refused", reason: `bank ${refusedDebit.key}` }),
      ],
      [
        "indeterminate once or never",
        (d) => {
          const entry = entryOf(acknowledgedDebit.key);
          d.history.keys.get(acknowledgedDebit.key)!.answers = [];
          d.journal.entries.push({ ...entry, seq: 1e9, id: "ent_twice" });
        },
      ],
      ["balances equal entries", (d) => d.journal.balances.set("org:1", d.journal.balances.get("org:1")! + 1)],
      [
        "dates in journal order",
        (d) => {
          const last = d.journal.entries.filter((e) => e.owner === "org:2").at(-1)!;
          last.createdAt = new Date(last.createdAt.getTime() - 60_000);
        },
      ],
    ];
    for (const [check, damage] of damages) {
      const damaged = copy();
      damage(damaged);
      expect(
        checkBank(damaged.history, damaged.journal).map((v) => v.check),
        check,
      ).toContain(check);
    }
  });
});
