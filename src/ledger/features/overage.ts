/**
 * Asked before overage. When a bank can't pay for the response tier its customer picked on the
 * portal, the message that tells the customer so also carries a signed, expiring link to a page
 * where they choose: approve the extra credits (the bank goes past its balance and plan overdraft
 * by at most the admin's per-ticket limit), buy a pack, or keep the free tier. The question and its
 * one answer are stored with the ticket; an approval is charged in the same transaction that
 * writes the answer, so it happens once however often, or however concurrently, it is submitted.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { Tier } from "../../contract/config.js";
import type { OverageAnswer, OverageChoice, OverageSettings } from "../../contract/overage.js";
import type { LedgerContext } from "../core/context.js";
import { InsufficientCredits, TierAlreadyCharged } from "../core/errors.js";
import { signToken, verifyToken } from "../core/signed-tokens.js";
import * as core from "../core/wallets.js";
import { findTier } from "../domain/pricing.js";
import { enqueueMessage, enqueuePriority } from "../integrations/deskpro/writes.js";
import type { Sql } from "../storage/db.js";
import * as store from "../storage/overage.js";
import * as portalStore from "../storage/portal-tiers.js";
import { customerLink } from "./customer-links.js";
import { renderTemplate } from "./message-template.js";

/** How long a customer has to answer: long enough for a weekend, short enough that the ticket is still open. */
export const OVERAGE_LINK_DAYS = 7;

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

export async function loadOverageSettings(sql: Sql, tenantId: string): Promise<{ settings: OverageSettings; updatedAt: Date | null }> {
  const { perTicketLimit, updatedAt } = await store.getOverageLimit(sql, tenantId);
  return { settings: { perTicketLimit }, updatedAt };
}

export async function saveOverageSettings(
  ledger: LedgerContext,
  tenantId: string,
  settings: OverageSettings,
): Promise<{ settings: OverageSettings; updatedAt: Date }> {
  const now = ledger.clock();
  await store.putOverageLimit(ledger.db, tenantId, settings.perTicketLimit, now);
  return { settings, updatedAt: now };
}

// ---------------------------------------------------------------------------------------------
// Signed links: the tenant, the question and the expiry, under a key of their own
// ---------------------------------------------------------------------------------------------

const OFFER_ID = /^ovr_[0-9a-z]{26}$/;
const Claims = z.strictObject({ t: z.string().regex(/^tnt_[0-9a-z]{26}$/), q: z.string().regex(OFFER_ID), e: z.int().positive() });
export interface OverageClaims {
  tenantId: string;
  offerId: string;
  expiresAt: Date;
}

const PURPOSE = "overage-link";

export function overageToken(claims: OverageClaims): string {
  return signToken(PURPOSE, { t: claims.tenantId, q: claims.offerId, e: Math.floor(claims.expiresAt.getTime() / 1000) });
}

export type OverageLinkCheck = { ok: true; claims: OverageClaims } | { ok: false; reason: "invalid" | "expired" };

export function verifyOverageLink(token: string, now: Date): OverageLinkCheck {
  const check = verifyToken(PURPOSE, token, Claims, now);
  if (!check.ok) return check;
  const { t, q, e } = check.claims;
  return { ok: true, claims: { tenantId: t, offerId: q, expiresAt: new Date(e * 1000) } };
}

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const newOfferId = () => `ovr_${[...randomBytes(26)].map((b) => ALPHABET[b % 32]).join("")}`;

const publicUrl = () => process.env.LEDGER_PUBLIC_URL?.replace(/\/+$/, "") || null;

// ---------------------------------------------------------------------------------------------
// Asking: from the portal job, in the transaction that tells the customer the tier wasn't charged
// ---------------------------------------------------------------------------------------------

export interface OverageAsk {
  tenantId: string;
  ticketId: string;
  owner: string;
  tier: Tier;
  /** What the tier costs this customer (the price the form showed, at most the tier's). */
  price: number;
  balance: number;
  /** Credits the bank could spend (its balance and its plan's overdraft). */
  available: number;
  /** Makes a retried job ask the same question (the customer message's own key). */
  dedupeKey: string;
  now: Date;
}

/**
 * Records the question and returns the paragraph to add to the customer's message, or null when
 * the question isn't asked: the limit is 0, the extra credits are over it, or the ledger has no
 * public address to link to (LEDGER_PUBLIC_URL) or no key to sign with.
 */
export async function askBeforeOverage(tx: Sql, ask: OverageAsk): Promise<string | null> {
  const base = publicUrl();
  if (base === null) return null;
  const { perTicketLimit } = await store.getOverageLimit(tx, ask.tenantId);
  const shortfall = ask.price - ask.available;
  if (perTicketLimit === 0 || shortfall <= 0 || shortfall > perTicketLimit) return null;
  let token: string;
  const offer = await store.recordOffer(
    tx,
    ask.tenantId,
    {
      offerId: newOfferId(),
      ticketId: ask.ticketId,
      owner: ask.owner,
      tier: ask.tier.key,
      price: ask.price,
      balance: ask.balance,
      shortfall,
      askedAt: ask.now,
      expiresAt: new Date(ask.now.getTime() + OVERAGE_LINK_DAYS * 86_400_000),
    },
    ask.dedupeKey,
  );
  try {
    token = overageToken({ tenantId: ask.tenantId, offerId: offer.offerId, expiresAt: offer.expiresAt });
  } catch {
    return null; // no secrets key to sign with: the message goes out as before
  }
  return `<p>${renderTemplate("You can also approve the extra {shortfall} credits for {tier}, buy credits, or keep the standard response, here: {link}", {
    shortfall,
    tier: ask.tier.label,
    link: `${base}/overage/${token}`,
  })}</p>`;
}

// ---------------------------------------------------------------------------------------------
// The page: what is asked, and the answer
// ---------------------------------------------------------------------------------------------

const stateOf = (offer: store.OverageOfferRow, now: Date): OverageChoice["state"] =>
  offer.answer ?? (offer.expiresAt.getTime() <= now.getTime() ? "expired" : "pending");

const toChoice = (offer: store.OverageOfferRow, now: Date): OverageChoice => ({
  ticketId: offer.ticketId,
  owner: offer.owner,
  tier: offer.tier,
  price: offer.price,
  balance: offer.balance,
  shortfall: offer.shortfall,
  state: stateOf(offer, now),
  askedAt: offer.askedAt.toISOString(),
  expiresAt: offer.expiresAt.toISOString(),
  answeredAt: offer.answeredAt?.toISOString() ?? null,
  entryId: offer.entryId,
});

/** The ticket's latest question, for the agent's sidebar; null when none was asked. */
export async function ticketOverage(ledger: LedgerContext, tenantId: string, ticketId: string): Promise<OverageChoice | null> {
  const offer = await store.latestOffer(ledger.db, tenantId, ticketId);
  return offer ? toChoice(offer, ledger.clock()) : null;
}

export interface OverageView {
  choice: OverageChoice;
  tierLabel: string;
  /** The bank's balance now. */
  balance: number;
  /** The credits an approval would now take past what the bank can spend, and the limit. */
  shortfallNow: number;
  limit: number;
  /** The bank's customer page, where packs are bought (null: no public address to link to). */
  buyLink: string | null;
}

export async function viewOverage(ledger: LedgerContext, tenantId: string, offerId: string, origin: string): Promise<OverageView | null> {
  const offer = await store.getOffer(ledger.db, tenantId, offerId);
  if (!offer) return null;
  const now = ledger.clock();
  const [{ config }, wallet, { perTicketLimit }] = await Promise.all([
    core.loadConfig(ledger.db, tenantId),
    core.getWallet(ledger, tenantId, offer.owner),
    store.getOverageLimit(ledger.db, tenantId),
  ]);
  let buyLink: string | null = null;
  try {
    buyLink = customerLink(tenantId, offer.owner, now, 30, { publicUrl: publicUrl() ?? origin }).url;
  } catch {
    buyLink = null;
  }
  return {
    choice: toChoice(offer, now),
    tierLabel: findTier(config, offer.tier)?.label ?? offer.tier,
    balance: wallet.balance,
    shortfallNow: Math.max(0, offer.price - (wallet.balance + wallet.overdraftLimit)),
    limit: perTicketLimit,
    buyLink,
  };
}

export type OverageOutcome =
  | { kind: "approved"; balance: number }
  | { kind: "kept_free" }
  /** Answered before (this answer or another): nothing changed now. */
  | { kind: "answered_before"; choice: OverageChoice }
  | { kind: "expired" }
  /** The ticket moved on (another tier picked, charged or cancelled): nothing changed. */
  | { kind: "withdrawn" }
  /** Approving would take the bank past the limit now: nothing changed; the question stays open. */
  | { kind: "over_limit"; shortfall: number; limit: number }
  | { kind: "not_found" };

/** Thrown inside the charge's transaction to undo it: the question was answered meanwhile. */
class AnsweredMeanwhile extends Error {}
/** Thrown inside the charge's transaction to undo it: the ticket no longer waits on this tier. */
class NoLongerApplies extends Error {}

/** Acts on the customer's answer once: the first answer stands; any later one changes nothing. */
export async function answerOverage(ledger: LedgerContext, tenantId: string, offerId: string, answer: OverageAnswer): Promise<OverageOutcome> {
  const offer = await store.getOffer(ledger.db, tenantId, offerId);
  if (!offer) return { kind: "not_found" };
  const now = ledger.clock();
  const answeredBefore = async (): Promise<OverageOutcome> => {
    const latest = (await store.getOffer(ledger.db, tenantId, offerId))!;
    const state = stateOf(latest, ledger.clock());
    if (state === "expired") return { kind: "expired" };
    if (state === "withdrawn") return { kind: "withdrawn" };
    return { kind: "answered_before", choice: toChoice(latest, ledger.clock()) };
  };
  if (offer.answer !== null || offer.expiresAt.getTime() <= now.getTime()) return answeredBefore();

  if (answer === "keep_free") {
    const wrote = await store.answerOffer(ledger.db, tenantId, offerId, "kept_free", now);
    return wrote ? { kind: "kept_free" } : answeredBefore();
  }

  const [{ config }, { settings }, { perTicketLimit }] = await Promise.all([
    core.loadConfig(ledger.db, tenantId),
    portalStore.getPortalSettings(ledger.db, tenantId),
    store.getOverageLimit(ledger.db, tenantId),
  ]);
  const tier = findTier(config, offer.tier);
  if (!tier) return withdraw(ledger, tenantId, offerId);
  try {
    const result = await core.debitCredits(
      ledger,
      tenantId,
      offer.owner,
      { kind: "priority", tier: tier.key, ticketId: offer.ticketId, reason: `${tier.label} (approved by the customer past their balance)` },
      { scope: "ledger", key: `overage:${offerId}:approve`, requestHash: `overage:${offerId}` },
      {
        priceAtMost: offer.price,
        extraOverdraft: perTicketLimit,
        alsoInTransaction: async (tx, written, at) => {
          // The answer is written with the charge: a concurrent or repeated approval finds it and undoes its own.
          if (!(await store.answerOffer(tx, tenantId, offerId, "approved", at, written.entry.id))) throw new AnsweredMeanwhile();
          const seen = await portalStore.lockPortalTicket(tx, tenantId, offer.ticketId);
          if (!seen || seen.outcome !== "unaffordable" || seen.requestedTier !== tier.key) throw new NoLongerApplies();
          const setPriority = tier.deskproPriorityId !== null && tier.deskproPriorityId !== seen.lastPriorityId ? tier.deskproPriorityId : null;
          await portalStore.savePortalTicket(
            tx,
            tenantId,
            {
              ticketId: offer.ticketId,
              owner: offer.owner,
              requestedTier: tier.key,
              chargedTier: tier.key,
              chargeEntryId: written.entry.id,
              outcome: "charged",
              lastFieldTier: seen.lastFieldTier,
              lastPriorityId: setPriority ?? seen.lastPriorityId,
            },
            at,
          );
          if (setPriority !== null)
            await enqueuePriority(
              tx,
              tenantId,
              `portal:${offer.ticketId}:priority:${written.entry.id}`,
              { ticketId: offer.ticketId, priorityId: setPriority },
              at,
            );
          const note =
            renderTemplate(settings.messages.charged, {
              tier: tier.label,
              price: -written.entry.amount,
              balance: written.balance,
              ticket: offer.ticketId,
              reason: "",
              name: "",
              link: "",
            }) + `<p>The customer approved going past their balance (up to ${perTicketLimit.toLocaleString("en")} credits a ticket).</p>`;
          await enqueueMessage(tx, tenantId, `overage:${offerId}:approved-note`, { ticketId: offer.ticketId, html: note, note: true }, at);
        },
      },
    );
    // A concurrent approval that lost the race replays the winner's answer: the same charge, once.
    return result.replayed ? answeredBefore() : { kind: "approved", balance: result.body.balance };
  } catch (error) {
    if (error instanceof AnsweredMeanwhile) return answeredBefore();
    if (error instanceof NoLongerApplies || error instanceof TierAlreadyCharged) return withdraw(ledger, tenantId, offerId);
    if (error instanceof InsufficientCredits)
      return { kind: "over_limit", shortfall: error.required - (error.available - perTicketLimit), limit: perTicketLimit };
    throw error;
  }
}

async function withdraw(ledger: LedgerContext, tenantId: string, offerId: string): Promise<OverageOutcome> {
  await store.answerOffer(ledger.db, tenantId, offerId, "withdrawn", ledger.clock());
  return { kind: "withdrawn" };
}
