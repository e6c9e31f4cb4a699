/**
 * The bank test, after Jepsen's: clients move credits between a few small banks at the edge of
 * their balances (debits, grants, reversals), each write with a key of its own, retrying timeouts,
 * 5xx and 429 with the same key (sometimes on the other ledger process), some giving up. What each
 * client sent and every answer it got is recorded; `checkBank` then holds that history against
 * the journal read back from the database. The checks are plain functions so that a test can
 * damage what was read back and see each one fail.
 */
import { randomUUID } from "node:crypto";
import type { Database } from "../../src/ledger/storage/db.js";

export type Operation =
  { kind: "debit"; owner: string; amount: number } | { kind: "grant"; owner: string; amount: number } | { kind: "reversal"; owner: string; entryId: string };

/** One definitive answer: a 2xx, or a refusal (4xx other than 429). */
export interface Answer {
  status: number;
  text: string;
}

export interface KeyHistory {
  key: string;
  operation: Operation;
  /** Every definitive answer the client got for the key, in order. */
  answers: Answer[];
  /** Attempts that got no definitive answer (timeouts, network errors, 5xx, 429). */
  indeterminate: number;
  /** The client stopped trying without a definitive answer. */
  gaveUp: boolean;
}

export interface BankHistory {
  keys: Map<string, KeyHistory>;
  /** Attempts by outcome, for the report. */
  outcomes: Record<string, number>;
}

export interface JournalEntry {
  seq: number;
  id: string;
  owner: string;
  kind: string;
  amount: number;
  balanceAfter: number;
  reason: string | null;
  createdAt: Date;
}

export interface StoredKey {
  key: string;
  status: number | null;
  response: string | null;
  refusedCode: string | null;
}

export interface Journal {
  entries: JournalEntry[];
  keys: Map<string, StoredKey>;
  balances: Map<string, number>;
}

const reasonFor = (key: string) => `bank ${key}`;
const keyOfReason = (reason: string | null) => (reason?.startsWith("bank ") ? reason.slice(5) : null);

export interface LoadOptions {
  /** Ledger processes to send to; a retry may go to another one. */
  upstreams: () => string[];
  apiKey: string;
  owners: string[];
  clients: number;
  /** How long one attempt may take before the client gives up on it and retries. */
  attemptTimeoutMs: number;
}

export interface BankLoad {
  history: BankHistory;
  /** Stops the clients once their current operation ends; resolves with the history. */
  stop(): Promise<BankHistory>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts the clients. Every third client gives up after two failed attempts; the others keep retrying. */
export function startBankLoad(options: LoadOptions): BankLoad {
  const history: BankHistory = { keys: new Map(), outcomes: {} };
  let running = true;
  const count = (outcome: string) => (history.outcomes[outcome] = (history.outcomes[outcome] ?? 0) + 1);

  const attempt = async (upstream: string, op: Operation, key: string): Promise<Answer | null> => {
    const path =
      op.kind === "reversal"
        ? `/v1/entries/${op.entryId}/reversal`
        : `/v1/wallets/${encodeURIComponent(op.owner)}/${op.kind === "debit" ? "debits" : "grants"}`;
    const body =
      op.kind === "reversal"
        ? { reason: reasonFor(key) }
        : op.kind === "debit"
          ? { kind: "manual", amount: op.amount, reason: reasonFor(key) }
          : { amount: op.amount, reason: reasonFor(key), source: "manual" };
    try {
      const response = await fetch(`${upstream}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${options.apiKey}`, "content-type": "application/json", "idempotency-key": key },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.attemptTimeoutMs),
      });
      const text = await response.text();
      if (response.status >= 500 || response.status === 429) {
        count(String(response.status));
        return null;
      }
      count(String(response.status));
      return { status: response.status, text };
    } catch {
      count("timeout or network");
      return null;
    }
  };

  const client = async (index: number) => {
    const quitter = index % 3 === 0;
    const mine: { owner: string; entryId: string }[] = [];
    let turn = index;
    while (running) {
      const owner = options.owners[Math.floor(Math.random() * options.owners.length)]!;
      const roll = Math.random();
      const op: Operation =
        roll < 0.15 && mine.length > 0
          ? { kind: "reversal", ...mine.splice(Math.floor(Math.random() * mine.length), 1)[0]! }
          : roll < 0.3
            ? { kind: "grant", owner, amount: 5 + Math.floor(Math.random() * 40) }
            : { kind: "debit", owner, amount: 1 + Math.floor(Math.random() * 30) };
      const key = `bank-${index}-${randomUUID()}`;
      const record: KeyHistory = { key, operation: op, answers: [], indeterminate: 0, gaveUp: false };
      history.keys.set(key, record);
      for (let tries = 1; ; tries++) {
        const upstreams = options.upstreams();
        const answer = await attempt(upstreams[turn++ % upstreams.length]!, op, key);
        if (answer) {
          record.answers.push(answer);
          // Now and then the client asks once more with the same key, as after a lost answer.
          if (Math.random() < 0.1) {
            const again = await attempt(upstreams[turn++ % upstreams.length]!, op, key);
            if (again) record.answers.push(again);
          }
          if (answer.status === 201 && op.kind !== "reversal") {
            const entryId = (JSON.parse(answer.text) as { entry: { id: string } }).entry.id;
            if (op.kind === "debit" || Math.random() < 0.3) mine.push({ owner: op.owner, entryId });
          }
          break;
        }
        record.indeterminate++;
        if ((quitter && tries >= 2) || tries >= 40) {
          record.gaveUp = true;
          break;
        }
        await sleep(Math.min(1000, 50 * tries));
      }
    }
  };

  const clients = Array.from({ length: options.clients }, (_, i) => client(i));
  return {
    history,
    stop: async () => {
      running = false;
      await Promise.all(clients);
      return history;
    },
  };
}

/** The tenant's journal, its stored keys and its banks' balances, read straight from the database. */
export async function readJournal(db: Database, tenantId: string): Promise<Journal> {
  const entries = await db.query<{
    seq: number;
    id: string;
    owner: string;
    kind: string;
    amount: number;
    balance_after: number;
    reason: string | null;
    created_at: Date;
  }>("SELECT seq, id, owner, kind, amount, balance_after, reason, created_at FROM entries WHERE tenant_id = $1 ORDER BY seq", [tenantId]);
  const keys = await db.query<{ key: string; status: number | null; response: string | null; refused_code: string | null }>(
    "SELECT key, status, response, refused_code FROM idempotency_keys WHERE tenant_id = $1 AND scope = 'client'",
    [tenantId],
  );
  const wallets = await db.query<{ owner: string; balance: number }>("SELECT owner, balance FROM wallets WHERE tenant_id = $1", [tenantId]);
  return {
    entries: entries.map((e) => ({
      seq: Number(e.seq),
      id: e.id,
      owner: e.owner,
      kind: e.kind,
      amount: Number(e.amount),
      balanceAfter: Number(e.balance_after),
      reason: e.reason,
      createdAt: new Date(e.created_at),
    })),
    keys: new Map(keys.map((k) => [k.key, { key: k.key, status: k.status, response: k.response, refusedCode: k.refused_code }])),
    balances: new Map(wallets.map((w) => [w.owner, Number(w.balance)])),
  };
}

export type Check =
  | "acknowledged once"
  | "no entry no client sent"
  | "one answer per key"
  | "refused wrote nothing"
  | "indeterminate once or never"
  | "balances equal entries"
  | "dates in journal order";

export interface Violation {
  check: Check;
  detail: string;
}

/** Every way the history and the journal disagree; none when the ledger kept its promises. */
export function checkBank(history: BankHistory, journal: Journal): Violation[] {
  const violations: Violation[] = [];
  const fail = (check: Check, detail: string) => violations.push({ check, detail });
  const entriesOfKey = new Map<string, JournalEntry[]>();
  for (const entry of journal.entries) {
    const key = keyOfReason(entry.reason);
    if (key === null || !history.keys.has(key)) {
      fail("no entry no client sent", `entry ${entry.id} (${entry.reason}) answers no key a client sent`);
      continue;
    }
    entriesOfKey.set(key, [...(entriesOfKey.get(key) ?? []), entry]);
  }

  for (const record of history.keys.values()) {
    const written = entriesOfKey.get(record.key) ?? [];
    const stored = journal.keys.get(record.key);
    const first = record.answers[0];
    for (const answer of record.answers.slice(1)) {
      if (answer.status !== first!.status || answer.text !== first!.text)
        fail("one answer per key", `${record.key} was answered ${first!.status} and then ${answer.status}: ${first!.text} / ${answer.text}`);
    }
    if (first && first.status === 201) {
      const entryId = (JSON.parse(first.text) as { entry: { id: string } }).entry.id;
      const matching = written.filter((e) => e.id === entryId);
      if (written.length !== 1 || matching.length !== 1)
        fail("acknowledged once", `${record.key} was acknowledged as ${entryId} but the journal has ${written.length} entries for it`);
      if (stored?.status !== 201 || stored.response !== first.text)
        fail("one answer per key", `${record.key} was answered 201 but its key holds another answer`);
    } else if (first) {
      const refusal = JSON.parse(first.text) as { code: string };
      if (written.length > 0) fail("refused wrote nothing", `${record.key} was refused (${refusal.code}) but wrote ${written.map((e) => e.id).join(", ")}`);
      if (stored?.refusedCode !== refusal.code)
        fail("one answer per key", `${record.key} was refused with ${refusal.code} but its key holds ${stored?.refusedCode ?? stored?.status ?? "nothing"}`);
    } else {
      // No definitive answer: written once, with its key answered, or never.
      if (written.length > 1) fail("indeterminate once or never", `${record.key} got no answer and wrote ${written.length} entries`);
      if (written.length === 1 && (stored?.status !== 201 || !stored.response?.includes(written[0]!.id)))
        fail("indeterminate once or never", `${record.key} wrote ${written[0]!.id} but its key does not answer it`);
      if (written.length === 0 && stored?.status === 201) fail("indeterminate once or never", `${record.key} holds a 201 but wrote nothing`);
    }
  }

  const byOwner = new Map<string, JournalEntry[]>();
  for (const entry of journal.entries) byOwner.set(entry.owner, [...(byOwner.get(entry.owner) ?? []), entry]);
  for (const [owner, balance] of journal.balances) {
    const entries = (byOwner.get(owner) ?? []).sort((a, b) => a.seq - b.seq);
    let running = 0;
    for (const entry of entries) {
      running += entry.amount;
      if (entry.balanceAfter !== running)
        fail("balances equal entries", `${owner}: entry ${entry.id} says ${entry.balanceAfter} after it, the entries add up to ${running}`);
    }
    if (running !== balance) fail("balances equal entries", `${owner}: balance ${balance}, entries add up to ${running}`);
    for (let i = 1; i < entries.length; i++) {
      if (entries[i]!.createdAt < entries[i - 1]!.createdAt)
        fail(
          "dates in journal order",
          `${owner}: ${entries[i]!.id} is dated ${entries[i]!.createdAt.toISOString()}, before ${entries[i - 1]!.id} written before it (${entries[i - 1]!.createdAt.toISOString()})`,
        );
    }
  }
  return violations;
}
