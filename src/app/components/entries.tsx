import type { Entry } from "../../contract/ledger.js";
import { ENTRY_KIND_WORDS } from "../../contract/words.js";
import { formatMinutes } from "../format.js";

export const KIND_WORDS = ENTRY_KIND_WORDS;

/** "Time worked · 27 min", "Response tier · 1-hour", "Refund". */
export function describeEntry(entry: Entry): string {
  const base = KIND_WORDS[entry.kind];
  if ((entry.kind === "time" || entry.kind === "unbilled") && entry.minutes !== null) return `${base} · ${formatMinutes(entry.minutes)}`;
  if (entry.kind === "priority" && entry.tier) return `${base} · ${entry.tier}`;
  return base;
}

export const isDebit = (entry: Entry) => entry.kind === "manual" || entry.kind === "time" || entry.kind === "priority" || entry.kind === "removal";
