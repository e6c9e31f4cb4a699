/**
 * The product's user-facing words, one name per thing on every screen, message and export (the
 * table is in docs/app.md, "Words"). The app and the ledger's customer page, messages and CSV all
 * take their labels from here, so a word changes everywhere at once.
 */
import type { EntryKind, WalletGrant } from "./ledger.js";

/** A statement entry's kind, as agents, admins and customers read it. */
export const ENTRY_KIND_WORDS: Record<EntryKind, string> = {
  grant: "Credits added",
  manual: "Manual charge",
  time: "Time worked",
  priority: "Response tier",
  removal: "Credits removed",
  unbilled: "Unbilled time",
  refund: "Refund",
  void: "Credits taken back",
  expiry: "Credits expired",
};

/** Where a grant's credits came from. A rolled-over grant is "Rolled over" everywhere. */
export const GRANT_SOURCE_WORDS: Record<WalletGrant["source"], string> = {
  allocation: "Plan allocation",
  rollover: "Rolled over",
  purchase: "Bought",
  manual: "Added by an agent",
  promo: "Promotion",
  refund: "Refund",
};

/** "Bought", "Added by an agent · paid": a grant's source, and that it was paid for when the source doesn't say so. */
export const grantWords = (grant: Pick<WalletGrant, "source" | "paid">): string =>
  `${GRANT_SOURCE_WORDS[grant.source]}${grant.paid && grant.source !== "purchase" ? " · paid" : ""}`;

/** Made on first use: a DateTimeFormat loads ICU's calendar data, a few ms a process start needn't spend. */
let customerDay: Intl.DateTimeFormat | undefined;

/**
 * The one date style customers read (the customer page, messages to them, entry reasons): "5 Dec
 * 2026", in UTC, the ledger's day; short enough for the customer page's tables on a phone. Agents and admins read dates in their own locale in the app
 * (`formatDate` in src/app/format.ts).
 */
export const formatCustomerDate = (at: string | Date): string =>
  (customerDay ??= new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })).format(
    typeof at === "string" ? new Date(at) : at,
  );
