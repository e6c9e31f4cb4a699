/**
 * The ledger's scheduled work as calls that start, do their work and end: what a long-running
 * Node ledger does in the background (scheduler.ts, the outbox worker), for hosts with no
 * process between requests (a Lambda's scheduled event, `npm run ledger -- cron` from a
 * Kubernetes CronJob or a systemd timer).
 *
 * - `allocate` (hourly): every tenant's banks get their plan's allocation for the current period,
 *   and credits about to expire are announced; what `POST /v1/cron/allocate` does for one tenant.
 * - `outbox` (every minute): alerts and Deskpro write-backs queued by requests are delivered;
 *   what `POST /v1/outbox/drain` does for one tenant.
 *
 * Both are safe to run twice or at once, beside the in-process scheduler and worker: allocation is
 * once per bank and period under the bank's row lock, expiry notices are deduplicated by grant,
 * and outbox rows are claimed with a lease.
 */
import { z } from "zod";
import type { OutboxDrainResult } from "../contract/portal.js";
import type { Ledger } from "./compose.js";
import type { DrainOptions } from "./core/outbox.js";
import * as tenants from "./storage/tenants.js";

export const CronTask = z.enum(["allocate", "outbox"]);
export type CronTask = z.infer<typeof CronTask>;
export const ALL_CRON_TASKS: readonly CronTask[] = CronTask.options;

export interface AllocationSweep {
  tenants: number;
  checked: number;
  allocated: number;
  expiringNotices: number;
  /** Tenants whose run failed (the others went ahead); the next run tries them again. */
  failedTenants: string[];
  /** Tenants whose run stopped at their time budget; the next run goes on where they are. */
  overBudgetTenants: string[];
  /** Tenants left for the next run because the deadline came. */
  unfinishedTenants: number;
}

export interface CronReport {
  allocate?: AllocationSweep;
  outbox?: OutboxDrainResult & { rounds: number };
}

export interface CronOptions {
  /** Stop starting new work after this time (a function's timeout); what is left waits for the next run. */
  deadline?: Date;
  /** Checked between tenants: a long-running process stopping. */
  stopped?: () => boolean;
  onError?: (error: unknown, tenantId: string) => void;
  outbox?: Omit<DrainOptions, "tenantId" | "deadline">;
  /** Tenants swept side by side (each holds a database connection at a time). */
  sweepTenantsAtOnce?: number;
  /** How long one tenant's sweep may run before it stops for this time (and goes on next run). */
  sweepBudgetMs?: number;
}

export const DEFAULT_SWEEP_TENANTS_AT_ONCE = 2;
export const DEFAULT_SWEEP_BUDGET_MS = 60_000;

/**
 * Allocations and expiry notices for every active tenant, a few side by side, each within its time
 * budget: a tenant with a great many banks takes its budget and goes on next run, while the others
 * are done; one tenant's failure doesn't hold up the others. Suspended tenants are left alone.
 */
export async function allocateEveryTenant(ledger: Ledger, options: CronOptions = {}): Promise<AllocationSweep> {
  const tenantIds = await tenants.listTenantIds(ledger.context.db);
  const sweep: AllocationSweep = { tenants: 0, checked: 0, allocated: 0, expiringNotices: 0, failedTenants: [], overBudgetTenants: [], unfinishedTenants: 0 };
  const budgetMs = options.sweepBudgetMs ?? DEFAULT_SWEEP_BUDGET_MS;
  const pastDeadline = () => options.deadline !== undefined && Date.now() >= options.deadline.getTime();
  let next = 0;
  const worker = async () => {
    while (next < tenantIds.length) {
      if (options.stopped?.() || pastDeadline()) return;
      const tenantId = tenantIds[next++]!;
      const started = performance.now();
      const outOfTime = () => performance.now() - started >= budgetMs || options.stopped?.() === true || pastDeadline();
      let outcome: "done" | "failed" | "over_budget" = "done";
      try {
        const run = await ledger.sweep(tenantId, { shouldStop: outOfTime });
        sweep.checked += run.checked;
        sweep.allocated += run.allocated;
        sweep.expiringNotices += run.expiringNotices;
        if (run.stoppedEarly) {
          outcome = "over_budget";
          sweep.overBudgetTenants.push(tenantId);
        }
      } catch (error) {
        outcome = "failed";
        sweep.failedTenants.push(tenantId);
        options.onError?.(error, tenantId);
      }
      sweep.tenants++;
      ledger.metrics.background(tenantId, "allocate", (performance.now() - started) / 1000, outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.sweepTenantsAtOnce ?? DEFAULT_SWEEP_TENANTS_AT_ONCE) }, worker));
  sweep.unfinishedTenants = tenantIds.length - next;
  return sweep;
}

/** Runs the tasks asked for; the outbox is drained last, so notices queued by this run's allocations go out in it. */
export async function runCron(ledger: Ledger, tasks: readonly CronTask[], options: CronOptions = {}): Promise<CronReport> {
  const report: CronReport = {};
  if (tasks.includes("allocate")) report.allocate = await allocateEveryTenant(ledger, options);
  // Every tenant's lane side by side until nothing is due or the deadline comes: a helpdesk that
  // doesn't answer holds up only its own tenant's lane (see core/outbox.ts).
  if (tasks.includes("outbox"))
    report.outbox = await ledger.drain({ ...options.outbox, tenantId: null, deadline: options.deadline, maxRows: options.outbox?.maxRows ?? 5_000 });
  return report;
}
