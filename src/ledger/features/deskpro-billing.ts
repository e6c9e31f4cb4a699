/**
 * Deskpro's own Billing & Time Log, linked both ways with the banks, each charge counted once.
 *
 * Deskpro → bank: the ledger reads a ticket's charges (`GET /tickets/{id}/charges`) when a web hook
 * names the ticket, when an agent opens or refreshes its sidebar, and in the hourly sweep for
 * tickets with recent charges. Deskpro sends nothing when a charge is added, edited or deleted, and
 * deletes leave no trace, so each read is compared with what the ledger saw before: a new time
 * charge is a time debit on the ticket's paying bank (per-ticket rounding with the sidebar's time),
 * an edited one is a reversal and a new debit, a deleted one a reversal. The charge's id and its
 * time name the ledger's own idempotency keys, and every posting re-checks, under the charge row's
 * lock, that the row is as the read found it; reads are numbered as they start and an older read
 * never undoes a newer one. So repeated and concurrent reads count each version of a charge once.
 *
 * Deskpro's answers are taken as they come: every page is read (within the client's limits) and
 * kept as one small record per charge id before anything is written, so a read that fails or
 * goes past a limit writes nothing; a charge listed twice is one charge (its later listing); a
 * charge the ledger can't take is recorded as refused, with why, and the rest still count; and
 * only a list read whole is taken as proof that a charge it doesn't list was deleted.
 *
 * Bank → Deskpro: time logged in the sidebar is written to the ticket's Billing tab (an outbox row
 * in the debit's own transaction), with a marker in the comment; charges the ledger wrote are
 * never counted back, and refunding the sidebar time deletes its charge.
 */
import type {
  DeskproBillingSettings,
  DeskproBillingStatus,
  DeskproChargeLine,
  DeskproChargeRefusal,
  DeskproChargeState,
  TicketDeskproBilling,
} from "../../contract/deskpro-billing.js";
import { z } from "zod";
import type { Idempotency, LedgerContext } from "../core/context.js";
import { AlreadyReversed, AmountOutOfRange, InsufficientCredits } from "../core/errors.js";
import { enqueueJob, handle, outboxKind, type DeliveryContext, type DeliveryError, type OutboxHandler } from "../core/outbox.js";
import * as core from "../core/wallets.js";
import type { AlsoInTransaction } from "../core/wallets.js";
import {
  amountText,
  billingMode,
  centsFrom,
  creditsForCents,
  durationText,
  minutesFromSeconds,
  parseDeskproDate,
  refusalText,
  secondsFrom,
  timeLogComment,
  wantedParts,
  type ChargePart,
  type ObservedCharge,
  type WantedPart,
} from "../domain/deskpro-billing.js";
import { DeskproError, type DeskproClient } from "../integrations/deskpro/client.js";
import { clientFor, deskproForDelivery, type DeskproClientFactory } from "../integrations/deskpro/connection.js";
import type { DeskproCharge } from "../integrations/deskpro/schemas.js";
import { MARKER_PATTERN, messageMarker } from "../integrations/deskpro/writes.js";
import * as entries from "../storage/entries.js";
import * as store from "../storage/deskpro-billing.js";
import { organisationsOf } from "./portal-tiers.js";
import { deskproProblem } from "./wallet-facts.js";

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/** The defaults until an admin saves: both ways, money charges left alone. */
const settingsOf = (row: store.BillingSettingsRow | null) => ({
  fromDeskpro: row?.fromDeskpro ?? true,
  toDeskpro: row?.toDeskpro ?? true,
  creditsPerCurrencyUnit: row?.creditsPerCurrencyUnit ?? null,
});

/** A stored part of a charge as the API shows it; `rate` is the money rate in force (for a refusal's words). */
const lineOf = (row: store.ChargeRow, rate: number | null): DeskproChargeLine => {
  const refused = row.state === "refused" && row.refusal !== null;
  const readable = !(refused && row.refusal === "out_of_range");
  return {
    chargeId: String(row.chargeId),
    ticketId: row.ticketId,
    part: row.part,
    // Counted, then refunded by an agent in the sidebar: that version of the charge stays uncounted.
    state: row.countedUnits !== null && row.reversed ? "refunded" : (row.state as DeskproChargeState),
    seconds: row.part === "time" && readable ? row.units : null,
    amount: row.part === "money" && readable ? amountText(row.units) : null,
    entryId: row.entryId,
    dateCreated: row.dateCreated?.toISOString() ?? null,
    seenAt: row.firstSeenAt.toISOString(),
    refusal: refused ? { reason: row.refusal!, detail: refusalText(row.refusal!, row.part, row.units, rate) } : null,
  };
};

/** How many refused charges the settings page lists. */
const REFUSED_SHOWN = 5;

export async function getBillingStatus(ledger: LedgerContext, tenantId: string): Promise<DeskproBillingStatus> {
  const row = await store.getBillingSettings(ledger.db, tenantId);
  const settings = settingsOf(row);
  const last = await store.lastSeenCharge(ledger.db, tenantId);
  const refused = await store.refusedCharges(ledger.db, tenantId, REFUSED_SHOWN);
  const rate = settings.creditsPerCurrencyUnit;
  return {
    settings,
    mode: billingMode(settings),
    linkedFrom: row?.linkedFrom?.toISOString() ?? null,
    lastCharge: last ? lineOf(last, rate) : null,
    lastRead: row?.lastReadAt && row.lastReadTicket ? { at: row.lastReadAt.toISOString(), ticketId: row.lastReadTicket, error: row.lastReadError } : null,
    unpaid: await store.countUnpaid(ledger.db, tenantId),
    refused: { count: refused.count, latest: refused.latest.map((r) => lineOf(r, rate)) },
  };
}

export async function saveBillingSettings(ledger: LedgerContext, tenantId: string, input: DeskproBillingSettings): Promise<DeskproBillingStatus> {
  const previous = await store.getBillingSettings(ledger.db, tenantId);
  const now = ledger.clock();
  let linkedFrom = previous?.linkedFrom ?? null;
  // Switched back on: charges made while it was off are not counted afterwards.
  if (linkedFrom !== null && !settingsOf(previous).fromDeskpro && input.fromDeskpro) linkedFrom = now;
  await store.putBillingSettings(ledger.db, tenantId, { ...input, linkedFrom }, now);
  return getBillingStatus(ledger, tenantId);
}

// ---------------------------------------------------------------------------------------------
// Deskpro → bank: reading a ticket's Billing tab
// ---------------------------------------------------------------------------------------------

/** A posting found the charge's row changed since it was read (another read got there first): nothing was written. */
class ChargeRowMoved extends Error {
  override name = "ChargeRowMoved";
}

interface Read {
  ledger: LedgerContext;
  tenantId: string;
  ticketId: string;
  /** This read's number: a row written by a later read is left alone. */
  seq: number;
  linkedFrom: Date;
  creditsPerCurrencyUnit: number | null;
  changed: boolean;
  /** The bank that pays for the ticket (read from Deskpro once, when something is to be charged); null without a customer. */
  payer(): Promise<string | null>;
}

const ledgerKey = (key: string): Idempotency => ({ scope: "ledger", key, requestHash: key });

/** A charge as one read keeps it: the rules' view, and the markers in its comment (sidebar time the ledger wrote). */
interface ListedCharge extends ObservedCharge {
  markers: string[];
}

/** A ticket's charges as one read found them: one per id, in id order. */
interface ChargeListing {
  charges: ListedCharge[];
  /** Items Deskpro listed that the ledger couldn't take as charges at all (no usable id). */
  unreadable: number;
  /**
   * Every item read, and as many charges as Deskpro says the ticket has (when it says): only a
   * list read whole shows that a charge it leaves out was deleted.
   */
  whole: boolean;
}

const listed = (charge: DeskproCharge): ListedCharge => ({
  id: charge.id,
  seconds: secondsFrom(charge.charge_time),
  cents: centsFrom(charge.amount),
  dateCreated: parseDeskproDate(charge.date_created),
  markers: [...(charge.comment ?? "").matchAll(MARKER_PATTERN)].slice(0, 4).map((m) => m[0]),
});

/**
 * Reads every page of the ticket's charges, keeping one small record per charge id (the page's
 * own answer is let go before the next is asked for): the memory a read holds is one page and
 * these records, at most CHARGE_READ_LIMITS' charges. A charge listed again (pages that shifted
 * while read) is taken as its later listing.
 */
async function readChargeListing(client: DeskproClient, ticketId: string): Promise<ChargeListing> {
  const byId = new Map<number, ListedCharge>();
  let unreadable = 0;
  let total: number | null = null;
  for await (const page of client.ticketChargePages(ticketId)) {
    unreadable += page.unreadable;
    total = page.total ?? total;
    for (const charge of page.items) byId.set(charge.id, listed(charge));
  }
  const charges = [...byId.values()].sort((a, b) => a.id - b.id);
  return { charges, unreadable, whole: unreadable === 0 && (total === null || total === charges.length) };
}

/**
 * Reads the ticket's charges from Deskpro and brings the banks in line with them. Answers whether
 * anything was posted or recorded, and how many listed items couldn't be read. Deskpro errors
 * (a limit passed among them) are recorded for the settings page and thrown, with nothing written.
 */
export async function readTicketBilling(
  ledger: LedgerContext,
  tenantId: string,
  ticketId: string,
  client: DeskproClient,
): Promise<{ changed: boolean; unreadable: number }> {
  const settings = settingsOf(await store.getBillingSettings(ledger.db, tenantId));
  if (!settings.fromDeskpro && !settings.toDeskpro) return { changed: false, unreadable: 0 };
  // Numbered before Deskpro is asked: a read that started later saw Deskpro later.
  const seq = await store.nextReadNumber(ledger.db);
  let listing: ChargeListing;
  try {
    listing = await readChargeListing(client, ticketId);
  } catch (error) {
    if (error instanceof DeskproError) await store.recordRead(ledger.db, tenantId, ticketId, ledger.clock(), error.message);
    throw error;
  }
  const now = ledger.clock();
  await store.markLinked(ledger.db, tenantId, now);
  await store.recordRead(ledger.db, tenantId, ticketId, now, null);
  const row = await store.getBillingSettings(ledger.db, tenantId);

  let payer: Promise<string | null> | null = null;
  const read: Read = {
    ledger,
    tenantId,
    ticketId,
    seq,
    linkedFrom: row!.linkedFrom!,
    creditsPerCurrencyUnit: settings.creditsPerCurrencyUnit,
    changed: false,
    payer: () =>
      (payer ??= (async () => {
        const ticket = await client.getTicket(ticketId);
        if (ticket.person === null) return null;
        return (await core.getTicketPayer(ledger, tenantId, ticketId, String(ticket.person), await organisationsOf(client, ticket)())).owner;
      })()),
  };

  const { ours, inFlight } = await claimOurCharges(read, listing.charges);
  if (!settings.fromDeskpro) return { changed: read.changed, unreadable: listing.unreadable };

  const known = await store.chargesOnTicket(ledger.db, tenantId, ticketId);
  const seen = new Set<number>();
  for (const charge of listing.charges) {
    if (ours.has(charge.id)) continue;
    const knownParts = known.filter((r) => r.chargeId === charge.id);
    // Possibly sidebar time whose write hasn't recorded Deskpro's id yet: the next read decides.
    if (knownParts.length === 0 && charge.cents === 0 && inFlight.some((w) => w.seconds === charge.seconds)) continue;
    seen.add(charge.id);
    const wanted = wantedParts(charge, read);
    for (const part of ["time", "money"] as const) {
      const want = wanted.find((w) => w.part === part) ?? null;
      if (want !== null || knownParts.some((r) => r.part === part)) await applyPart(read, charge, part, want, "edited");
    }
  }
  // Deskpro deletes charges outright: one the ledger knew that a whole list no longer has was deleted.
  if (listing.whole) {
    for (const gone of known.filter((r) => !seen.has(r.chargeId) && !ours.has(r.chargeId))) {
      await applyPart(read, { id: gone.chargeId, seconds: 0, cents: 0, dateCreated: gone.dateCreated }, gone.part, null, "deleted");
    }
  }
  return { changed: read.changed, unreadable: listing.unreadable };
}

/**
 * The ticket's charges the ledger wrote itself (from sidebar time): known by id, or found by the
 * marker in their comment when the write hasn't recorded the id yet. Also answers the writes
 * that may be in Deskpro already without the ledger knowing their charge.
 */
async function claimOurCharges(read: Read, charges: ListedCharge[]): Promise<{ ours: Set<number>; inFlight: store.WriteRow[] }> {
  const writes = await store.writesOnTicket(read.ledger.db, read.tenantId, read.ticketId);
  const ours = new Set(writes.flatMap((w) => (w.chargeId === null ? [] : [w.chargeId])));
  for (const charge of charges) {
    if (ours.has(charge.id)) continue;
    const write = writes.find((w) => w.chargeId === null && (w.state === "pending" || w.state === "failed") && charge.markers.includes(w.marker));
    if (!write) continue;
    await store.recordWritten(read.ledger.db, read.tenantId, write.entryId, charge.id, read.ledger.clock());
    write.chargeId = charge.id;
    ours.add(charge.id);
    read.changed = true;
  }
  return { ours, inFlight: writes.filter((w) => w.state === "pending" && w.attempted && w.chargeId === null) };
}

/**
 * Brings one part of one charge in line with what Deskpro shows (`wanted`, null when the part is
 * gone). Each step is one posting that checks the row under its lock; when another read moved it
 * first, the row is read again and the step decided again.
 */
async function applyPart(read: Read, charge: ObservedCharge, part: ChargePart, wanted: WantedPart | null, why: "edited" | "deleted"): Promise<void> {
  const { ledger, tenantId } = read;
  const note = (state: DeskproChargeState, units: number, refusal: DeskproChargeRefusal | null = null) =>
    store.noteCharge(
      ledger.db,
      tenantId,
      { chargeId: charge.id, part, ticketId: read.ticketId, state, units, dateCreated: charge.dateCreated, syncSeq: read.seq, refusal },
      ledger.clock(),
    );
  for (let attempt = 0; attempt < 6; attempt++) {
    const row = await store.findCharge(ledger.db, tenantId, charge.id, part);
    if (row !== null && row.syncSeq > read.seq) return; // a later read has been here
    const counted = row !== null && row.entryId !== null && row.countedUnits !== null;
    const live = counted && !row.reversed;
    const wantsCount = wanted?.outcome === "count";
    if (live && row.countedUnits === wanted?.units && (wantsCount || wanted.outcome === "money_not_counted")) return; // unchanged (a rate taken away later undoes nothing)
    if (live) {
      await reverseCounted(read, row, why);
      continue;
    }
    if (wanted === null) {
      if (row !== null) await note("removed", row.units);
      return;
    }
    if (wanted.outcome === "refused") return void (await note("refused", wanted.units, wanted.refusal));
    if (wanted.outcome !== "count") return void (await note(wanted.outcome, wanted.units));
    // Counted, then refunded in the sidebar by an agent: this version stays refunded.
    if (counted && row.reversed && row.countedUnits === wanted.units) return;
    const payer = await read.payer();
    if (payer === null) return void (await note("no_customer", wanted.units));
    if (await chargePart(read, charge, part, wanted.units, row, payer)) return;
  }
}

/** Posts the debit for a part of a charge; false when the row moved under it (nothing was written). */
async function chargePart(read: Read, charge: ObservedCharge, part: ChargePart, units: number, row: store.ChargeRow | null, payer: string): Promise<boolean> {
  const { ledger, tenantId, ticketId } = read;
  const rate = read.creditsPerCurrencyUnit ?? 0;
  const request =
    part === "time"
      ? { kind: "time" as const, minutes: minutesFromSeconds(units), ticketId, reason: `Deskpro time log: charge #${charge.id}, ${durationText(units)}` }
      : {
          kind: "manual" as const,
          amount: creditsForCents(units, rate),
          ticketId,
          reason: `Deskpro billing: charge #${charge.id}, ${amountText(units)} at ${rate} credits per 1.00`,
        };
  // After the entry it replaces (or first): a charge edited back to an earlier time is a new debit, not a replay.
  const key = `deskpro-charge:${ticketId}:${charge.id}:${part}:${units}:after:${row?.entryId ?? "first"}`;
  try {
    const outcome = await core.debitCredits(ledger, tenantId, payer, request, ledgerKey(key), {
      alsoInTransaction: async (tx, result, now) => {
        const values = {
          chargeId: charge.id,
          part,
          ticketId,
          state: "charged",
          units,
          countedUnits: units,
          entryId: result.entry.id,
          dateCreated: charge.dateCreated,
          syncSeq: read.seq,
        };
        const locked = await store.lockCharge(tx, tenantId, charge.id, part);
        if (row === null) {
          if (locked !== null || !(await store.insertCharge(tx, tenantId, values, now))) throw new ChargeRowMoved();
        } else {
          if (locked === null || locked.entryId !== row.entryId || locked.countedUnits !== row.countedUnits || locked.syncSeq > read.seq)
            throw new ChargeRowMoved();
          await store.updateCharge(tx, tenantId, values, now);
        }
      },
    });
    if (!outcome.replayed) read.changed = true;
    return true;
  } catch (error) {
    if (error instanceof ChargeRowMoved) return false;
    if (error instanceof AmountOutOfRange) {
      // More credits than one entry moves (time priced with the ticket's other time): refused, and the other charges still count.
      await store.noteCharge(
        ledger.db,
        tenantId,
        { chargeId: charge.id, part, ticketId, state: "refused", units, dateCreated: charge.dateCreated, syncSeq: read.seq, refusal: "over_credit_limit" },
        ledger.clock(),
      );
      return true;
    }
    if (error instanceof InsufficientCredits) {
      // Tried again at every read of the ticket, until the bank can pay.
      await store.noteCharge(
        ledger.db,
        tenantId,
        { chargeId: charge.id, part, ticketId, state: "unpaid", units, dateCreated: charge.dateCreated, syncSeq: read.seq },
        ledger.clock(),
      );
      return true;
    }
    throw error;
  }
}

/** Reverses the debit that counts a part of a charge, which Deskpro now shows edited or deleted. */
async function reverseCounted(read: Read, row: store.ChargeRow, why: "edited" | "deleted"): Promise<void> {
  const { ledger, tenantId, ticketId } = read;
  const what = row.part === "time" ? "Deskpro time log" : "Deskpro billing";
  try {
    const outcome = await core.reverseEntry(
      ledger,
      tenantId,
      row.entryId!,
      { reason: `${what}: charge #${row.chargeId} ${why} in Deskpro` },
      ledgerKey(`deskpro-charge:${ticketId}:${row.chargeId}:${row.part}:reverse:${row.entryId}`),
      async (tx, _result, now) => {
        const locked = await store.lockCharge(tx, tenantId, row.chargeId, row.part);
        if (locked === null || locked.entryId !== row.entryId || locked.countedUnits !== row.countedUnits || locked.syncSeq > read.seq)
          throw new ChargeRowMoved();
        await store.updateCharge(tx, tenantId, { ...locked, state: "removed", countedUnits: null, syncSeq: read.seq }, now);
      },
    );
    if (!outcome.replayed) read.changed = true;
  } catch (error) {
    // Another read moved the row, or an agent refunded the debit meanwhile: the caller reads the row again.
    if (error instanceof ChargeRowMoved || error instanceof AlreadyReversed) return;
    throw error;
  }
}

/** The ticket's Billing tab as the ledger knows it: Deskpro's charges, and the sidebar time it wrote there. */
async function ticketView(
  ledger: LedgerContext,
  tenantId: string,
  ticketId: string,
  read: { changed: boolean; unreadable: number },
): Promise<TicketDeskproBilling> {
  const row = await store.getBillingSettings(ledger.db, tenantId);
  const rate = settingsOf(row).creditsPerCurrencyUnit;
  const fromDeskpro = (await store.chargesOnTicket(ledger.db, tenantId, ticketId)).map((r) => lineOf(r, rate));
  const written = (await store.writesOnTicket(ledger.db, tenantId, ticketId)).flatMap((w): DeskproChargeLine[] => {
    const state: DeskproChargeState | null =
      w.state === "written" ? "logged_here" : w.state === "pending" ? "writing" : w.state === "failed" ? "write_failed" : null;
    if (state === null) return [];
    return [
      {
        chargeId: w.chargeId === null ? null : String(w.chargeId),
        ticketId,
        part: "time",
        state,
        seconds: w.seconds,
        amount: null,
        entryId: w.entryId,
        dateCreated: null,
        seenAt: w.createdAt.toISOString(),
        refusal: null,
      },
    ];
  });
  return {
    ticketId,
    mode: billingMode(settingsOf(row)),
    linked: row?.linkedFrom != null,
    changed: read.changed,
    unreadable: read.unreadable,
    charges: [...fromDeskpro, ...written].sort((a, b) => a.seenAt.localeCompare(b.seenAt) || Number(a.chargeId ?? Infinity) - Number(b.chargeId ?? Infinity)),
  };
}

/** Reads the ticket's Billing tab now (the sidebar asks when it opens or is refreshed) and answers what the ledger knows of it. */
export async function readTicketBillingNow(
  ledger: LedgerContext,
  tenantId: string,
  ticketId: string,
  clients: DeskproClientFactory,
): Promise<TicketDeskproBilling> {
  const settings = settingsOf(await store.getBillingSettings(ledger.db, tenantId));
  if (!settings.fromDeskpro && !settings.toDeskpro) return ticketView(ledger, tenantId, ticketId, { changed: false, unreadable: 0 });
  const client = await clientFor(ledger.db, tenantId, clients);
  try {
    return ticketView(ledger, tenantId, ticketId, await readTicketBilling(ledger, tenantId, ticketId, client));
  } catch (error) {
    if (error instanceof DeskproError) throw deskproProblem(error);
    throw error;
  }
}

const BillingReadPayload = z.object({ ticketId: z.string() });

/** Reads a ticket's Billing tab and counts what changed there; one per ticket, coalesced. */
export const billingReadJob = outboxKind("deskpro.billing_read", BillingReadPayload, "helpdesk");

/** A web hook named the ticket: read its Billing tab soon (one job per ticket, however many hooks). */
export async function queueBillingRead(ledger: LedgerContext, tenantId: string, ticketId: string): Promise<string | null> {
  const settings = await store.getBillingSettings(ledger.db, tenantId);
  // Before the first read of a Billing tab the link hasn't started; off, nothing is counted.
  if (!settings?.fromDeskpro || settings.linkedFrom === null) return null;
  const now = ledger.clock();
  return (await enqueueJob(ledger.db, billingReadJob, { tenantId, dedupeKey: `deskpro-billing:read:${ticketId}`, payload: { ticketId }, now, coalesce: true }))
    .id;
}

/** How far back the sweep looks for tickets whose charges may still change. */
const SWEEP_DAYS = 14;
const SWEEP_TICKETS = 200;

/**
 * The hourly sweep reads again the tickets whose Deskpro charges changed lately, so an edit or a
 * delete in Deskpro is counted within the hour even when no web hook or sidebar names the ticket.
 */
export async function queueRecentBillingReads(ledger: LedgerContext, tenantId: string): Promise<number> {
  const settings = await store.getBillingSettings(ledger.db, tenantId);
  if (!settings?.fromDeskpro || settings.linkedFrom === null) return 0;
  const since = new Date(ledger.clock().getTime() - SWEEP_DAYS * 86_400_000);
  const tickets = await store.recentlyChargedTickets(ledger.db, tenantId, since, SWEEP_TICKETS);
  for (const ticketId of tickets) await queueBillingRead(ledger, tenantId, ticketId);
  return tickets.length;
}

// ---------------------------------------------------------------------------------------------
// Bank → Deskpro: sidebar time written to the Billing tab
// ---------------------------------------------------------------------------------------------

/**
 * For a time debit from the API (the sidebar): what to write with it, in its transaction, so its
 * time goes to the ticket's Billing tab; undefined when that direction is off or the link hasn't
 * started. Time the ledger posts from Deskpro's own charges doesn't come this way.
 */
export async function timeLogWriteFor(ledger: LedgerContext, tenantId: string): Promise<AlsoInTransaction | undefined> {
  const settings = await store.getBillingSettings(ledger.db, tenantId);
  if (!settings?.toDeskpro || settings.linkedFrom === null) return undefined;
  return async (tx, { entry }, now) => {
    if (entry.kind !== "time" || entry.ticketId === null || entry.minutes === null || entry.minutes <= 0) return;
    const marker = messageMarker(`${tenantId}|time-log|${entry.id}`);
    const note = entry.reason !== null && entry.reason !== `${entry.minutes} min logged` ? ` (${entry.reason})` : "";
    const text = `${entry.minutes} min logged in Support Credits${entry.agent ? ` by ${entry.agent}` : ""}: ${-entry.amount} credits${note}.`;
    await store.insertWrite(
      tx,
      tenantId,
      { entryId: entry.id, ticketId: entry.ticketId, seconds: entry.minutes * 60, comment: timeLogComment(text, marker), marker },
      now,
    );
    await enqueueJob(tx, timeLogWriteJob, {
      tenantId,
      dedupeKey: `deskpro-billing:write:${entry.id}`,
      payload: { entryId: entry.id, ticketId: entry.ticketId },
      now,
    });
  };
}

/** For a reversal: when it refunds sidebar time that was written to Deskpro, the charge there goes too. */
export const timeLogRemovalFor =
  (tenantId: string): AlsoInTransaction =>
  async (tx, { entry }, now) => {
    if (entry.reversesEntryId === null) return;
    const write = await store.findWrite(tx, tenantId, entry.reversesEntryId);
    if (!write || write.state === "cancelled" || write.state === "removed") return;
    await enqueueJob(tx, timeLogRemoveJob, {
      tenantId,
      dedupeKey: `deskpro-billing:remove:${write.entryId}`,
      payload: { entryId: write.entryId, ticketId: write.ticketId },
      now,
    });
  };

const TimeLogPayload = z.object({ entryId: z.string(), ticketId: z.string() });
type TimeLogPayload = z.infer<typeof TimeLogPayload>;

/** Writes a sidebar time debit to the ticket's Billing tab as a charge. */
export const timeLogWriteJob = outboxKind("deskpro.time_log_write", TimeLogPayload, "helpdesk");
/** Removes from the Billing tab the charge of a time debit that was refunded. */
export const timeLogRemoveJob = outboxKind("deskpro.time_log_remove", TimeLogPayload, "helpdesk");

/** The removal waits for the write to finish (or be given up): retried later. */
class WaitingForWrite extends Error implements DeliveryError {
  override name = "WaitingForWrite";
  readonly permanent = false;
  readonly safeToRecord = true as const;
  constructor() {
    super("waiting for the time log charge to be written first");
  }
}

/** How long before its write a charge may be dated and still be taken for it (clocks differ). */
const CLOCK_SKEW_MS = 10 * 60_000;

/**
 * Writes sidebar time to the ticket's Billing tab once: the charge is looked for by the marker in
 * its comment first (a redelivery after a lost answer finds it); when Deskpro keeps no comment, a
 * charge with exactly this time that nothing else claims, made since the write was queued, is taken.
 */
async function deliverTimeLogWrite(payload: TimeLogPayload, context: DeliveryContext, clients: DeskproClientFactory): Promise<void> {
  const { ledger, tenantId } = context;
  const write = await store.findWrite(ledger.db, tenantId, payload.entryId);
  if (!write || write.state !== "pending") return;
  const refunded = (await entries.findReversalOf(ledger.db, tenantId, write.entryId)) !== null;
  if (refunded && (await store.cancelUnattempted(ledger.db, tenantId, write.entryId, ledger.clock()))) return;
  const client = await deskproForDelivery(context, clients);
  const existing = (await readChargeListing(client, write.ticketId)).charges;
  let chargeId = existing.find((c) => c.markers.includes(write.marker))?.id;
  if (chargeId === undefined && write.attempted) {
    const claimed = new Set([
      ...(await store.chargesOnTicket(ledger.db, tenantId, write.ticketId)).map((r) => r.chargeId),
      ...(await store.writesOnTicket(ledger.db, tenantId, write.ticketId)).flatMap((w) => (w.chargeId === null ? [] : [w.chargeId])),
    ]);
    chargeId = existing.findLast(
      (c) =>
        !claimed.has(c.id) &&
        c.seconds === write.seconds &&
        c.cents === 0 &&
        (c.dateCreated === null || c.dateCreated.getTime() >= write.createdAt.getTime() - CLOCK_SKEW_MS),
    )?.id;
  }
  if (chargeId === undefined) {
    if (refunded) return void (await store.setWriteState(ledger.db, tenantId, write.entryId, ["pending"], "cancelled", ledger.clock()));
    if (!(await store.markAttempted(ledger.db, tenantId, write.entryId, ledger.clock()))) return; // cancelled meanwhile
    try {
      chargeId = (await client.createTicketCharge(write.ticketId, { chargeTime: write.seconds, comment: write.comment })).id;
    } catch (error) {
      if (error instanceof DeskproError && error.permanent)
        await store.setWriteState(ledger.db, tenantId, write.entryId, ["pending"], "failed", ledger.clock());
      throw error;
    }
  }
  await store.recordWritten(ledger.db, tenantId, write.entryId, chargeId, ledger.clock());
}

async function deliverTimeLogRemoval(payload: TimeLogPayload, context: DeliveryContext, clients: DeskproClientFactory): Promise<void> {
  const { ledger, tenantId } = context;
  const write = await store.findWrite(ledger.db, tenantId, payload.entryId);
  if (!write) return;
  if (write.state === "pending") {
    if (await store.cancelUnattempted(ledger.db, tenantId, write.entryId, ledger.clock())) return;
    throw new WaitingForWrite();
  }
  if (write.state !== "written" || write.chargeId === null) return;
  const client = await deskproForDelivery(context, clients);
  try {
    await client.deleteTicketCharge(write.ticketId, write.chargeId);
  } catch (error) {
    if (!(error instanceof DeskproError && error.status === 404)) throw error; // gone already
  }
  await store.setWriteState(ledger.db, tenantId, write.entryId, ["written"], "removed", ledger.clock());
}

/** The outbox kinds of the Billing & Time Log link. */
export const deskproBillingHandlers = (clients: DeskproClientFactory): OutboxHandler[] => [
  handle(
    billingReadJob,
    async (payload, context) => void (await readTicketBilling(context.ledger, context.tenantId, payload.ticketId, await deskproForDelivery(context, clients))),
  ),
  handle(timeLogWriteJob, (payload, context) => deliverTimeLogWrite(payload, context, clients)),
  handle(timeLogRemoveJob, (payload, context) => deliverTimeLogRemoval(payload, context, clients)),
];
