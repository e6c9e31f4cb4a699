/**
 * The hourly sweep a long-running ledger does for itself: every tenant's wallets get their plan's
 * allocation for the current period and credits about to expire are announced — what
 * `POST /v1/cron/allocate` does for one tenant (cron.ts's `allocate` task, which hosts without a
 * process of their own run from a schedule).
 * Safe beside the cron endpoint and other processes: allocation is once per wallet and period under
 * the wallet's row lock, and each expiry notice is deduplicated by its grant.
 */
import type { Ledger } from "./compose.js";
import { repeatInBackground } from "./core/background.js";
import { allocateEveryTenant } from "./cron.js";

export interface SchedulerOptions {
  intervalMs?: number;
  /** The first sweep runs this long after start, so a starting process serves requests first. */
  firstRunMs?: number;
  onError?: (error: unknown, tenantId: string) => void;
}

export function startScheduler(ledger: Ledger, options: SchedulerOptions = {}): { stop(): Promise<void> } {
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
