/**
 * The rules of the link with Deskpro's Billing & Time Log, as pure functions: what each part of a
 * Deskpro charge should count for (or why the ledger refuses it), how its time and money become
 * minutes and credits, and how a date in Deskpro's format is read.
 */
import type { DeskproBillingMode, DeskproChargeRefusal } from "../../contract/deskpro-billing.js";
import { MAX_MINUTES_PER_WRITE } from "../../contract/ledger.js";
import { MAX_CREDITS_PER_WRITE } from "../../contract/primitives.js";

/** A time or amount Deskpro sent that the ledger can't read as whole seconds or hundredths. */
export const UNREADABLE = "unreadable";
export type Units = number | typeof UNREADABLE;

/** A Deskpro charge as the rules see it: its time in seconds, its amount in hundredths (0: none). */
export interface ObservedCharge {
  id: number;
  seconds: Units;
  cents: Units;
  dateCreated: Date | null;
}

export type ChargePart = "time" | "money";

/** What one part of a charge should do in the banks: count `units`, or why it doesn't. */
export type WantedPart =
  | { part: ChargePart; units: number; outcome: "count" }
  | { part: ChargePart; units: number; outcome: "money_not_counted" | "before_link" }
  | { part: ChargePart; units: number; outcome: "refused"; refusal: DeskproChargeRefusal };

export interface LinkRules {
  /** When the link started; charges made before its second are never counted. */
  linkedFrom: Date;
  /** Credits per 1.00 of the billing currency; null leaves money alone. */
  creditsPerCurrencyUnit: number | null;
}

/**
 * The parts of a charge that exist (a part with nothing in it doesn't): its time, counted at the
 * time rate, and its money amount, counted only when an admin has set a rate for it. A charge
 * made before the link started counts for nothing, whatever is edited later. A part the ledger
 * can't take is refused, with why: a value it can't read, more minutes than one write takes, or
 * (money) more credits than one write moves. Time's credits depend on the ticket's other time, so
 * that limit is found when it is charged.
 */
export function wantedParts(charge: ObservedCharge, rules: LinkRules): WantedPart[] {
  // Deskpro dates a charge to the second; the link's start has milliseconds. A charge made in the
  // second the link started reads as that second's start, so the start is compared in whole seconds.
  const linkSecond = Math.floor(rules.linkedFrom.getTime() / 1000) * 1000;
  const beforeLink = charge.dateCreated !== null && charge.dateCreated.getTime() < linkSecond;
  const parts: WantedPart[] = [];
  const refused = (part: ChargePart, units: number, refusal: DeskproChargeRefusal): WantedPart =>
    beforeLink ? { part, units, outcome: "before_link" } : { part, units, outcome: "refused", refusal };
  if (charge.seconds === UNREADABLE) parts.push(refused("time", 0, "out_of_range"));
  else if (minutesFromSeconds(charge.seconds) > MAX_MINUTES_PER_WRITE) parts.push(refused("time", charge.seconds, "over_write_limit"));
  else if (charge.seconds > 0) parts.push({ part: "time", units: charge.seconds, outcome: beforeLink ? "before_link" : "count" });
  const rate = rules.creditsPerCurrencyUnit;
  if (charge.cents === UNREADABLE) parts.push(refused("money", 0, "out_of_range"));
  else if (charge.cents > 0 && rate === null) parts.push({ part: "money", units: charge.cents, outcome: "money_not_counted" });
  else if (charge.cents > 0 && creditsForCents(charge.cents, rate!) > MAX_CREDITS_PER_WRITE) parts.push(refused("money", charge.cents, "over_credit_limit"));
  else if (charge.cents > 0) parts.push({ part: "money", units: charge.cents, outcome: beforeLink ? "before_link" : "count" });
  return parts;
}

/** Why a part was refused, for agents and admins; `rate` is the money rate in force. */
export function refusalText(refusal: DeskproChargeRefusal, part: ChargePart, units: number, rate: number | null): string {
  const n = (x: number) => x.toLocaleString("en");
  switch (refusal) {
    case "out_of_range":
      return part === "time"
        ? "Deskpro's time for it isn't a whole number of seconds the ledger can read."
        : "Deskpro's amount for it isn't an amount the ledger can read.";
    case "over_write_limit":
      return `${n(minutesFromSeconds(units))} minutes in one charge; one entry takes at most ${n(MAX_MINUTES_PER_WRITE)} minutes. Split it in Deskpro.`;
    case "over_credit_limit":
      return part === "money" && rate !== null
        ? `${amountText(units)} at ${n(rate)} credits per 1.00 is ${n(creditsForCents(units, rate))} credits; one entry moves at most ${n(MAX_CREDITS_PER_WRITE)}.`
        : `At the time rate it costs more than ${n(MAX_CREDITS_PER_WRITE)} credits, the most one entry moves.`;
  }
}

/** Minutes the ledger logs for a Deskpro time charge: its seconds rounded up to whole minutes, as the sidebar's timer does. */
export const minutesFromSeconds = (seconds: number): number => Math.ceil(seconds / 60);

/** Credits for a money amount at the admin's rate; a part credit rounds up. */
export const creditsForCents = (cents: number, creditsPerCurrencyUnit: number): number => Math.ceil((cents * creditsPerCurrencyUnit) / 100);

/** Nothing there: Deskpro's way of leaving out a charge's time or amount. */
const absent = (value: unknown) => value === null || value === undefined || (typeof value === "string" && value.trim() === "");

/**
 * Deskpro's decimal amount (a number or a string such as "6.50") in hundredths; 0 when there is
 * none (zero or less: nothing to bill); UNREADABLE for anything else, or beyond what the ledger
 * counts exactly.
 */
export function centsFrom(amount: unknown): Units {
  if (absent(amount)) return 0;
  const value = typeof amount === "number" ? amount : typeof amount === "string" && /^\s*-?\d{1,20}(\.\d{1,20})?\s*$/.test(amount) ? Number(amount) : NaN;
  if (!Number.isFinite(value)) return UNREADABLE;
  if (value <= 0) return 0;
  const cents = Math.round(value * 100);
  return Number.isSafeInteger(cents) ? cents : UNREADABLE;
}

/**
 * Deskpro's time in whole seconds (a number or a numeric string); 0 when there is none;
 * UNREADABLE for anything else (a fraction, a negative, a value past 2^53 - 1 that can't be exact).
 */
export function secondsFrom(chargeTime: unknown): Units {
  if (absent(chargeTime)) return 0;
  const value = typeof chargeTime === "number" ? chargeTime : typeof chargeTime === "string" && /^\s*\d{1,20}\s*$/.test(chargeTime) ? Number(chargeTime) : NaN;
  return Number.isSafeInteger(value) && value >= 0 ? value : UNREADABLE;
}

/** An amount in hundredths as Deskpro shows it: "6.50". */
export const amountText = (cents: number): string => (cents / 100).toFixed(2);

/**
 * A date as Deskpro writes it, "2018-01-11T00:00:00+0000" (the offset without a colon), or any
 * ISO 8601 form; null when it can't be read.
 */
export function parseDeskproDate(text: unknown): Date | null {
  if (typeof text !== "string") return null;
  const match = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!match) return null;
  const offset = match[3] === undefined ? "Z" : match[3] === "Z" ? "Z" : `${match[3].slice(0, 3)}:${match[3].slice(-2)}`;
  const date = new Date(`${match[1]}T${match[2]}${offset}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** "25 min", "1 h 5 min 30 s": a charge's time for people. */
export function durationText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h > 0 ? `${h} h` : null, m > 0 ? `${m} min` : null, s > 0 ? `${s} s` : null].filter((p) => p !== null).join(" ") || "0 s";
}

export function billingMode(settings: { fromDeskpro: boolean; toDeskpro: boolean }): DeskproBillingMode {
  if (settings.fromDeskpro && settings.toDeskpro) return "both_ways";
  if (settings.fromDeskpro) return "from_deskpro";
  if (settings.toDeskpro) return "to_deskpro";
  return "off";
}

/** Deskpro keeps a charge's comment in 255 characters: the marker goes last and always fits. */
export function timeLogComment(text: string, marker: string, max = 255): string {
  const tail = ` Ref ${marker}`;
  const room = max - tail.length;
  const body = text.length > room ? `${text.slice(0, room - 1)}…` : text;
  return `${body}${tail}`;
}
