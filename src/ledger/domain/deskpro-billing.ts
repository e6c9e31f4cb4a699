/**
 * The rules of the link with Deskpro's Billing & Time Log, as pure functions: what each part of a
 * Deskpro charge should count for, how its time and money become minutes and credits, and how a
 * date in Deskpro's format is read.
 */
import type { DeskproBillingMode } from "../../contract/index.js";

/** A Deskpro charge as the rules see it: its time in seconds, its amount in hundredths. */
export interface ObservedCharge {
  id: number;
  seconds: number;
  cents: number;
  dateCreated: Date | null;
}

export type ChargePart = "time" | "money";

/** What one part of a charge should do in the banks: count `units`, or why it doesn't. */
export type WantedPart =
  { part: ChargePart; units: number; outcome: "count" } | { part: ChargePart; units: number; outcome: "money_not_counted" | "before_link" };

export interface LinkRules {
  /** When the link started; charges made before are never counted. */
  linkedFrom: Date;
  /** Credits per 1.00 of the billing currency; null leaves money alone. */
  creditsPerCurrencyUnit: number | null;
}

/**
 * The parts of a charge that exist (a part with nothing in it doesn't): its time, counted at the
 * time rate, and its money amount, counted only when an admin has set a rate for it. A charge
 * made before the link started counts for nothing, whatever is edited later.
 */
export function wantedParts(charge: ObservedCharge, rules: LinkRules): WantedPart[] {
  const beforeLink = charge.dateCreated !== null && charge.dateCreated.getTime() < rules.linkedFrom.getTime();
  const parts: WantedPart[] = [];
  if (charge.seconds > 0) parts.push({ part: "time", units: charge.seconds, outcome: beforeLink ? "before_link" : "count" });
  if (charge.cents > 0) {
    const outcome = rules.creditsPerCurrencyUnit === null ? "money_not_counted" : beforeLink ? "before_link" : "count";
    parts.push({ part: "money", units: charge.cents, outcome });
  }
  return parts;
}

/** Minutes the ledger logs for a Deskpro time charge: its seconds rounded up to whole minutes, as the sidebar's timer does. */
export const minutesFromSeconds = (seconds: number): number => Math.ceil(seconds / 60);

/** Credits for a money amount at the admin's rate; a part credit rounds up. */
export const creditsForCents = (cents: number, creditsPerCurrencyUnit: number): number => Math.ceil((cents * creditsPerCurrencyUnit) / 100);

/** Deskpro's decimal amount (a number or a string such as "6.50") in hundredths; anything unreadable is 0. */
export function centsFrom(amount: unknown): number {
  const value = typeof amount === "number" ? amount : typeof amount === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(amount) ? Number(amount) : 0;
  return Number.isFinite(value) && value > 0 ? Math.round(value * 100) : 0;
}

/** Deskpro's time in seconds (a number or a numeric string); anything unreadable is 0. */
export function secondsFrom(chargeTime: unknown): number {
  const value = typeof chargeTime === "number" ? chargeTime : typeof chargeTime === "string" && /^\s*\d+\s*$/.test(chargeTime) ? Number(chargeTime) : 0;
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
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
