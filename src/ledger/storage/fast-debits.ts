/**
 * The single-statement debit (`ledger_post_debit`; its current source is in storage/schema.sql): lock,
 * price, burn down, write, and record the key's answer in one round trip, when the wallet's cached facts allow
 * it. It answers "posted" with the answer's JSON text, "replay" with a key's answer (or refusal),
 * "full_path_needed" or "insufficient" (the wallet can't pay; the figures as JSON), these two
 * having written nothing. It raises LR001 when a concurrent request with the same key finished
 * first (what it wrote is rolled back; asked again, the statement replays that request's answer).
 *
 * The statement locks the wallet before it records the key; the full posting path claims the key
 * before it locks the wallet. Two requests with one key, one on each path, can therefore deadlock:
 * PostgreSQL then aborts one of them whole. The full path retries its transaction, and this
 * statement is asked again too (like LR001, nothing of it was written).
 */
import type { Sql } from "./db.js";
import { parseRefusal, type KeyAnswer, type ScopedKey } from "./idempotency.js";

export interface FastDebit {
  tenantId: string;
  owner: string;
  key: ScopedKey;
  requestHash: string;
  now: Date;
  entryId: string;
  kind: "manual" | "time";
  /** Manual debits: the credits; time debits: priced in the statement. */
  amount: number | null;
  minutes: number | null;
  ticketId: string | null;
  reason: string | null;
  agent: string | null;
  /** The configuration version the caller believes current, and its time rate. */
  configVersion: number;
  rate: { credits: number; perMinutes: number; incrementMinutes: number; minimumMinutes: number };
}

export type FastDebitResult =
  | { outcome: "posted"; text: string }
  | { outcome: "replay"; answer: KeyAnswer }
  | { outcome: "full_path_needed" }
  | { outcome: "insufficient"; balance: number; required: number; available: number };

/** Nothing was written and asking again is safe: the key was taken meanwhile (LR001), or PostgreSQL broke a deadlock or a serialization conflict. */
const ASK_AGAIN_CODES = new Set(["LR001", "40P01", "40001"]);
const ASK_AGAIN = Symbol("ask again");
/** A key is answered once another request finished with it, so one more ask replays; a third is a margin. */
const ASKS = 3;

export async function postDebitInOneStatement(sql: Sql, d: FastDebit): Promise<FastDebitResult> {
  for (let ask = 1; ; ask++) {
    const result = await askOnce(sql, d);
    if (result !== ASK_AGAIN) return result;
    if (ask >= ASKS) return { outcome: "full_path_needed" };
  }
}

async function askOnce(sql: Sql, d: FastDebit): Promise<FastDebitResult | typeof ASK_AGAIN> {
  try {
    const rows = await sql.query<{
      outcome: "posted" | "replay" | "full_path_needed" | "insufficient";
      status: number | null;
      request_hash: string;
      response: string;
      refused_code: string | null;
    }>(
      "SELECT outcome, status, request_hash, response, refused_code FROM ledger_post_debit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
      [
        d.tenantId,
        d.owner,
        d.key.scope,
        d.key.key,
        d.requestHash,
        d.now,
        d.entryId,
        d.kind,
        d.amount,
        d.minutes,
        d.ticketId,
        d.reason,
        d.agent,
        d.configVersion,
        d.rate.credits,
        d.rate.perMinutes,
        d.rate.incrementMinutes,
        d.rate.minimumMinutes,
      ],
    );
    const row = rows[0]!;
    switch (row.outcome) {
      case "posted":
        return { outcome: "posted", text: row.response };
      case "replay":
        return {
          outcome: "replay",
          answer:
            row.refused_code !== null
              ? { state: "refused", requestHash: row.request_hash, ...parseRefusal(row.refused_code, row.response) }
              : { state: "done", requestHash: row.request_hash, status: row.status!, text: row.response },
        };
      case "full_path_needed":
        return { outcome: "full_path_needed" };
      case "insufficient": {
        const figures = JSON.parse(row.response) as { balance: number; required: number; available: number };
        return { outcome: "insufficient", balance: Number(figures.balance), required: Number(figures.required), available: Number(figures.available) };
      }
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && ASK_AGAIN_CODES.has(code)) return ASK_AGAIN;
    throw error;
  }
}
