import { expect } from "vitest";
import type { Sql } from "../../src/ledger/storage/db.js";
import type { Acknowledged } from "./load.js";

/**
 * Nothing lost, doubled or half-written: every acknowledged write is in the journal exactly once,
 * every entry has its idempotency record (same transaction) and vice versa, and every bank's
 * cached balance and grants agree with its entries.
 */
export async function verifyLedger(db: Sql, tenantId: string, acknowledged: Acknowledged[], seedKeys: number) {
  const ids = acknowledged.map((a) => a.entryId);
  expect(new Set(ids).size).toBe(ids.length);
  const found = await db.query<{ id: string; amount: number }>("SELECT id, amount FROM entries WHERE tenant_id = $1 AND id = ANY($2::text[])", [tenantId, ids]);
  expect(found.length).toBe(acknowledged.length);
  const amounts = new Map(found.map((r) => [r.id, r.amount]));
  for (const a of acknowledged) expect(amounts.get(a.entryId)).toBe(a.amount);

  const [counts] = await db.query<{ entries: number; keys: number }>(
    `SELECT (SELECT count(*) FROM entries WHERE tenant_id = $1)::int AS entries,
            (SELECT count(*) FROM idempotency_keys WHERE tenant_id = $1)::int AS keys`,
    [tenantId],
  );
  expect(counts!.entries).toBe(counts!.keys);
  expect(counts!.entries - seedKeys).toBeGreaterThanOrEqual(acknowledged.length);

  const wallets = await db.query<{ owner: string; balance: number; total: number; remaining: number }>(
    `SELECT w.owner, w.balance,
            (SELECT coalesce(sum(amount), 0) FROM entries e WHERE e.tenant_id = w.tenant_id AND e.owner = w.owner)::bigint AS total,
            (SELECT coalesce(sum(remaining), 0) FROM grants g WHERE g.tenant_id = w.tenant_id AND g.owner = w.owner AND g.closed_at IS NULL)::bigint AS remaining
     FROM wallets w WHERE w.tenant_id = $1`,
    [tenantId],
  );
  for (const w of wallets) {
    expect(w.balance).toBe(w.total);
    expect(w.remaining).toBe(Math.max(0, w.balance));
  }
  const [halfDrawn] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM entries e
     WHERE e.tenant_id = $1 AND e.kind = 'manual'
       AND -e.amount <> (SELECT coalesce(-sum(d.amount), 0) FROM entry_draws d WHERE d.entry_id = e.id)`,
    [tenantId],
  );
  expect(halfDrawn!.n).toBe(0);
}

/** Sending an acknowledged request again replays its original answer: the key survived. */
export async function verifyReplays(baseUrl: string, apiKey: string, acknowledged: Acknowledged[], sample = 50) {
  for (const a of acknowledged.slice(0, sample)) {
    const response = await fetch(baseUrl + a.path, {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": a.key },
      body: a.body,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("idempotent-replayed")).toBe("true");
    expect(((await response.json()) as { entry: { id: string } }).entry.id).toBe(a.entryId);
  }
}
