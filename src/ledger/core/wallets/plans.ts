/**
 * Plans on banks: assigning one, quoting the change, and saving the configuration.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { LedgerConfig, Plan } from "../../../contract/config.js";
import type { AssignPlanRequestInput, PlanQuote, PlanQuoteRequest, Wallet } from "../../../contract/ledger.js";
import { allocationDue, allocationExpiry, periodStart, planAssignmentOutlook } from "../../domain/plans.js";
import { findPlan } from "../../domain/pricing.js";
import * as configs from "../../storage/configs.js";
import * as walletRows from "../../storage/wallets.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../context.js";
import { UnknownPlan, VersionConflict } from "../errors.js";
import { planOf, post, type EntryDraft } from "../posting.js";
import { buildWallet } from "./reads.js";

export async function assignPlan(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: AssignPlanRequestInput,
  idempotency: Idempotency,
): Promise<WriteOutcome<Wallet>> {
  const firstPeriod = request.firstPeriod ?? "full";
  return post<Wallet>(ctx, {
    tenantId,
    idempotency,
    wallet: { owner },
    decide: async ({ tx, config, wallet, now }) => {
      if (request.plan !== null && !findPlan(config, request.plan)) throw new UnknownPlan(request.plan);
      await walletRows.setPlan(tx, tenantId, owner, request.plan, now);
      const plan = planOf(config, { ...wallet, planKey: request.plan }).plan;
      const outlook = planAssignmentOutlook(plan, allocatedAfterSettling(planOf(config, wallet).plan, wallet.allocatedFrom, now), firstPeriod, now);
      // A pro-rated first period is allocated here, so settling doesn't give the full period's credits.
      const prorate = plan !== null && firstPeriod === "prorated" && !outlook.allocatedThisPeriod;
      const drafts: EntryDraft[] = [];
      if (prorate) {
        const start = periodStart(plan.period, now);
        await walletRows.setAllocatedFrom(tx, tenantId, owner, start);
        if (outlook.creditsNow > 0) {
          drafts.push({
            kind: "grant",
            amount: outlook.creditsNow,
            reason: `${plan.name}: ${outlook.creditsNow.toLocaleString("en")} credits for the rest of the ${plan.period} (pro-rated)`,
            agent: request.agent ?? null,
            newGrant: {
              amount: outlook.creditsNow,
              remaining: outlook.creditsNow,
              source: "allocation",
              paid: false,
              expiresAt: allocationExpiry(plan, start),
            },
          });
        }
      }
      return { entry: null, status: 200, entries: drafts, body: () => buildWallet(tx, tenantId, owner, config, now) };
    },
  });
}

/** What assigning a plan would do now: credits at once and their expiry, and the next top-up. */
export async function quotePlan(ctx: LedgerContext, tenantId: string, owner: string, request: PlanQuoteRequest): Promise<PlanQuote> {
  const { config } = await configs.getConfig(ctx.db, tenantId);
  if (request.plan !== null && !findPlan(config, request.plan)) throw new UnknownPlan(request.plan);
  const row = await walletRows.findWallet(ctx.db, tenantId, owner);
  const plan = resolvePlanFor(config, row, request.plan);
  const now = ctx.clock();
  const outlook = planAssignmentOutlook(plan, allocatedAfterSettling(planOf(config, row).plan, row?.allocatedFrom ?? null, now), request.firstPeriod, now);
  return {
    plan,
    firstPeriod: request.firstPeriod,
    allocatedThisPeriod: outlook.allocatedThisPeriod,
    creditsNow: outlook.creditsNow,
    creditsNowExpireAt: outlook.creditsNowExpireAt?.toISOString() ?? null,
    fullPeriodCredits: outlook.fullPeriodCredits,
    proratedCredits: outlook.proratedCredits,
    nextTopUpAt: outlook.nextTopUpAt?.toISOString() ?? null,
    nextTopUpCredits: outlook.nextTopUpCredits,
  };
}

/** Settling (before any write) gives a bank its current plan's allocation if owed: the period it was then allocated for. */
const allocatedAfterSettling = (plan: Plan | null, allocatedFrom: Date | null, now: Date) => allocationDue(plan, allocatedFrom, now) ?? allocatedFrom;

/** The plan a bank would be on with `planKey` set by hand (null: back to the rules and the default). */
const resolvePlanFor = (config: LedgerConfig, row: walletRows.WalletRow | null, planKey: string | null) =>
  planOf(
    config,
    row
      ? { ...row, planKey }
      : { owner: "", balance: 0, planKey, updatedAt: new Date(0), allocatedFrom: null, profile: null, alertFired: [], alertLevels: null },
  ).plan;

export async function putConfig(
  ctx: LedgerContext,
  tenantId: string,
  config: LedgerConfig,
  expectedVersion: number | null,
): Promise<{ config: LedgerConfig; version: number; updatedAt: string }> {
  const saved = await configs.putConfig(ctx.db, tenantId, config, ctx.clock(), expectedVersion);
  if (!saved) throw new VersionConflict();
  return { config: saved.config, version: saved.version, updatedAt: saved.updatedAt!.toISOString() };
}
