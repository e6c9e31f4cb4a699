import { z } from "zod";

/** Largest amount a single write may move. Keeps every balance far inside Number.MAX_SAFE_INTEGER. */
export const MAX_CREDITS_PER_WRITE = 1_000_000_000;

/** A positive whole number of credits for one write. Credits are never fractional. */
export const Credits = z
  .int()
  .min(1, "must be at least 1 credit")
  .max(MAX_CREDITS_PER_WRITE, `must be at most ${MAX_CREDITS_PER_WRITE.toLocaleString("en")} credits`);

/** A non-negative whole number of credits (prices, limits, thresholds). */
export const CreditsOrZero = z.int().min(0).max(MAX_CREDITS_PER_WRITE);

/** Deskpro ids are positive integers; we carry them as decimal strings so they survive JSON untouched. */
const deskproIdPattern = /^[1-9][0-9]{0,17}$/;

export const OWNER_PATTERN = /^(org|person):[1-9][0-9]{0,17}$/;

/** A bank is named by its owner: `org:<organisation id>` or `person:<person id>`. */
export const Owner = z.string().regex(OWNER_PATTERN, "must be org:<id> or person:<id> with a numeric Deskpro id");
export type Owner = z.infer<typeof Owner>;

export const TicketId = z.string().regex(deskproIdPattern, "must be a numeric Deskpro ticket id");
export type TicketId = z.infer<typeof TicketId>;

export const EntryId = z.string().regex(/^ent_[0-9a-z]{26}$/, "must be an entry id (ent_…)");
export const GrantId = z.string().regex(/^grt_[0-9a-z]{26}$/, "must be a grant id (grt_…)");

/** Machine-friendly key for tiers, plans and packs: lower case, digits, dash and underscore. */
export const Slug = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "use lower-case letters, digits, '-' and '_'");

export const Reason = z.string().trim().min(1, "a reason is required").max(500);

/** Who acted, as the caller names them (a Deskpro agent's name or id). Informational only. */
export const Actor = z.string().trim().min(1).max(200);

export const IsoDateTime = z.iso.datetime({ offset: true });

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function parseOwner(owner: Owner): { type: "org" | "person"; id: string } {
  const [type, id] = owner.split(":") as ["org" | "person", string];
  return { type, id };
}
