/**
 * Reversing an entry: a refund of a debit, with its draws put back.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { ReversalRequest, WriteResult } from "../../../contract/ledger.js";
import { planRefund } from "../../domain/burndown.js";
import * as entries from "../../storage/entries.js";
import * as grants from "../../storage/grants.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../context.js";
import { AlreadyReversed, NotFound, NothingToReverse, NotReversible } from "../errors.js";
import { post, toGrantState, type AlsoInTransaction, type EntryDraft } from "../posting.js";

const REFUNDABLE_KINDS = new Set(["manual", "time", "priority", "removal"]);

/** Refunds a debit (credits go back where they came from) or voids what remains of a grant. */
export async function reverseEntry(
  ctx: LedgerContext,
  tenantId: string,
  entryId: string,
  request: ReversalRequest,
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  let original: entries.EntryRow;
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: async (tx) => {
      const found = await entries.findEntry(tx, tenantId, entryId);
      if (!found) throw new NotFound(`No entry ${entryId}.`);
      if (!REFUNDABLE_KINDS.has(found.kind) && found.kind !== "grant") {
        throw new NotReversible(`A ${found.kind} entry can't be reversed; only debits and grants can.`);
      }
      original = found;
      return { owner: found.owner, ticketId: found.ticketId };
    },
    also,
    decide: async ({ tx, tenantId, balance, now }): Promise<{ entry: EntryDraft }> => {
      const existing = await entries.findReversalOf(tx, tenantId, original.id);
      if (existing) throw new AlreadyReversed(original.id, existing);
      const base = { reason: request.reason, ticketId: original.ticketId, agent: request.agent ?? null, tier: original.tier, reversesEntryId: original.id };
      if (original.kind === "grant") {
        const [grant] = await grants.grantsByIds(tx, tenantId, [original.grantId!]);
        const remaining = grant && grant.closedAt === null ? grant.remaining : 0;
        if (remaining === 0) throw new NothingToReverse("Every credit of this grant has already been spent or has expired.");
        return {
          entry: {
            ...base,
            kind: "void",
            amount: -remaining,
            grantId: grant!.id,
            draws: [{ grantId: grant!.id, amount: -remaining }],
            closeGrantIds: [grant!.id],
          },
        };
      }
      const total = -original.amount;
      const drawn = original.draws.map((d) => ({ grantId: d.grantId, amount: -d.amount }));
      const drawnGrants = await grants.grantsByIds(
        tx,
        tenantId,
        drawn.map((d) => d.grantId),
      );
      const refund = planRefund(total, drawn, new Map(drawnGrants.map((g) => [g.id, toGrantState(g)])), balance, now);
      return {
        entry: {
          ...base,
          kind: "refund",
          amount: total,
          minutes: original.minutes === null ? null : -original.minutes,
          draws: refund.restores,
          // Credits whose grant has lapsed or been voided since (or that were overdraft) come back as a grant of their own.
          newGrant:
            refund.refundGrant > 0
              ? { amount: refund.refundGrant, remaining: refund.refundGrant, source: "refund", paid: drawnGrants.some((g) => g.paid), expiresAt: null }
              : undefined,
        },
      };
    },
  });
}
