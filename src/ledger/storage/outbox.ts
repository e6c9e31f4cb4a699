/**
 * The outbox's SQL. Rows are enqueued inside the transaction of the change that calls for them;
 * the deliverer claims due rows (skipping rows another process holds), then finishes, reschedules
 * or fails each one.
 */
import type { Sql } from "./db.js";

export interface NewOutboxRow {
  id: string;
  tenantId: string;
  kind: string;
  dedupeKey: string;
  payload: unknown;
  now: Date;
  /** When the row first becomes due; defaults to now. */
  dueAt?: Date;
}

export interface OutboxRow {
  id: string;
  tenantId: string;
  kind: string;
  dedupeKey: string;
  payload: unknown;
  state: "pending" | "done" | "failed";
  attempts: number;
  generation: number;
  nextAttemptAt: Date;
  lastError: string | null;
  createdAt: Date;
  doneAt: Date | null;
}

type OutboxDbRow = {
  id: string;
  tenant_id: string;
  kind: string;
  dedupe_key: string;
  payload: unknown;
  state: OutboxRow["state"];
  attempts: number;
  generation: number;
  next_attempt_at: Date;
  last_error: string | null;
  created_at: Date;
  done_at: Date | null;
};
const columns = "id, tenant_id, kind, dedupe_key, payload, state, attempts, generation, next_attempt_at, last_error, created_at, done_at";
const toRow = (r: OutboxDbRow): OutboxRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  dedupeKey: r.dedupe_key,
  payload: typeof r.payload === "string" ? JSON.parse(r.payload) : r.payload,
  state: r.state,
  attempts: r.attempts,
  generation: r.generation,
  nextAttemptAt: r.next_attempt_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  doneAt: r.done_at,
});

/** Enqueues a row once per dedupe key; returns the id of the row that holds the key (new or existing). */
export async function enqueue(sql: Sql, row: NewOutboxRow): Promise<string> {
  const rows = await sql.query<{ id: string }>(
    `WITH inserted AS (
       INSERT INTO outbox (id, tenant_id, kind, dedupe_key, payload, next_attempt_at, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $7)
       ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
       RETURNING id
     )
     SELECT id FROM inserted UNION ALL SELECT id FROM outbox WHERE tenant_id = $2 AND dedupe_key = $4 LIMIT 1`,
    [row.id, row.tenantId, row.kind, row.dedupeKey, JSON.stringify(row.payload), row.dueAt ?? row.now, row.now],
  );
  return rows[0]!.id;
}

/**
 * Enqueues a job that coalesces: while one is pending a new request joins it; once it has finished,
 * a new request makes it due again (with a new generation, so an in-flight delivery of the old
 * request can't mark the new one done).
 */
export async function enqueueCoalesced(sql: Sql, row: NewOutboxRow): Promise<string> {
  const rows = await sql.query<{ id: string }>(
    `INSERT INTO outbox AS o (id, tenant_id, kind, dedupe_key, payload, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6, $6, $6)
     ON CONFLICT (tenant_id, dedupe_key) DO UPDATE
       SET state = 'pending', attempts = 0, generation = o.generation + 1, next_attempt_at = EXCLUDED.next_attempt_at,
           payload = EXCLUDED.payload, last_error = NULL, done_at = NULL, updated_at = EXCLUDED.updated_at
     RETURNING id`,
    [row.id, row.tenantId, row.kind, row.dedupeKey, JSON.stringify(row.payload), row.now],
  );
  return rows[0]!.id;
}

export interface FairClaim {
  /** Tenants to claim for, at most. */
  tenants: number;
  /** Rows per tenant, at most. */
  perTenant: number;
  leaseMs: number;
  /** Only this tenant's rows, or every tenant's (null). */
  tenantId: string | null;
  /** Tenants whose rows this deliverer is already delivering: not claimed for again until those are done. */
  busyTenants: readonly string[];
  /** (tenant, kind) pairs held back (an open circuit breaker), as two arrays of the same length. */
  heldTenants: readonly string[];
  heldKinds: readonly string[];
}

/**
 * Claims due rows tenant by tenant: the tenants whose oldest due row is oldest first, up to
 * `perTenant` rows of each, so one tenant's backlog can't fill a claim. Suspended tenants' rows,
 * rows held back by an open breaker and rows another deliverer holds (row lock or unexpired lease)
 * are skipped. Each claim counts as an attempt.
 */
export async function claimFair(sql: Sql, now: Date, claim: FairClaim): Promise<OutboxRow[]> {
  const due = `o.state = 'pending' AND o.next_attempt_at <= $1 AND (o.locked_until IS NULL OR o.locked_until <= $1)
      AND NOT EXISTS (SELECT 1 FROM unnest($6::text[], $7::text[]) AS held(tenant_id, kind) WHERE held.tenant_id = o.tenant_id AND held.kind = o.kind)`;
  const rows = await sql.query<OutboxDbRow>(
    `WITH due_tenants AS (
       SELECT o.tenant_id, min(o.next_attempt_at) AS first_due
       FROM outbox o
       WHERE ${due} AND ($4::text IS NULL OR o.tenant_id = $4) AND NOT (o.tenant_id = ANY($5::text[]))
         AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = o.tenant_id AND t.suspended_at IS NOT NULL)
       GROUP BY o.tenant_id
       ORDER BY first_due, o.tenant_id
       LIMIT $3
     ), picked AS (
       SELECT r.id FROM due_tenants d CROSS JOIN LATERAL (
         SELECT o.id FROM outbox o
         WHERE o.tenant_id = d.tenant_id AND ${due}
         ORDER BY o.next_attempt_at, o.created_at
         LIMIT $8
         FOR UPDATE SKIP LOCKED
       ) r
     )
     UPDATE outbox SET attempts = attempts + 1, locked_until = $2, updated_at = $1
     WHERE id IN (SELECT id FROM picked)
     RETURNING ${columns}`,
    [
      now,
      new Date(now.getTime() + claim.leaseMs),
      claim.tenants,
      claim.tenantId,
      [...claim.busyTenants],
      [...claim.heldTenants],
      [...claim.heldKinds],
      claim.perTenant,
    ],
  );
  return rows.map(toRow).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
}

/** Gives back a claimed row untried (its target's breaker opened meanwhile): the claim doesn't count as an attempt. */
export async function release(sql: Sql, tenantId: string, id: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE outbox SET attempts = greatest(attempts - 1, 0), locked_until = NULL, updated_at = $2 WHERE tenant_id = $3 AND id = $1 AND state = 'pending'`,
    [id, now, tenantId],
  );
}

/** Per tenant with pending rows: how many, how many are due, and when the oldest was written (for monitoring). */
export async function pendingByTenant(sql: Sql, now: Date): Promise<Array<{ tenantId: string; pending: number; due: number; oldest: Date }>> {
  const rows = await sql.query<{ tenant_id: string; pending: number; due: number; oldest: Date }>(
    `SELECT tenant_id, count(*)::int AS pending, (count(*) FILTER (WHERE next_attempt_at <= $1))::int AS due, min(created_at) AS oldest
     FROM outbox WHERE state = 'pending' GROUP BY tenant_id`,
    [now],
  );
  return rows.map((r) => ({ tenantId: r.tenant_id, pending: r.pending, due: r.due, oldest: r.oldest }));
}

export async function markDone(sql: Sql, tenantId: string, id: string, generation: number, now: Date): Promise<void> {
  await sql.query(
    `UPDATE outbox SET state = 'done', done_at = $3, locked_until = NULL, last_error = NULL, updated_at = $3
     WHERE tenant_id = $4 AND id = $1 AND generation = $2`,
    [id, generation, now, tenantId],
  );
  // A newer request arrived while this one was in flight: release it for the next run.
  await sql.query(`UPDATE outbox SET locked_until = NULL WHERE tenant_id = $3 AND id = $1 AND generation <> $2 AND state = 'pending'`, [
    id,
    generation,
    tenantId,
  ]);
}

export async function markRetry(sql: Sql, tenantId: string, id: string, nextAttemptAt: Date, error: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE outbox SET next_attempt_at = $2, last_error = $3, locked_until = NULL, updated_at = $4 WHERE tenant_id = $5 AND id = $1 AND state = 'pending'`,
    [id, nextAttemptAt, error.slice(0, 500), now, tenantId],
  );
}

export async function markFailed(sql: Sql, tenantId: string, id: string, generation: number, error: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE outbox SET state = 'failed', last_error = $3, locked_until = NULL, updated_at = $4 WHERE tenant_id = $5 AND id = $1 AND generation = $2`,
    [id, generation, error.slice(0, 500), now, tenantId],
  );
}

/** Due rows, leaving out suspended tenants' (which wait for their tenant to be resumed). */
export async function countDue(sql: Sql, now: Date, tenantId: string | null): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox o WHERE state = 'pending' AND next_attempt_at <= $1 AND ($2::text IS NULL OR tenant_id = $2)
       AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = o.tenant_id AND t.suspended_at IS NOT NULL)`,
    [now, tenantId],
  );
  return rows[0]?.n ?? 0;
}

export async function findRow(sql: Sql, tenantId: string, id: string): Promise<OutboxRow | null> {
  const rows = await sql.query<OutboxDbRow>(`SELECT ${columns} FROM outbox WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
  return rows[0] ? toRow(rows[0]) : null;
}

export async function listRows(sql: Sql, tenantId: string, options: { kindPrefix?: string; limit: number }): Promise<OutboxRow[]> {
  const rows = await sql.query<OutboxDbRow>(
    `SELECT ${columns} FROM outbox WHERE tenant_id = $1 AND ($2::text IS NULL OR kind LIKE $2 || '%')
     ORDER BY created_at DESC, id DESC LIMIT $3`,
    [tenantId, options.kindPrefix ?? null, options.limit],
  );
  return rows.map(toRow);
}

/** Whether the ticket has an undelivered priority change (so its current priority is not yet ours). */
export async function hasPendingPriorityWrite(sql: Sql, tenantId: string, ticketId: string): Promise<boolean> {
  const rows = await sql.query(
    `SELECT 1 FROM outbox WHERE tenant_id = $1 AND kind = 'deskpro.set_priority' AND state = 'pending'
       AND payload->>'ticketId' = $2 LIMIT 1`,
    [tenantId, ticketId],
  );
  return rows.length > 0;
}
