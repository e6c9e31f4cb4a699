/**
 * Who pays for a ticket: the rule's answer, a pin an agent set, and changing it.
 * Part of the wallets use cases (`../wallets.ts` exports them all); no SQL, no HTTP.
 */
import type { ChangePayerRequest, PayerReason, TicketPayer, TicketPayerPin, Wallet } from "../../../contract/ledger.js";
import { choosePayer, payingOwner } from "../../domain/payer.js";
import * as ticketPayers from "../../storage/ticket-payers.js";
import type { Idempotency, LedgerContext, WriteOutcome } from "../context.js";
import { post } from "../posting.js";
import { getWallet } from "./reads.js";

/** Who the payer rule (`choosePayer`) picks for a ticket: the person's own wallet, or an organisation's. */
async function payerByRule(
  ctx: LedgerContext,
  tenantId: string,
  personId: string,
  orgs: { ticketOrg: string | null; personOrg: string | null },
): Promise<{ owner: string; reason: PayerReason; organisationFrom: "ticket" | "person" | null; wallet: Wallet }> {
  const person = await getWallet(ctx, tenantId, `person:${personId}`);
  const decision = choosePayer(personId, { ...orgs, personHasOwnPlan: person.planSource === "wallet", personBalance: person.balance });
  return { ...decision, wallet: decision.owner === person.owner ? person : await getWallet(ctx, tenantId, decision.owner) };
}

const toApiPin = (pin: ticketPayers.PayerPinRow) => ({
  owner: pin.owner,
  how: pin.how,
  at: pin.pinnedAt.toISOString(),
  agent: pin.agent,
  note: pin.note,
  previousOwner: pin.previousOwner,
});

/**
 * Which wallet pays for a ticket: the one it is pinned to (its first charge's, or an agent's
 * choice) once there is one, else the payer rule's. The rule's choice is always said too.
 */
export async function getTicketPayer(
  ctx: LedgerContext,
  tenantId: string,
  ticketId: string,
  personId: string,
  orgs: { ticketOrg: string | null; personOrg: string | null },
): Promise<TicketPayer> {
  const [rule, pin] = await Promise.all([payerByRule(ctx, tenantId, personId, orgs), ticketPayers.findPin(ctx.db, tenantId, ticketId)]);
  const owner = payingOwner(rule, pin);
  const wallet = owner === rule.owner ? rule.wallet : await getWallet(ctx, tenantId, owner);
  return {
    owner,
    reason: rule.reason,
    organisationFrom: rule.organisationFrom,
    wallet,
    pin: pin ? toApiPin(pin) : null,
    rule: { owner: rule.owner, reason: rule.reason },
  };
}

/** An agent moves a ticket to another bank: later charges go there; earlier ones stay with the bank that paid them. */
export async function changeTicketPayer(
  ctx: LedgerContext,
  tenantId: string,
  ticketId: string,
  request: ChangePayerRequest,
  idempotency: Idempotency,
): Promise<WriteOutcome<TicketPayerPin>> {
  return post<TicketPayerPin>(ctx, {
    tenantId,
    idempotency,
    wallet: { owner: request.owner, ticketId },
    decide: async ({ tx, now }) => {
      const previous = await ticketPayers.findPin(tx, tenantId, ticketId);
      const pin: ticketPayers.PayerPinRow = {
        ticketId,
        owner: request.owner,
        how: "agent",
        agent: request.agent ?? null,
        note: request.reason,
        previousOwner: previous?.owner ?? null,
        pinnedAt: now,
      };
      await ticketPayers.setPin(tx, tenantId, pin);
      return { entry: null, status: 200, body: { ticketId, pin: toApiPin(pin) } };
    },
  });
}
