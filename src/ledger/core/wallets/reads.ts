/**
 * A bank's state and the list of banks: reads that settle what a plan owes and what has lapsed first.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { LedgerConfig } from "../../../contract/config.js";
import type { Wallet, WalletList } from "../../../contract/ledger.js";
import { alertLevelsFor, lowBalanceState, thresholdsInCredits } from "../../domain/alerts.js";
import { burnDownOrder, isSpendable } from "../../domain/burndown.js";
import { allocationDue, atExpiry, nextPeriodStart, periodStart } from "../../domain/plans.js";
import * as configs from "../../storage/configs.js";
import type { Sql } from "../../storage/db.js";
import * as grants from "../../storage/grants.js";
import * as walletRows from "../../storage/wallets.js";
import type { LedgerContext } from "../context.js";
import { planOf, settleWallet, toGrantState } from "../posting.js";

export const loadConfig = (sql: Sql, tenantId: string) => configs.getConfig(sql, tenantId);

export async function buildWallet(sql: Sql, tenantId: string, owner: string, config: LedgerConfig, now: Date): Promise<Wallet> {
  const row = await walletRows.findWallet(sql, tenantId, owner);
  const open = row ? await grants.openGrantsWithCredits(sql, tenantId, owner) : [];
  const { plan, source, rule } = planOf(config, row);
  const states = open.map(toGrantState);
  const spendable = states.filter((g) => isSpendable(g, now)).sort(burnDownOrder);
  const byId = new Map(open.map((g) => [g.id, g]));
  const lapsed = states.filter((g) => !isSpendable(g, now)).reduce((sum, g) => sum + g.remaining, 0);
  const balance = (row?.balance ?? 0) - lapsed;
  const levels = alertLevelsFor(row?.alertLevels ?? null, plan, config.alerts.levels);
  const threshold = thresholdsInCredits(levels.levels, plan)[0] ?? null;
  return {
    owner,
    balance,
    plan,
    planSource: source,
    planRule: rule,
    nextTopUpAt: plan && plan.creditsPerPeriod > 0 ? nextPeriodStart(plan.period, periodStart(plan.period, now)).toISOString() : null,
    overdraftLimit: plan?.overdraftLimit ?? 0,
    grants: spendable.map((s) => {
      const g = byId.get(s.id)!;
      return {
        id: g.id,
        amount: g.amount,
        remaining: g.remaining,
        source: g.source,
        paid: g.paid,
        startsAt: g.startsAt.toISOString(),
        expiresAt: g.expiresAt?.toISOString() ?? null,
        atExpiry: atExpiry(g, plan),
      };
    }),
    lowBalance: { threshold, state: lowBalanceState(balance, threshold), levels: levels.levels, levelsFrom: levels.from },
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}

/** A wallet's state. What its plan owes and what has lapsed is written first, so what is shown is what is spendable. */
export async function getWallet(ctx: LedgerContext, tenantId: string, owner: string): Promise<Wallet> {
  const now = ctx.clock();
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const row = await walletRows.findWallet(ctx.db, tenantId, owner);
  if (allocationDue(planOf(config, row).plan, row?.allocatedFrom ?? null, now) || (row && (await grants.hasLapsedGrants(ctx.db, tenantId, owner, now)))) {
    await settleWallet(ctx, tenantId, owner);
  }
  return buildWallet(ctx.db, tenantId, owner, config, now);
}

/** Banks, a page at a time, optionally only those on one plan (for a bulk grant's preview). */
export async function listWallets(
  ctx: LedgerContext,
  tenantId: string,
  filter: { plan?: string; type?: "org" | "person"; limit: number },
): Promise<WalletList> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const found: WalletList["wallets"] = [];
  let after = "";
  for (;;) {
    const page = await walletRows.listWallets(ctx.db, tenantId, after, 500, filter.type ?? null);
    for (const row of page) {
      const plan = planOf(config, row).plan;
      if (filter.plan !== undefined && plan?.key !== filter.plan) continue;
      if (found.length === filter.limit) return { wallets: found, truncated: true };
      found.push({ owner: row.owner, name: row.displayName, balance: row.balance, plan: plan?.key ?? null });
    }
    if (page.length < 500) return { wallets: found, truncated: false };
    after = page[page.length - 1]!.owner;
  }
}
