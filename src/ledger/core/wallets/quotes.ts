/**
 * What a debit would cost (time, a tier, a manual amount) before it is made.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { LedgerConfig, Plan } from "../../../contract/config.js";
import type { Quote, QuoteRequest } from "../../../contract/ledger.js";
import { MAX_CREDITS_PER_WRITE } from "../../../contract/primitives.js";
import { findTier, priceTimeEntry, tierOffered } from "../../domain/pricing.js";
import * as configs from "../../storage/configs.js";
import type { Sql } from "../../storage/db.js";
import * as entries from "../../storage/entries.js";
import type { LedgerContext } from "../context.js";
import { AmountOutOfRange, TierAlreadyCharged, TierNotOffered, UnknownTier } from "../errors.js";
import { buildWallet } from "./reads.js";

interface Priced {
  amount: number;
  minutes: number | null;
  tier: string | null;
  defaultReason: string;
  billedMinutesBefore: number | null;
  billedMinutesAfter: number | null;
}

export async function priceDebit(sql: Sql, tenantId: string, config: LedgerConfig, plan: Plan | null, request: QuoteRequest): Promise<Priced> {
  switch (request.kind) {
    case "manual":
      return { amount: request.amount, minutes: null, tier: null, defaultReason: "", billedMinutesBefore: null, billedMinutesAfter: null };
    case "time": {
      const ticket = await entries.ticketTime(sql, tenantId, request.ticketId);
      const charge = priceTimeEntry(ticket, request.minutes, config.time);
      if (charge.amount > MAX_CREDITS_PER_WRITE) {
        throw new AmountOutOfRange(charge.amount, MAX_CREDITS_PER_WRITE, `${request.minutes.toLocaleString("en")} minutes at this helpdesk's rate`);
      }
      return {
        amount: charge.amount,
        minutes: request.minutes,
        tier: null,
        defaultReason: `${request.minutes} min logged`,
        billedMinutesBefore: charge.billedMinutesBefore,
        billedMinutesAfter: charge.billedMinutesAfter,
      };
    }
    case "priority": {
      const tier = findTier(config, request.tier);
      if (!tier) throw new UnknownTier(request.tier);
      if (!tierOffered(plan, tier.key)) throw new TierNotOffered(tier.label);
      const existing = await entries.activePriorityCharge(sql, tenantId, request.ticketId);
      if (existing) throw new TierAlreadyCharged(request.ticketId, existing.tier, existing.id);
      return { amount: tier.price, minutes: null, tier: tier.key, defaultReason: tier.label, billedMinutesBefore: null, billedMinutesAfter: null };
    }
  }
}

export async function quote(ctx: LedgerContext, tenantId: string, owner: string, request: QuoteRequest): Promise<Quote> {
  const now = ctx.clock();
  const { config } = await configs.getConfig(ctx.db, tenantId);
  const wallet = await buildWallet(ctx.db, tenantId, owner, config, now);
  const priced = await priceDebit(ctx.db, tenantId, config, wallet.plan, request);
  return {
    amount: priced.amount,
    balance: wallet.balance,
    balanceAfter: wallet.balance - priced.amount,
    insufficient: priced.amount > wallet.balance + wallet.overdraftLimit,
    billedMinutesBefore: priced.billedMinutesBefore,
    billedMinutesAfter: priced.billedMinutesAfter,
    overdraft: Math.max(0, priced.amount - Math.max(0, wallet.balance)),
  };
}
