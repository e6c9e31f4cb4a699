/**
 * Credits out: debits, in one statement when they can be, else through the full posting path.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { DebitRequest, WriteResult } from "../../../contract/ledger.js";
import { planDebit } from "../../domain/burndown.js";
import { pinAfterCharge } from "../../domain/payer.js";
import * as configs from "../../storage/configs.js";
import * as fastDebits from "../../storage/fast-debits.js";
import * as ticketPayers from "../../storage/ticket-payers.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../context.js";
import { InsufficientCredits } from "../errors.js";
import { newId } from "../ids.js";
import { answerRefusal, post, replayOf, toGrantState, type AlsoInTransaction } from "../posting.js";
import { priceDebit } from "./quotes.js";

/**
 * A manual or time debit in one statement (storage/fast-debits.ts) when the wallet's cached facts
 * say nothing else must happen with it (no allocation due, nothing lapsed, no alert level crossed,
 * the configuration unchanged); null when the full posting path is needed. The statement's
 * burn-down and time pricing are checked against the domain's functions by tests.
 */
async function debitInOneStatement(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: DebitRequest,
  idempotency: Idempotency,
): Promise<WriteOutcome<WriteResult> | null> {
  if (request.kind !== "manual" && request.kind !== "time") return null;
  const config = configs.lastReadConfig(tenantId);
  if (!config) return null;
  const now = ctx.clock();
  const result = await fastDebits.postDebitInOneStatement(ctx.db, {
    tenantId,
    owner,
    key: idempotency,
    requestHash: idempotency.requestHash,
    now,
    entryId: newId("ent", now),
    kind: request.kind,
    amount: request.kind === "manual" ? request.amount : null,
    minutes: request.kind === "time" ? request.minutes : null,
    ticketId: request.ticketId ?? null,
    reason: request.reason ?? null,
    agent: request.agent ?? null,
    configVersion: config.version,
    rate: config.config.time,
  });
  switch (result.outcome) {
    case "posted":
      return { status: 201, body: JSON.parse(result.text) as WriteResult, text: result.text, replayed: false };
    case "replay":
      return replayOf<WriteResult>(result.answer, idempotency);
    case "insufficient":
      return answerRefusal<WriteResult>(ctx, tenantId, idempotency, new InsufficientCredits(result.balance, result.required, result.available));
    case "full_path_needed":
      return null;
  }
}

export interface DebitOptions {
  /**
   * What the caller writes with the debit, in its transaction (a sidebar time's write-back to
   * Deskpro's Billing tab, the record of a Deskpro charge, a portal ticket's state). The debit then
   * takes the full posting path: see `debitPath`.
   */
  alsoInTransaction?: AlsoInTransaction;
  /** A tier fee capped at the price the customer was shown (the portal form's option title). */
  priceAtMost?: number;
  /** Credits the bank may go past its plan's overdraft for this debit (a customer's approved overage). */
  extraOverdraft?: number;
}

/**
 * Which way a debit is written, decided before anything is read:
 * - "one statement when it can": a manual or time debit with nothing else to write is tried as
 *   one statement (`ledger_post_debit`); the statement itself hands it to the full path, writing
 *   nothing, whenever the wallet's cached facts say the full path has work (an allocation due, a
 *   lapsed grant, an alert level crossed, the configuration changed, a ticket's first charge);
 * - "full path": a tier fee, a removal or unbilled time (the statement writes none of these), and
 *   any debit that comes with `alsoInTransaction`, which one statement can't run.
 * Either way the answer is the same (tests/ledger/fast-debit.test.ts); only the round trips differ.
 */
export type DebitPath = "one statement when it can" | "full path";

export function debitPath(request: DebitRequest, options: DebitOptions): DebitPath {
  if (request.kind !== "manual" && request.kind !== "time") return "full path";
  if (options.alsoInTransaction !== undefined) return "full path";
  return "one statement when it can";
}

export async function debitCredits(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: DebitRequest,
  idempotency: Idempotency,
  options: DebitOptions = {},
): Promise<WriteOutcome<WriteResult>> {
  const ticketId = request.kind === "removal" ? null : (request.ticketId ?? null);
  const also = options.alsoInTransaction;
  if (debitPath(request, options) === "one statement when it can") {
    // The statement stands aside for a ticket's first charge, which pins the ticket's payer below.
    const done = await debitInOneStatement(ctx, tenantId, owner, request, idempotency);
    if (done) return done;
  }
  return post(ctx, {
    tenantId,
    idempotency,
    // Time totals, tier charges and the ticket's payer are per ticket: the ticket is locked too.
    wallet: { owner, ticketId },
    // A ticket's first charge pins the bank that paid it as the ticket's payer.
    also: async (tx, result, now) => {
      if (ticketId !== null) {
        const pin = pinAfterCharge(await ticketPayers.findPin(tx, tenantId, ticketId), owner);
        if (pin) await ticketPayers.pinFirstCharge(tx, tenantId, ticketId, pin.owner, result.entry.agent, now);
      }
      await also?.(tx, result, now);
    },
    decide: async ({ tx, tenantId, config, plan, grants: open, balance, now }) => {
      if (request.kind === "unbilled") {
        // Recorded, not charged: no credits move and the ticket's billed total is unchanged.
        return {
          entry: {
            kind: "unbilled",
            amount: 0,
            reason: request.reason ?? `${request.minutes} min worked, not billed`,
            ticketId: request.ticketId,
            agent: request.agent ?? null,
            minutes: request.minutes,
          },
        };
      }
      const priced = await priceDebit(tx, tenantId, config, plan, request.kind === "removal" ? { kind: "manual", amount: request.amount } : request);
      if (request.kind === "priority" && options.priceAtMost !== undefined) priced.amount = Math.min(priced.amount, options.priceAtMost);
      const decision = planDebit(open.map(toGrantState), balance, priced.amount, (plan?.overdraftLimit ?? 0) + (options.extraOverdraft ?? 0), now);
      if (!decision.ok) throw new InsufficientCredits(decision.balance, decision.required, decision.available);
      return {
        entry: {
          kind: request.kind,
          amount: -priced.amount || 0,
          reason: request.reason ?? (priced.defaultReason || null),
          ticketId,
          agent: request.agent ?? null,
          minutes: priced.minutes,
          tier: priced.tier,
          draws: decision.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount })),
        },
      };
    },
  });
}
