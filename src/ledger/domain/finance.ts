/**
 * The finance report's arithmetic, with no I/O: which journal entries count as credits sold,
 * given free, used, expired, taken back or removed, and how a bank's month adds up. Every entry
 * falls in exactly one column, signed so that for each bank and month
 *
 *   opening + sold + grantedFree − used − expired − refunded − removed = outstanding
 *
 * and `outstanding` is the sum of the bank's journal up to the month's end (the journal is the
 * truth; the columns explain it).
 */
import type { FinanceReport, FinanceRow, FinanceSale, FinanceTotals } from "../../contract/finance.js";
import type { EntryKind } from "../../contract/ledger.js";
import { minorUnitDigits } from "./currency.js";

export type FinanceColumn = "sold" | "grantedFree" | "used" | "expired" | "refunded" | "removed";
const IN_COLUMNS = new Set<FinanceColumn>(["sold", "grantedFree"]);

/** What the journal says about one kind of movement: its entries' summed amounts for a bank in a month. */
export interface JournalGroup {
  owner: string;
  /** YYYY-MM, UTC. */
  month: string;
  kind: EntryKind;
  /** For a `grant` entry: its grant's source and whether it was paid for; null otherwise. */
  grantSource: string | null;
  grantPaid: boolean | null;
  /** For a `refund` entry: the kind of the entry it reverses. */
  reversedKind: EntryKind | null;
  /** Signed sum of the entries' amounts. */
  amount: number;
}

/** Money received for credits, from the purchases that paid for grants. */
export interface SaleGroup {
  owner: string;
  month: string;
  currency: string;
  credits: number;
  amountMinor: number;
}

export class UnclassifiedEntry extends Error {}

/**
 * The column an entry counts in. A rollover grant is credits an expiry entry took from last
 * period's allocation and the plan carried over, so it counts against `expired` (what was really
 * lost); a grant is sold when it was paid for, whatever way (card, invoice, recharge), and free
 * otherwise. A refund of a charge undoes `used` (or `removed`, for a removal).
 */
export function columnOf(group: Pick<JournalGroup, "kind" | "grantSource" | "grantPaid" | "reversedKind">): FinanceColumn {
  switch (group.kind) {
    case "grant":
      if (group.grantSource === "rollover") return "expired";
      return group.grantPaid ? "sold" : "grantedFree";
    case "manual":
    case "time":
    case "priority":
    case "unbilled":
      return "used";
    case "removal":
      return "removed";
    case "refund":
      return group.reversedKind === "removal" ? "removed" : "used";
    case "void":
      return "refunded";
    case "expiry":
      return "expired";
    default:
      throw new UnclassifiedEntry(`The finance report has no column for ${String(group.kind)} entries.`);
  }
}

/** An entry's amount as it reads in its column: positive for credits that came in or went out as named. */
export const columnAmount = (column: FinanceColumn, amount: number): number => (IN_COLUMNS.has(column) ? amount : -amount);

/** The months from `from` to `to`, both included, as YYYY-MM. */
export function monthsBetween(from: string, to: string): string[] {
  const index = (m: string) => Number(m.slice(0, 4)) * 12 + Number(m.slice(5, 7)) - 1;
  const months: string[] = [];
  for (let i = index(from); i <= index(to); i++) months.push(`${Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")}`);
  return months;
}

/** A month's first instant and the next month's first instant (UTC), and its first and last day as ISO dates. */
export function monthBounds(month: string): { start: Date; end: Date; periodStart: string; periodEnd: string } {
  const year = Number(month.slice(0, 4));
  const m = Number(month.slice(5, 7)) - 1;
  const start = new Date(Date.UTC(year, m, 1));
  const end = new Date(Date.UTC(year, m + 1, 1));
  const last = new Date(end.getTime() - 86_400_000);
  return { start, end, periodStart: start.toISOString().slice(0, 10), periodEnd: last.toISOString().slice(0, 10) };
}

/** An amount in a currency's minor unit as plain decimal text in major units: 25000 usd "250.00", 5000 jpy "5000", 5120 kwd "5.120". */
export function majorUnits(amountMinor: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const sign = amountMinor < 0 ? "-" : "";
  const text = String(Math.abs(Math.trunc(amountMinor))).padStart(digits + 1, "0");
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

type Movement = Record<FinanceColumn, number> & { net: number };
const emptyMovement = (): Movement => ({ sold: 0, grantedFree: 0, used: 0, expired: 0, refunded: 0, removed: 0, net: 0 });

/** Outstanding change the columns explain: what came in less what went out. */
export const explainedChange = (m: Record<FinanceColumn, number>): number => m.sold + m.grantedFree - m.used - m.expired - m.refunded - m.removed;

export class ReportOutOfBalance extends Error {}

/** Per currency, plus the credits sold that no purchase record prices (currency null). */
function salesOf(sold: number, priced: SaleGroup[]): FinanceSale[] {
  const byCurrency = new Map<string, { credits: number; amountMinor: number }>();
  for (const s of priced) {
    const got = byCurrency.get(s.currency) ?? { credits: 0, amountMinor: 0 };
    got.credits += s.credits;
    got.amountMinor += s.amountMinor;
    byCurrency.set(s.currency, got);
  }
  const sales: FinanceSale[] = [...byCurrency.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([currency, s]) => ({ currency, credits: s.credits, amountMinor: s.amountMinor, amountMajor: majorUnits(s.amountMinor, currency) }));
  const unpriced = sold - sales.reduce((sum, s) => sum + s.credits, 0);
  if (unpriced !== 0) sales.push({ currency: null, credits: unpriced, amountMinor: null, amountMajor: null });
  return sales;
}

export interface FinanceInputs {
  from: string;
  to: string;
  /** Each bank's journal summed up to the start of `from` (banks with entries before then). */
  openings: ReadonlyMap<string, number>;
  groups: readonly JournalGroup[];
  sales: readonly SaleGroup[];
  names: ReadonlyMap<string, string | null>;
  generatedAt: Date;
}

/**
 * Builds the report: a row for every bank and month with an opening balance or any entry, and the
 * months' totals. Each row's outstanding is its opening plus the journal's net movement; a row
 * whose columns don't explain that movement is a classification fault, refused rather than shown.
 */
export function buildFinanceReport(input: FinanceInputs): FinanceReport {
  const months = monthsBetween(input.from, input.to);
  const movements = new Map<string, Movement>();
  const key = (owner: string, month: string) => `${owner}\n${month}`;
  for (const g of input.groups) {
    const column = columnOf(g);
    const m = movements.get(key(g.owner, g.month)) ?? emptyMovement();
    m[column] += columnAmount(column, g.amount);
    m.net += g.amount;
    movements.set(key(g.owner, g.month), m);
  }
  const salesBy = new Map<string, SaleGroup[]>();
  for (const s of input.sales) salesBy.set(key(s.owner, s.month), [...(salesBy.get(key(s.owner, s.month)) ?? []), s]);
  const owners = [...new Set([...input.openings.keys(), ...input.groups.map((g) => g.owner)])].sort(compareOwners);
  const rows: FinanceRow[] = [];
  for (const owner of owners) {
    let opening = input.openings.get(owner) ?? 0;
    for (const month of months) {
      const m = movements.get(key(owner, month));
      if (!m && opening === 0) continue;
      const movement = m ?? emptyMovement();
      if (explainedChange(movement) !== movement.net)
        throw new ReportOutOfBalance(`${owner} in ${month}: the columns explain ${explainedChange(movement)} credits of a movement of ${movement.net}.`);
      const outstanding = opening + movement.net;
      const { periodStart, periodEnd } = monthBounds(month);
      rows.push({
        month,
        periodStart,
        periodEnd,
        bank: owner,
        bankName: input.names.get(owner) ?? null,
        opening,
        sold: movement.sold,
        sales: salesOf(movement.sold, salesBy.get(key(owner, month)) ?? []),
        grantedFree: movement.grantedFree,
        used: movement.used,
        expired: movement.expired,
        refunded: movement.refunded,
        removed: movement.removed,
        outstanding,
      });
      opening = outstanding;
    }
  }
  rows.sort((a, b) => a.month.localeCompare(b.month) || compareOwners(a.bank, b.bank));
  return { from: input.from, to: input.to, rows, months: months.map((month) => totalsOf(month, rows)), generatedAt: input.generatedAt.toISOString() };
}

/** org:2 before org:10; organisations before people. */
function compareOwners(a: string, b: string): number {
  const [ta, ia] = a.split(":");
  const [tb, ib] = b.split(":");
  return ta!.localeCompare(tb!) || ia!.length - ib!.length || ia!.localeCompare(ib!);
}

function totalsOf(month: string, rows: FinanceRow[]): FinanceTotals {
  const mine = rows.filter((r) => r.month === month);
  const sum = (pick: (r: FinanceRow) => number) => mine.reduce((total, r) => total + pick(r), 0);
  const priced = mine.flatMap((r) =>
    r.sales.filter((s) => s.currency !== null).map((s) => ({ owner: r.bank, month, currency: s.currency!, credits: s.credits, amountMinor: s.amountMinor! })),
  );
  const sold = sum((r) => r.sold);
  return {
    month,
    opening: sum((r) => r.opening),
    sold,
    sales: salesOf(sold, priced),
    grantedFree: sum((r) => r.grantedFree),
    used: sum((r) => r.used),
    expired: sum((r) => r.expired),
    refunded: sum((r) => r.refunded),
    removed: sum((r) => r.removed),
    outstanding: sum((r) => r.outstanding),
  };
}

/** The CSV's columns, in order. */
export const FINANCE_CSV_COLUMNS = [
  "month",
  "period_start",
  "period_end",
  "bank",
  "bank_name",
  "opening_credits",
  "sold_credits",
  "granted_free_credits",
  "used_credits",
  "expired_credits",
  "refunded_credits",
  "removed_credits",
  "outstanding_credits",
  "currency",
  "sold_amount_minor",
  "sold_amount_major",
] as const;

/** A CSV cell: quoted when needed; text a spreadsheet would run as a formula is defused. */
function csvCell(value: string | number | null, isText: boolean): string {
  if (value === null) return "";
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The report as CSV (RFC 4180, CRLF): one row per month and bank. The money is on the row, in the
 * currency it was paid in. A bank that paid in two currencies in one month (or bought credits
 * the ledger holds no price for besides) gets one more row per further currency, with that
 * currency's credits sold and money and every other credit column 0 (opening and outstanding
 * too), so that a column's sum is still its total.
 */
export function financeCsv(report: FinanceReport): string {
  const lines = [FINANCE_CSV_COLUMNS.join(",")];
  for (const r of report.rows) {
    const [first, ...more] = r.sales;
    const line = (sale: FinanceSale | null, credits: Omit<FinanceRow, "month" | "periodStart" | "periodEnd" | "bank" | "bankName" | "sales">) =>
      [
        csvCell(r.month, false),
        csvCell(r.periodStart, false),
        csvCell(r.periodEnd, false),
        csvCell(r.bank, true),
        csvCell(r.bankName, true),
        ...[credits.opening, credits.sold, credits.grantedFree, credits.used, credits.expired, credits.refunded, credits.removed, credits.outstanding].map(
          (n) => csvCell(n, false),
        ),
        csvCell(sale?.currency?.toUpperCase() ?? null, false),
        csvCell(sale?.amountMinor ?? null, false),
        csvCell(sale?.amountMajor ?? null, false),
      ].join(",");
    lines.push(line(first ?? null, { ...r, sold: first?.credits ?? r.sold }));
    for (const sale of more)
      lines.push(line(sale, { opening: 0, sold: sale.credits, grantedFree: 0, used: 0, expired: 0, refunded: 0, removed: 0, outstanding: 0 }));
  }
  return `${lines.join("\r\n")}\r\n`;
}
