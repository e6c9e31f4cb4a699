import { LedgerConfig, type LedgerConfigInput, type AlertLevel, type Plan, type Period } from "../../contract/index.js";

/**
 * The admin form's state: what the admin typed, numbers still as text, so a half-typed value is
 * never lost or silently turned into something else. `toConfig` turns it into a LedgerConfig and
 * says, field by field, what is wrong.
 */
export interface TierDraft {
  key: string;
  /** A tier added on this page takes its short name from its label until the admin types one; a saved tier's never changes. */
  keyFromLabel?: boolean;
  label: string;
  responseMinutes: string;
  price: string;
  deskproPriorityId: string;
}
/** A short name made from a label: "2-hour response" → "2-hour-response" (lower case, digits, '-' and '_', at most 40). */
export function shortNameFrom(label: string): string {
  return label
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-_]+/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
}

export interface PlanDraft {
  key: string;
  name: string;
  creditsPerPeriod: string;
  period: Period;
  rolloverType: "none" | "credits" | "percent";
  rolloverMax: string;
  grantLifetimeDays: string;
  overdraftLimit: string;
  /** Comma-separated tier keys; empty means every tier. */
  tiers: string;
  /** Not edited here; kept as loaded. */
  alertLevels: AlertLevel[] | null;
}
/**
 * A plan rule: which Deskpro fact puts a bank on which plan. `field` is the field id, or the SLA id;
 * the titles are Deskpro's, kept when picked from its lists so the sidebars can say the rule in words.
 */
export interface PlanRuleDraft {
  type: "org_field" | "sla" | "person_field";
  field: string;
  value: string;
  plan: string;
  /** The field's (or SLA's) title; null when typed as an id. */
  fieldTitle: string | null;
  /** The chosen option's title; null for a typed value. */
  valueTitle: string | null;
}
export interface PackDraft {
  id: string;
  label: string;
  credits: string;
  price: string;
  currency: string;
  /** Prices in other currencies, as typed: "eur 22000, gbp 19000" (each in that currency's smallest unit). */
  otherPrices: string;
}
export interface AlertDraft {
  type: "credits" | "percent";
  value: string;
}
export interface ConfigDraft {
  tiers: TierDraft[];
  plans: PlanDraft[];
  planRules: PlanRuleDraft[];
  defaultPlan: string;
  packs: PackDraft[];
  time: { credits: string; perMinutes: string; incrementMinutes: string; minimumMinutes: string };
  alerts: AlertDraft[];
  /** Days before expiry that credits.expiring is sent; "0" turns it off. */
  expiringDays: string;
}

const text = (n: number | null | undefined) => (n === null || n === undefined ? "" : String(n));

export function draftFromConfig(config: LedgerConfig): ConfigDraft {
  return {
    tiers: config.tiers.map((t) => ({
      key: t.key,
      label: t.label,
      responseMinutes: text(t.responseMinutes),
      price: text(t.price),
      deskproPriorityId: text(t.deskproPriorityId),
    })),
    plans: config.plans.map((p: Plan) => ({
      key: p.key,
      name: p.name,
      creditsPerPeriod: text(p.creditsPerPeriod),
      period: p.period,
      rolloverType: p.rollover.type,
      rolloverMax: p.rollover.type === "none" ? "" : text(p.rollover.max),
      grantLifetimeDays: text(p.grantLifetimeDays),
      overdraftLimit: text(p.overdraftLimit),
      tiers: p.tiers.join(", "),
      alertLevels: p.alertLevels,
    })),
    planRules: config.planRules.map((r) =>
      r.type === "sla"
        ? { type: r.type, field: r.slaId, value: "", plan: r.plan, fieldTitle: r.slaTitle, valueTitle: null }
        : { type: r.type, field: r.fieldId, value: r.value, plan: r.plan, fieldTitle: r.fieldTitle, valueTitle: r.valueTitle },
    ),
    defaultPlan: config.defaultPlan ?? "",
    packs: config.packs.map((p) => ({
      id: p.id,
      label: p.label,
      credits: text(p.credits),
      price: text(p.price),
      currency: p.currency,
      otherPrices: p.prices.map((x) => `${x.currency} ${x.price}`).join(", "),
    })),
    time: {
      credits: text(config.time.credits),
      perMinutes: text(config.time.perMinutes),
      incrementMinutes: text(config.time.incrementMinutes),
      minimumMinutes: text(config.time.minimumMinutes),
    },
    alerts: config.alerts.levels.map((l) => ({ type: l.type, value: text(l.value) })),
    expiringDays: text(config.alerts.expiringDays),
  };
}

export type FieldErrors = Record<string, string>;

export function toConfig(draft: ConfigDraft): { config: LedgerConfigInput; errors: FieldErrors; valid: boolean } {
  const errors: FieldErrors = {};
  const otherPrices = (value: string, path: string): Array<{ currency: string; price: number }> => {
    const items = value
      .split(/[,;\n]+/)
      .map((t) => t.trim())
      .filter(Boolean);
    const parsed = items.map((item) => /^([A-Za-z]{3})\s*[: ]\s*(\d{1,9})$/.exec(item));
    if (parsed.some((m) => m === null))
      errors[path] = "Write each price as a currency code and a whole number in its smallest unit, e.g. eur 22000, jpy 35000.";
    return parsed.flatMap((m) => (m ? [{ currency: m[1]!.toLowerCase(), price: Number(m[2]) }] : []));
  };
  const whole = (value: string, path: string, opts: { optional?: boolean } = {}): number | null => {
    const t = value.trim();
    if (t === "") {
      if (opts.optional) return null;
      errors[path] = "Required.";
      return 0;
    }
    if (!/^\d+$/.test(t)) {
      errors[path] = "Use a whole number, e.g. 60.";
      return 0;
    }
    return Number(t);
  };
  const config: LedgerConfigInput = {
    tiers: draft.tiers.map((t, i) => ({
      key: t.key.trim(),
      label: t.label.trim(),
      responseMinutes: whole(t.responseMinutes, `tiers.${i}.responseMinutes`, { optional: true }),
      price: whole(t.price, `tiers.${i}.price`) ?? 0,
      deskproPriorityId: whole(t.deskproPriorityId, `tiers.${i}.deskproPriorityId`, { optional: true }),
    })),
    plans: draft.plans.map((p, i) => ({
      key: p.key.trim(),
      name: p.name.trim(),
      creditsPerPeriod: whole(p.creditsPerPeriod, `plans.${i}.creditsPerPeriod`) ?? 0,
      period: p.period,
      rollover: p.rolloverType === "none" ? { type: "none" } : { type: p.rolloverType, max: whole(p.rolloverMax, `plans.${i}.rollover.max`) ?? 0 },
      grantLifetimeDays: whole(p.grantLifetimeDays, `plans.${i}.grantLifetimeDays`, { optional: true }),
      overdraftLimit: whole(p.overdraftLimit, `plans.${i}.overdraftLimit`) ?? 0,
      tiers: p.tiers
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      alertLevels: p.alertLevels,
    })),
    planRules: draft.planRules.map((r) =>
      r.type === "sla"
        ? { type: "sla" as const, slaId: r.field.trim(), plan: r.plan, slaTitle: r.fieldTitle }
        : { type: r.type, fieldId: r.field.trim(), value: r.value.trim(), plan: r.plan, fieldTitle: r.fieldTitle, valueTitle: r.valueTitle },
    ),
    defaultPlan: draft.defaultPlan === "" ? null : draft.defaultPlan,
    packs: draft.packs.map((p, i) => ({
      id: p.id.trim(),
      label: p.label.trim(),
      credits: whole(p.credits, `packs.${i}.credits`) ?? 0,
      price: whole(p.price, `packs.${i}.price`) ?? 0,
      currency: p.currency.trim().toLowerCase(),
      prices: otherPrices(p.otherPrices, `packs.${i}.prices`),
    })),
    time: {
      credits: whole(draft.time.credits, "time.credits") ?? 0,
      perMinutes: whole(draft.time.perMinutes, "time.perMinutes") ?? 0,
      incrementMinutes: whole(draft.time.incrementMinutes, "time.incrementMinutes") ?? 0,
      minimumMinutes: whole(draft.time.minimumMinutes, "time.minimumMinutes") ?? 0,
    },
    alerts: {
      levels: draft.alerts.map((a, i) => ({ type: a.type, value: whole(a.value, `alerts.levels.${i}.value`) ?? 0 })),
      expiringDays: whole(draft.expiringDays, "alerts.expiringDays") ?? 0,
    },
  };
  const parsed = LedgerConfig.safeParse(config);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join(".");
      // Rollover and alert levels are unions: point their messages at the field the admin sees.
      const shown = path.replace(/^plans\.(\d+)\.rollover$/, "plans.$1.rollover.max").replace(/^planRules\.(\d+)\.(fieldId|slaId)$/, "planRules.$1.field");
      if (!(shown in errors)) errors[shown] = plainMessage(issue.message);
    }
  }
  return { config, errors, valid: Object.keys(errors).length === 0 };
}

function plainMessage(message: string): string {
  if (/Too small: expected number to be >=(\d+)/.test(message)) return message.replace(/Too small: expected number to be >=(\d+)/, "Must be at least $1.");
  if (/Too big: expected number to be <=(\d+)/.test(message)) return message.replace(/Too big: expected number to be <=(\d+)/, "Must be at most $1.");
  if (/Too small: expected string to have >=1 characters/.test(message)) return "Required.";
  return message.charAt(0).toUpperCase() + message.slice(1);
}

/** "Tier 2, price: Must be at least 0." for the message Deskpro shows next to the setting. */
export function summarise(errors: FieldErrors): string {
  const first = Object.entries(errors)[0];
  if (!first) return "";
  const [path, message] = first;
  const parts = path.split(".");
  const where =
    parts[0] === "tiers"
      ? `Tier ${Number(parts[1]) + 1}`
      : parts[0] === "plans"
        ? `Plan ${Number(parts[1]) + 1}`
        : parts[0] === "packs"
          ? `Credit pack ${Number(parts[1]) + 1}`
          : parts[0] === "time"
            ? "Time rate"
            : parts[0] === "alerts"
              ? "Alert levels"
              : "Configuration";
  const more = Object.keys(errors).length - 1;
  return `${where}: ${message}${more > 0 ? ` (and ${more} more)` : ""}`;
}
