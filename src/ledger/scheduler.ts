/**
 * The hourly sweep a long-running ledger does for itself: every tenant's banks get their plan's
 * allocation for the current period and credits about to expire are announced (cron.ts's
 * `allocate` task, which hosts without a process of their own run from a schedule).
 * Safe beside the cron endpoint and other processes: allocation is once per bank and period under
 * the bank's row lock, and each expiry notice is deduplicated by its grant.
 */
import { repeatInBackground } from "./background.js";
import { allocateEveryTenant } from "./cron.js";
import type { LedgerContext } from "./service.js";

export interface SchedulerOptions {
  intervalMs?: number;
  /** The first sweep runs this long after start, so a starting process serves requests first. */
  firstRunMs?: number;
  onError?: (error: unknown, tenantId: string) => void;
}

export function startScheduler(ledger: LedgerContext, options: SchedulerOptions = {}): { stop(): Promise<void> } {
  let stopped = false;
  const repeating = repeatInBackground(() => allocateEveryTenant(ledger, { stopped: () => stopped, onError: options.onError }), {
    intervalMs: options.intervalMs ?? 3_600_000,
    firstDelayMs: options.firstRunMs ?? 60_000,
    onError: (error) => options.onError?.(error, "*"),
  });
  return {
    stop: async () => {
      stopped = true; // a sweep in progress ends after the tenant at hand
      await repeating.stop();
    },
  };
}
