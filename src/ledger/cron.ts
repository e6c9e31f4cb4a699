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
import type { OutboxDrainResult } from "../contract/index.js";
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
  outbox?: Omit<DrainOptions, "tenantId">;
}

/** Allocations and expiry notices for every tenant, one tenant at a time; one tenant's failure doesn't hold up the others. */
export async function allocateEveryTenant(ledger: Ledger, options: CronOptions = {}): Promise<AllocationSweep> {
  const tenantIds = await tenants.listTenantIds(ledger.context.db);
  const sweep: AllocationSweep = { tenants: 0, checked: 0, allocated: 0, expiringNotices: 0, failedTenants: [], unfinishedTenants: 0 };
  for (const [index, tenantId] of tenantIds.entries()) {
    if (options.stopped?.() || (options.deadline && Date.now() >= options.deadline.getTime())) {
      sweep.unfinishedTenants = tenantIds.length - index;
      break;
    }
    try {
      const run = await ledger.sweep(tenantId);
      sweep.checked += run.checked;
      sweep.allocated += run.allocated;
      sweep.expiringNotices += run.expiringNotices;
    } catch (error) {
      sweep.failedTenants.push(tenantId);
      options.onError?.(error, tenantId);
    }
    sweep.tenants++;
  }
  return sweep;
}

/** Runs the tasks asked for; the outbox is drained last, so notices queued by this run's allocations go out in it. */
export async function runCron(ledger: Ledger, tasks: readonly CronTask[], options: CronOptions = {}): Promise<CronReport> {
  const report: CronReport = {};
  if (tasks.includes("allocate")) report.allocate = await allocateEveryTenant(ledger, options);
  if (tasks.includes("outbox")) {
    const total = { delivered: 0, retrying: 0, failed: 0, remaining: 0, rounds: 0 };
    // Rounds of up to 500 rows until nothing is due, or the deadline comes.
    for (;;) {
      const round = await ledger.drain({ ...options.outbox, tenantId: null });
      total.rounds++;
      total.delivered += round.delivered;
      total.retrying += round.retrying;
      total.failed += round.failed;
      total.remaining = round.remaining;
      const progressed = round.delivered + round.failed > 0;
      if (round.remaining === 0 || !progressed || (options.deadline && Date.now() >= options.deadline.getTime())) break;
    }
    report.outbox = total;
  }
  return report;
}
