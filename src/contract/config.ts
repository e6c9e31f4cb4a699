import { z } from "zod";
import { CreditsOrZero, Slug, Text } from "./primitives.js";

/** A paid (or free) response tier the customer can pick on the portal form. */
export const Tier = z
  .object({
    key: Slug,
    label: Text(80),
    /** The response target the fee buys, in minutes; null for "no promise". */
    responseMinutes: z.int().min(1).max(525_600).nullable().default(null),
    /** Fee in credits; 0 means a free tier that behaves as the helpdesk does today. */
    price: CreditsOrZero,
    /** The Deskpro ticket priority this tier sets; null leaves the priority alone. */
    deskproPriorityId: z.int().min(1).nullable().default(null),
  })
  .meta({ id: "Tier" });
export type Tier = z.infer<typeof Tier>;

export const Period = z.enum(["week", "month", "quarter", "year"]);
export type Period = z.infer<typeof Period>;

export const Rollover = z.discriminatedUnion("type", [
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("credits"), max: CreditsOrZero }),
  z.object({ type: z.literal("percent"), max: z.int().min(0).max(100) }),
]);
export type Rollover = z.infer<typeof Rollover>;

/** A low-balance level: an absolute number of credits, or a share of the period's allocation. */
export const AlertLevel = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("credits"), value: CreditsOrZero }),
    z.object({ type: z.literal("percent"), value: z.int().min(1).max(100) }),
  ])
  .meta({ id: "AlertLevel" });
export type AlertLevel = z.infer<typeof AlertLevel>;

/** A membership level / SLA: what a bank receives every period and what it may do. */
export const Plan = z
  .object({
    key: Slug,
    name: Text(80),
    creditsPerPeriod: CreditsOrZero.default(0),
    period: Period.default("month"),
    rollover: Rollover.default({ type: "none" }),
    /** Days an allocated grant stays spendable; null means until the end of its period. */
    grantLifetimeDays: z.int().min(1).max(3650).nullable().default(null),
    /** How far below zero the bank may go. 0 means no overdraft. */
    overdraftLimit: CreditsOrZero.default(0),
    /** Tier keys on offer to banks on this plan; empty means every tier. */
    tiers: z.array(Slug).max(50).default([]),
    /** Overrides the global alert levels for banks on this plan. */
    alertLevels: z.array(AlertLevel).max(10).nullable().default(null),
  })
  .meta({ id: "Plan" });
export type Plan = z.infer<typeof Plan>;

const FieldId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, "a Deskpro custom field id or alias");
const FieldValue = Text(200);

/**
 * How a bank gets its plan from what Deskpro knows about its people and organisations. Checked in
 * this order, first match wins: a plan set by hand on the bank, an organisation field value
 * (membership level), the organisation's or person's SLA, a person field chosen at registration,
 * then the default plan. Within one kind, rules are tried in the order listed.
 */
/** A title as Deskpro showed it when the rule was picked from a list, so sidebars can say the rule in words. */
const Title = z.string().trim().min(1).max(200).nullable().default(null);

export const PlanRule = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("org_field"), fieldId: FieldId, value: FieldValue, plan: Slug, fieldTitle: Title, valueTitle: Title }),
    z.object({ type: z.literal("sla"), slaId: z.string().regex(/^[1-9][0-9]{0,17}$/, "a Deskpro SLA id"), plan: Slug, slaTitle: Title }),
    z.object({ type: z.literal("person_field"), fieldId: FieldId, value: FieldValue, plan: Slug, fieldTitle: Title, valueTitle: Title }),
  ])
  .meta({ id: "PlanRule" });
export type PlanRule = z.infer<typeof PlanRule>;

export const Currency = z.string().regex(/^[a-z]{3}$/, "use a lower-case ISO 4217 code such as usd or eur");

/** A pack's price in one more currency. */
export const PackPrice = z
  .object({
    currency: Currency,
    /** In the currency's minor unit (cents; whole yen for JPY), with the same bounds as the pack's own price. */
    price: z.int().min(50).max(100_000_000),
  })
  .meta({ id: "PackPrice" });
export type PackPrice = z.infer<typeof PackPrice>;

/** A pack of credits customers can buy by card. */
export const CreditPack = z
  .object({
    id: Slug,
    label: Text(80),
    credits: z.int().min(1).max(1_000_000_000),
    /** Price in the currency's minor unit (cents). */
    price: z.int().min(50).max(100_000_000),
    currency: Currency.default("usd"),
    /**
     * The same pack priced in other currencies, each in that currency's minor unit; customers buy
     * in the currency their page shows. Left out: the pack is sold in `currency` only.
     */
    prices: z.array(PackPrice).max(10).default([]),
  })
  .meta({ id: "CreditPack" });
export type CreditPack = z.infer<typeof CreditPack>;

/**
 * Time pricing: `credits` per `perMinutes`, charged on the ticket's total minutes rounded up to
 * `incrementMinutes` (never per entry), with a minimum billable total per ticket.
 */
export const TimeRate = z.object({
  credits: z.int().min(0).max(1_000_000),
  perMinutes: z.int().min(1).max(1440),
  incrementMinutes: z.int().min(1).max(1440),
  minimumMinutes: z.int().min(0).max(1440).default(0),
});
export type TimeRate = z.infer<typeof TimeRate>;

export const DEFAULT_TIME_RATE: TimeRate = { credits: 1, perMinutes: 1, incrementMinutes: 15, minimumMinutes: 0 };

export const AlertsConfig = z.object({
  /** Levels, checked on every balance change; a crossing fires once until the balance recovers above it. */
  levels: z
    .array(AlertLevel)
    .max(10)
    .default([
      { type: "credits", value: 100 },
      { type: "credits", value: 0 },
    ]),
  /** Days before a grant with credits left expires that `credits.expiring` fires (from the cron); 0 turns it off. */
  expiringDays: z.int().min(0).max(90).default(7),
});
export type AlertsConfig = z.infer<typeof AlertsConfig>;

const unique = <T>(items: T[], key: (item: T) => string) => {
  const seen = new Set<string>();
  const dupes: number[] = [];
  items.forEach((item, index) => {
    const k = key(item);
    if (seen.has(k)) dupes.push(index);
    seen.add(k);
  });
  return dupes;
};

export const LedgerConfig = z
  .object({
    tiers: z.array(Tier).max(50).default([]),
    plans: z.array(Plan).max(50).default([]),
    /** Plans from Deskpro facts (membership level, SLA, registration choice); see PlanRule. */
    planRules: z.array(PlanRule).max(100).default([]),
    /** The plan of a bank nothing else assigns a plan to; null means no plan (no credits, today's behaviour). */
    defaultPlan: Slug.nullable().default(null),
    packs: z.array(CreditPack).max(20).default([]),
    time: TimeRate.default(DEFAULT_TIME_RATE),
    alerts: AlertsConfig.default({
      levels: [
        { type: "credits", value: 100 },
        { type: "credits", value: 0 },
      ],
      expiringDays: 7,
    }),
  })
  .superRefine((config, ctx) => {
    for (const i of unique(config.tiers, (t) => t.key)) {
      ctx.addIssue({ code: "custom", path: ["tiers", i, "key"], message: "tier keys must be unique" });
    }
    for (const i of unique(config.plans, (p) => p.key)) {
      ctx.addIssue({ code: "custom", path: ["plans", i, "key"], message: "plan keys must be unique" });
    }
    for (const i of unique(config.packs, (p) => p.id)) {
      ctx.addIssue({ code: "custom", path: ["packs", i, "id"], message: "pack ids must be unique" });
    }
    config.packs.forEach((pack, p) => {
      for (const i of unique([{ currency: pack.currency }, ...pack.prices], (price) => price.currency)) {
        ctx.addIssue({ code: "custom", path: ["packs", p, "prices", i - 1, "currency"], message: "the pack has a price in this currency already" });
      }
    });
    const tierKeys = new Set(config.tiers.map((t) => t.key));
    config.plans.forEach((plan, p) =>
      plan.tiers.forEach((tier, t) => {
        if (!tierKeys.has(tier)) {
          ctx.addIssue({ code: "custom", path: ["plans", p, "tiers", t], message: `no tier has the key "${tier}"` });
        }
      }),
    );
    config.planRules.forEach((rule, r) => {
      if (!config.plans.some((p) => p.key === rule.plan)) {
        ctx.addIssue({ code: "custom", path: ["planRules", r, "plan"], message: `no plan has the key "${rule.plan}"` });
      }
    });
    if (config.defaultPlan !== null && !config.plans.some((p) => p.key === config.defaultPlan)) {
      ctx.addIssue({ code: "custom", path: ["defaultPlan"], message: `no plan has the key "${config.defaultPlan}"` });
    }
  })
  .meta({ id: "LedgerConfig", description: "A tenant's configuration: tiers, plans and plan rules, credit packs, the time rate and alert levels." });
export type LedgerConfig = z.infer<typeof LedgerConfig>;
/** What a client sends: every field with a default may be left out. */
export type LedgerConfigInput = z.input<typeof LedgerConfig>;

/** The configuration a new tenant starts with: the tiers from the original request and no plan. */
export const DEFAULT_CONFIG: LedgerConfig = LedgerConfig.parse({
  tiers: [
    { key: "standard", label: "Standard response", responseMinutes: null, price: 0 },
    { key: "4-hour", label: "4-hour response", responseMinutes: 240, price: 150 },
    { key: "1-hour", label: "1-hour response", responseMinutes: 60, price: 250 },
  ],
  plans: [],
  defaultPlan: null,
  packs: [],
});

export const ConfigResponse = z
  .object({
    config: LedgerConfig,
    version: z.int().min(0),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: "ConfigResponse" });
export type ConfigResponse = z.infer<typeof ConfigResponse>;
