/**
 * What a portal ticket's latest state asks for, judged against what the ledger last saw on it:
 * a changed tier field wins, then a priority an agent changed, else nothing changed.
 */
import type { Tier } from "../../contract/config.js";

export interface SeenState {
  lastFieldTier: string | null;
  lastPriorityId: number | null;
}

export interface TicketState {
  /** The tier the custom field names now (null: none chosen, or an option no tier maps to). */
  fieldTier: string | null;
  priorityId: number | null;
  cancelled: boolean;
  /** A priority change of ours is still in the outbox, so the ticket's priority is not yet what we set. */
  priorityWritePending: boolean;
}

export type PortalDecision = { kind: "cancel" } | { kind: "want"; tier: string | null; source: "field" | "priority" } | { kind: "unchanged" };

export function decidePortalChange(seen: SeenState | null, now: TicketState, tiers: readonly Tier[], chargedTier: string | null): PortalDecision {
  if (now.cancelled) return { kind: "cancel" };
  if (seen === null || now.fieldTier !== seen.lastFieldTier) return { kind: "want", tier: now.fieldTier, source: "field" };
  if (now.priorityId !== seen.lastPriorityId && !now.priorityWritePending && now.priorityId !== null) {
    const tier = tierForPriority(tiers, now.priorityId, chargedTier);
    // A priority no tier sets says nothing about what the customer pays for.
    if (tier !== null) return { kind: "want", tier, source: "priority" };
  }
  return { kind: "unchanged" };
}

/** The tier a priority stands for; when several share it, the one already charged, else the cheapest. */
export function tierForPriority(tiers: readonly Tier[], priorityId: number, chargedTier: string | null): string | null {
  const matching = tiers.filter((t) => t.deskproPriorityId === priorityId);
  if (matching.length === 0) return null;
  if (chargedTier && matching.some((t) => t.key === chargedTier)) return chargedTier;
  return [...matching].sort((a, b) => a.price - b.price)[0]!.key;
}

/** The tier a ticket keeps when the chosen one can't be had: the named fallback, else the cheapest free tier. */
export function fallbackTier(tiers: readonly Tier[], named: string | null): Tier | null {
  if (named) return tiers.find((t) => t.key === named) ?? null;
  return tiers.filter((t) => t.price === 0).sort((a, b) => a.key.localeCompare(b.key))[0] ?? null;
}

const normalise = (text: string) => text.trim().replace(/\s+/g, " ").toLowerCase();

/**
 * The tier the field's values pick, and the value that picked it (an option id, or the option's
 * title when the ticket carries titles): by option id, then by option title, then by tier key or label.
 */
export function tierFromFieldValues(
  values: ReadonlyArray<number | string>,
  options: ReadonlyArray<{ tier: string; optionId: number | null; title: string | null }>,
  tiers: readonly Tier[],
): { tier: string; value: number | string } | null {
  for (const value of values) {
    if (typeof value === "number") {
      const option = options.find((o) => o.optionId === value);
      if (option) return { tier: option.tier, value };
      continue;
    }
    const text = normalise(value);
    const byTitle = options.find((o) => o.title !== null && normalise(o.title) === text);
    if (byTitle) return { tier: byTitle.tier, value };
    const byTier = tiers.find((t) => t.key === text || normalise(t.label) === text);
    if (byTier) return { tier: byTier.key, value };
  }
  return null;
}
