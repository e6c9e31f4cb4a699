/**
 * A bank's own settings: what Deskpro knows about it (for the plan rules) and its low-balance levels.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { AlertLevel } from "../../../contract/config.js";
import type { Wallet, WalletProfile } from "../../../contract/ledger.js";
import { alertLevelsFor, alertTransitions, thresholdsInCredits } from "../../domain/alerts.js";
import * as walletRows from "../../storage/wallets.js";
import type { LedgerContext } from "../context.js";
import { planOf } from "../posting.js";
import { getWallet } from "./reads.js";

/** Stores what Deskpro knows about the wallet's people and organisation; the plan rules read it. */
export async function setWalletProfile(ctx: LedgerContext, tenantId: string, owner: string, profile: WalletProfile): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    await walletRows.lockWallet(tx, tenantId, owner, now);
    await walletRows.setProfile(tx, tenantId, owner, profile, now);
  });
  // Reading the wallet allocates at once if the facts put it on a plan that owes credits.
  return getWallet(ctx, tenantId, owner);
}

/**
 * Sets (or, with null, clears) the wallet's own low-balance levels. Levels the balance is already
 * under count as told: changing levels sends nothing by itself; the next crossing does.
 */
export async function setWalletAlertLevels(ctx: LedgerContext, tenantId: string, owner: string, levels: AlertLevel[] | null): Promise<Wallet> {
  await ctx.db.transaction(async (tx) => {
    const now = ctx.clock();
    const wallet = await walletRows.lockWallet(tx, tenantId, owner, now);
    await walletRows.setAlertLevels(tx, tenantId, owner, levels, now);
    const { config } = wallet.config;
    const plan = planOf(config, wallet).plan;
    const thresholds = thresholdsInCredits(alertLevelsFor(levels, plan, config.alerts.levels).levels, plan);
    const { fired } = alertTransitions(thresholds, [...thresholds, 0], wallet.balance);
    await walletRows.setAlertFired(tx, tenantId, owner, fired);
  });
  return getWallet(ctx, tenantId, owner);
}
