/**
 * SQL for the delivery circuit breakers: per tenant and target (its helpdesk, its alert webhooks),
 * failures in a row and, once open, when the tenant's deliveries to that target may go again.
 */
import type { Sql } from "./db.js";

export interface BreakerRow {
  tenantId: string;
  target: string;
  failures: number;
  openedAt: Date | null;
  nextTryAt: Date | null;
  lastError: string | null;
  updatedAt: Date;
}

type BreakerDbRow = {
  tenant_id: string;
  target: string;
  failures: number;
  opened_at: Date | null;
  next_try_at: Date | null;
  last_error: string | null;
  updated_at: Date;
};
const columns = "tenant_id, target, failures, opened_at, next_try_at, last_error, updated_at";
const toRow = (r: BreakerDbRow): BreakerRow => ({
  tenantId: r.tenant_id,
  target: r.target,
  failures: r.failures,
  openedAt: r.opened_at,
  nextTryAt: r.next_try_at,
  lastError: r.last_error,
  updatedAt: r.updated_at,
});

/** Breakers that have seen a failure since their last success (every tenant's, or one's). */
export async function listTroubled(sql: Sql, tenantId: string | null): Promise<BreakerRow[]> {
  const rows = await sql.query<BreakerDbRow>(
    `SELECT ${columns} FROM delivery_breakers WHERE (failures > 0 OR opened_at IS NOT NULL) AND ($1::text IS NULL OR tenant_id = $1)
     ORDER BY tenant_id, target`,
    [tenantId],
  );
  return rows.map(toRow);
}

/** Counts one more failure in a row; returns the count. */
export async function recordFailure(sql: Sql, tenantId: string, target: string, error: string, now: Date): Promise<number> {
  const rows = await sql.query<{ failures: number }>(
    `INSERT INTO delivery_breakers AS b (tenant_id, target, failures, last_error, updated_at) VALUES ($1, $2, 1, $3, $4)
     ON CONFLICT (tenant_id, target) DO UPDATE SET failures = b.failures + 1, last_error = EXCLUDED.last_error, updated_at = EXCLUDED.updated_at
     RETURNING failures`,
    [tenantId, target, error.slice(0, 500), now],
  );
  return rows[0]!.failures;
}

/** Opens the breaker (or keeps it open) until `nextTryAt`. */
export async function open(sql: Sql, tenantId: string, target: string, nextTryAt: Date, now: Date): Promise<void> {
  await sql.query(`UPDATE delivery_breakers SET opened_at = coalesce(opened_at, $4), next_try_at = $3, updated_at = $4 WHERE tenant_id = $1 AND target = $2`, [
    tenantId,
    target,
    nextTryAt,
    now,
  ]);
}

/** A delivery got through: the breaker closes and its count starts again. */
export async function recordSuccess(sql: Sql, tenantId: string, target: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE delivery_breakers SET failures = 0, opened_at = NULL, next_try_at = NULL, last_error = NULL, updated_at = $3
     WHERE tenant_id = $1 AND target = $2 AND (failures > 0 OR opened_at IS NOT NULL)`,
    [tenantId, target, now],
  );
}
