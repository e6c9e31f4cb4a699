/**
 * The allocation run: every bank given what its plan owes for the current period.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { AllocationRun } from "../../../contract/ledger.js";
import { allocationDue } from "../../domain/plans.js";
import { findPlan } from "../../domain/pricing.js";
import * as configs from "../../storage/configs.js";
import * as walletRows from "../../storage/wallets.js";
import type { LedgerContext } from "../context.js";
import { planOf, settleWallet } from "../posting.js";

/**
 * Gives every wallet what its plan owes for the current period (for a cron job). Each wallet is
 * allocated in its own transaction under its row lock, so two runs at once, or a run beside a
 * write to the wallet, allocate a period once.
 */
export async function allocateAll(
  ctx: LedgerContext,
  tenantId: string,
  options: { shouldStop?: () => boolean } = {},
): Promise<Omit<AllocationRun, "expiringNotices"> & { stoppedEarly: boolean }> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const defaultAllocates = (findPlan(config, config.defaultPlan)?.creditsPerPeriod ?? 0) > 0;
  let after = "";
  let checked = 0;
  let allocated = 0;
  let settledAny = false;
  for (;;) {
    const page = await walletRows.walletsForAllocation(ctx.db, tenantId, after, 500, defaultAllocates);
    if (page.length === 0) break;
    for (const row of page) {
      checked++;
      if (!allocationDue(planOf(config, row).plan, row.allocatedFrom, ctx.clock())) continue;
      // Out of time, with a bank still due (and at least one done, so every run gets somewhere): the
      // next run goes on, passing quickly over the banks done, which are no longer due.
      if (settledAny && options.shouldStop?.()) return { checked, allocated, stoppedEarly: true };
      settledAny = true;
      // Looked at again under the lock: another run may have just done it.
      if ((await settleWallet(ctx, tenantId, row.owner)).allocated) allocated++;
    }
    after = page[page.length - 1]!.owner;
  }
  return { checked, allocated, stoppedEarly: false };
}
