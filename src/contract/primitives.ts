import { z } from "zod";

/** Largest amount a single write may move. Keeps every balance far inside Number.MAX_SAFE_INTEGER. */
export const MAX_CREDITS_PER_WRITE = 1_000_000_000;

/** A positive whole number of credits for one write. Credits are never fractional. */
export const Credits = z
  .int()
  .min(1, "must be at least 1 credit")
  // Grouped by hand: toLocaleString would load ICU's number formats (about 10 ms) on every process start.
  .max(MAX_CREDITS_PER_WRITE, `must be at most ${String(MAX_CREDITS_PER_WRITE).replace(/\B(?=(\d{3})+$)/g, ",")} credits`);

/** A non-negative whole number of credits (prices, limits, thresholds). */
export const CreditsOrZero = z.int().min(0).max(MAX_CREDITS_PER_WRITE);

/** Deskpro ids are positive integers; we carry them as decimal strings so they survive JSON untouched. */
export const DESKPRO_ID_PATTERN = /^[1-9][0-9]{0,17}$/;

export const OWNER_PATTERN = /^(org|person):[1-9][0-9]{0,17}$/;

/** A bank is named by its owner: `org:<organisation id>` or `person:<person id>`. */
export const Owner = z.string().regex(OWNER_PATTERN, "must be org:<id> or person:<id> with a numeric Deskpro id");
export type Owner = z.infer<typeof Owner>;

export const TicketId = z.string().regex(DESKPRO_ID_PATTERN, "must be a numeric Deskpro ticket id");
export type TicketId = z.infer<typeof TicketId>;

export const EntryId = z.string().regex(/^ent_[0-9a-z]{26}$/, "must be an entry id (ent_…)");
export const GrantId = z.string().regex(/^grt_[0-9a-z]{26}$/, "must be a grant id (grt_…)");

/** Machine-friendly key for tiers, plans and packs: lower case, digits, dash and underscore. */
export const Slug = z
  .string()
  .min(1)
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, "use lower-case letters, digits, '-' and '_'");

/** A surrogate without its pair: it has no UTF-8 form, so PostgreSQL can't store it (nor a NUL character). */
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const isStorableText = (text: string): boolean => !text.includes("\u0000") && !UNPAIRED_SURROGATE.test(text);

/** Free text (reasons, names, labels, message wording, URLs): refused with the field named when the database can't store it. */
export const storable = <T extends z.ZodType<string, unknown>>(schema: T) =>
  schema.refine(isStorableText, "must not contain NUL characters or unpaired UTF-16 surrogates");

/** Free text of up to `max` characters, trimmed, at least one. */
export const Text = (max: number, required = "must not be empty") => storable(z.string().trim().min(1, required).max(max));

export const Reason = Text(500, "a reason is required");

/** Who acted, as the caller names them (a Deskpro agent's name or id). Informational only. */
export const Actor = Text(200);

export const IsoDateTime = z.iso.datetime({ offset: true });

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function parseOwner(owner: Owner): { type: "org" | "person"; id: string } {
  const [type, id] = owner.split(":") as ["org" | "person", string];
  return { type, id };
}
