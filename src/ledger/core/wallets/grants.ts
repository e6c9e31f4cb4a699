/**
 * Credits in: grants, and taking back what is left of one.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { GrantRequest, GrantSource, WriteResult } from "../../../contract/ledger.js";
import { splitIncomingCredit } from "../../domain/burndown.js";
import type { Sql } from "../../storage/db.js";
import * as entries from "../../storage/entries.js";
import * as grants from "../../storage/grants.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../context.js";
import { InvalidRequest, NotFound, NothingToReverse } from "../errors.js";
import { post, type AlsoInTransaction } from "../posting.js";

export async function grantCredits(
  ctx: LedgerContext,
  tenantId: string,
  owner: string,
  request: Omit<GrantRequest, "source"> & { source: GrantSource; paid?: boolean },
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: { owner },
    also,
    decide: ({ now, balance }) => {
      const expiresAt = request.expiresAt ? new Date(request.expiresAt) : null;
      if (expiresAt && expiresAt <= now)
        throw new InvalidRequest("expiresAt must be in the future.", [{ path: "expiresAt", message: "must be in the future" }]);
      // Credits arriving in an overdrawn wallet repay the debt first; the rest lands on the grant.
      const { toGrant } = splitIncomingCredit(balance, request.amount);
      return {
        entry: {
          kind: "grant",
          amount: request.amount,
          reason: request.reason,
          agent: request.agent ?? null,
          newGrant: { amount: request.amount, remaining: toGrant, source: request.source, paid: request.paid ?? false, expiresAt },
        },
      };
    },
  });
}

/** What to take back of a grant, decided with what remains of it (and under the wallet's lock). */
export interface GrantTakeBack {
  credits: number;
  reason: string;
}

/**
 * Takes back some of a grant's credits — a partial refund of what was paid for them — as a `void`
 * entry for the credits asked for, never more than remain of the grant (a grant left empty is
 * closed). `decide` is asked inside the posting's transaction, with the wallet locked, so takings
 * from one wallet are decided one at a time and each sees what the ones before it took (and may
 * lock rows of its own). Nothing to take is NothingToReverse.
 */
export async function takeBackGrantCredits(
  ctx: LedgerContext,
  tenantId: string,
  grantEntryId: string,
  decide: (tx: Sql, remaining: number) => Promise<GrantTakeBack>,
  idempotency: Idempotency,
  also?: AlsoInTransaction,
): Promise<WriteOutcome<WriteResult>> {
  let grantId: string;
  return post(ctx, {
    tenantId,
    idempotency,
    wallet: async (tx) => {
      const found = await entries.findEntry(tx, tenantId, grantEntryId);
      if (!found || found.kind !== "grant" || !found.grantId) throw new NotFound(`No grant entry ${grantEntryId}.`);
      grantId = found.grantId;
      return { owner: found.owner };
    },
    also,
    decide: async ({ tx, tenantId }) => {
      const [grant] = await grants.grantsByIds(tx, tenantId, [grantId]);
      const remaining = grant && grant.closedAt === null ? grant.remaining : 0;
      const asked = await decide(tx, remaining);
      const taken = Math.min(Math.max(0, asked.credits), remaining);
      if (taken === 0) throw new NothingToReverse("Nothing to take back: none of the grant remains, or nothing was asked.");
      return {
        entry: {
          kind: "void",
          amount: -taken,
          reason: asked.reason,
          grantId,
          draws: [{ grantId, amount: -taken }],
          closeGrantIds: taken === remaining ? [grantId] : [],
        },
      };
    },
  });
}
