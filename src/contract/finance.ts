import { z } from "zod";
import { Owner } from "./primitives.js";

/**
 * The finance report: per calendar month (UTC) and per bank, the credits that came in (sold, given
 * free), went out (used, expired, taken back, removed) and were still owed in service at the
 * month's end, with the money the sold credits were paid.
 */

/** A calendar month, `YYYY-MM`. */
export const ReportMonth = z
  .string()
  .regex(/^(20[0-9]{2})-(0[1-9]|1[0-2])$/, "use a month as YYYY-MM, such as 2026-01 (years 2000–2099)")
  .meta({ description: "A calendar month in UTC, YYYY-MM", example: "2026-01" });

/** The longest range one report covers. */
export const MAX_REPORT_MONTHS = 36;

const monthIndex = (month: string) => Number(month.slice(0, 4)) * 12 + Number(month.slice(5, 7)) - 1;

export const FinanceReportQuery = z.object({ from: ReportMonth, to: ReportMonth }).superRefine((query, ctx) => {
  const span = monthIndex(query.to) - monthIndex(query.from);
  if (span < 0) ctx.addIssue({ code: "custom", path: ["to"], message: "`to` must be the same month as `from` or later" });
  else if (span >= MAX_REPORT_MONTHS) ctx.addIssue({ code: "custom", path: ["to"], message: `a report covers at most ${MAX_REPORT_MONTHS} months` });
});
export type FinanceReportQuery = z.infer<typeof FinanceReportQuery>;

/** Money received for credits sold in one currency. */
export const FinanceSale = z
  .object({
    /** Lower-case ISO 4217 code; null for credits sold by a way the ledger holds no price for. */
    currency: z.string().nullable(),
    credits: z.int(),
    /** In the currency's minor unit as Stripe counts it (cents; yen for JPY). Null when the currency is null. */
    amountMinor: z.int().nullable(),
    /** The same amount in major units as plain decimal text ("250.00", "5000", "5.120"). */
    amountMajor: z.string().nullable(),
  })
  .meta({ id: "FinanceSale" });
export type FinanceSale = z.infer<typeof FinanceSale>;

/** The columns of a row and of a month's totals: credits, and the money of what was sold. */
const financeColumns = {
  /** Credits owed in service at the start of the month (the journal up to then). */
  opening: z.int(),
  /** Credits bought (card purchases), and per currency what was paid for them. */
  sold: z.int(),
  sales: z.array(FinanceSale),
  /** Credits given without payment: plan allocations, manual and promotional grants. */
  grantedFree: z.int(),
  /** Credits spent on support (time, response tiers, manual charges), net of refunds of those charges. */
  used: z.int(),
  /** Credits lost at expiry, net of credits a plan rolled over into the next period. */
  expired: z.int(),
  /** Credits taken back from grants: card refunds and grants voided by an agent. */
  refunded: z.int(),
  /** Credits an agent removed from the bank (not support used), net of reversals. */
  removed: z.int(),
  /** Credits owed in service at the month's end: the sum of the bank's journal up to then. */
  outstanding: z.int(),
};

/** One bank in one month. Credits are integers; what comes in and goes out adds up to the outstanding change. */
export const FinanceRow = z
  .object({
    month: ReportMonth,
    /** First and last day of the month, ISO dates. */
    periodStart: z.iso.date(),
    periodEnd: z.iso.date(),
    bank: Owner,
    /** The bank's name as Deskpro last told the ledger, if it did. */
    bankName: z.string().nullable(),
    ...financeColumns,
  })
  .meta({ id: "FinanceRow" });
export type FinanceRow = z.infer<typeof FinanceRow>;

export const FinanceTotals = z
  .object({
    month: ReportMonth,
    ...financeColumns,
  })
  .meta({ id: "FinanceTotals" });
export type FinanceTotals = z.infer<typeof FinanceTotals>;

export const FinanceReport = z
  .object({
    from: ReportMonth,
    to: ReportMonth,
    /** One row per month and bank with an opening balance or any movement that month, by month then bank. */
    rows: z.array(FinanceRow),
    /** All banks together, one per month of the range. */
    months: z.array(FinanceTotals),
    generatedAt: z.iso.datetime(),
  })
  .meta({ id: "FinanceReport" });
export type FinanceReport = z.infer<typeof FinanceReport>;
