import { useId, useState, type ChangeEvent } from "react";
import { FinanceReport, FinanceReportQuery, type FinanceSale } from "../../contract/index.js";
import { formatMoney } from "../../ledger/domain/currency.js";
import type { AdminLedgerApi } from "../api/admin-api.js";
import { ledgerRequest, ledgerText } from "../api/transport.js";
import { ErrorNotice, FieldError, Section, usePalette } from "../components/common.js";
import { Input } from "../deskpro/input.js";
import { Button, P5, Stack } from "../deskpro/ui.js";
import { formatCredits } from "../format.js";
import { downloadCsv } from "../components/download.js";

/** This month and the two before it (UTC, as the report counts months). */
function defaultRange(now = new Date()): { from: string; to: string } {
  const month = (d: Date) => d.toISOString().slice(0, 7);
  return { from: month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 2, 1))), to: month(now) };
}

const money = (sales: FinanceSale[]) =>
  sales
    .filter((s) => s.currency !== null && s.amountMinor !== null)
    .map((s) => formatMoney(s.amountMinor!, s.currency!))
    .join(" + ") || "–";

/**
 * The finance report on the settings page: months' totals for every bank together, and the CSV
 * (one row per month and bank) for the accountant. docs/finance.md says how to book it.
 */
export function FinanceReportSection({ api }: { api: AdminLedgerApi }) {
  const colors = usePalette();
  const ids = { from: useId(), to: useId(), error: useId() };
  const [range, setRange] = useState(defaultRange);
  const [report, setReport] = useState<FinanceReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<"show" | "csv" | null>(null);
  const checked = FinanceReportQuery.safeParse(range);
  const rangeError = checked.success ? null : (checked.error.issues[0]?.message ?? "Choose two months.");
  const query = { from: range.from, to: range.to };
  const change = (field: "from" | "to") => (e: ChangeEvent<HTMLInputElement>) => {
    setRange({ ...range, [field]: e.target.value });
    setReport(null);
  };

  const show = async () => {
    if (rangeError) return;
    setBusy("show");
    setError(null);
    try {
      setReport(await ledgerRequest(api.endpoint, { method: "GET", path: "/v1/reports/finance", query, schema: FinanceReport, what: "finance report" }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const csv = async () => {
    if (rangeError) return;
    setBusy("csv");
    setError(null);
    try {
      const text = await ledgerText(api.endpoint, { method: "GET", path: "/v1/reports/finance", query, accept: "text/csv", what: "finance report" });
      downloadCsv(text, `finance-${range.from}-to-${range.to}.csv`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };

  const label = { fontSize: 11, display: "block" } as const;
  const cell = { textAlign: "right", padding: "2px 4px", whiteSpace: "nowrap" } as const;
  return (
    <Section title="Finance report">
      <P5 style={{ color: colors.muted, marginBottom: 6 }}>
        Credits sold (and the money paid), given free, used, expired, taken back and still owed in service, per month (UTC). The CSV has one row per month and
        bank for your accountant; docs/finance.md says how to book it.
      </P5>
      <Stack gap={8} align="end" wrap="wrap">
        <div>
          <label htmlFor={ids.from} style={label}>
            From month
          </label>
          <Input id={ids.from} type="month" value={range.from} onChange={change("from")} aria-describedby={ids.error} />
        </div>
        <div>
          <label htmlFor={ids.to} style={label}>
            To month
          </label>
          <Input id={ids.to} type="month" value={range.to} onChange={change("to")} aria-describedby={ids.error} />
        </div>
        <Button intent="secondary" size="small" text={busy === "show" ? "Loading…" : "Show"} disabled={busy !== null || rangeError !== null} onClick={show} />
        <Button
          intent="secondary"
          size="small"
          text={busy === "csv" ? "Preparing…" : "Download CSV"}
          disabled={busy !== null || rangeError !== null}
          onClick={csv}
        />
      </Stack>
      <FieldError id={ids.error} message={rangeError} />
      {error !== null && <ErrorNotice error={error} context="The finance report" />}
      {report && (
        <div style={{ overflowX: "auto", marginTop: 8 }}>
          <table aria-label="Finance report: all banks by month" style={{ borderCollapse: "collapse", fontSize: 12 }}>
            <thead>
              <tr>
                {["Month", "Sold", "Paid", "Free", "Used", "Expired", "Taken back", "Removed", "Outstanding"].map((h, i) => (
                  <th key={h} scope="col" style={i === 0 ? { textAlign: "left", padding: "2px 4px" } : cell}>
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.months.map((m) => (
                <tr key={m.month}>
                  <th scope="row" style={{ textAlign: "left", padding: "2px 4px", fontWeight: 400 }}>
                    {m.month}
                  </th>
                  <td style={cell}>{formatCredits(m.sold)}</td>
                  <td style={cell}>{money(m.sales)}</td>
                  <td style={cell}>{formatCredits(m.grantedFree)}</td>
                  <td style={cell}>{formatCredits(m.used)}</td>
                  <td style={cell}>{formatCredits(m.expired)}</td>
                  <td style={cell}>{formatCredits(m.refunded)}</td>
                  <td style={cell}>{formatCredits(m.removed)}</td>
                  <td style={cell}>{formatCredits(m.outstanding)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <P5 style={{ color: colors.muted, marginTop: 4 }}>
            {formatCredits(new Set(report.rows.map((r) => r.bank)).size)} banks. Outstanding is what the banks' journals add up to at each month's end.
          </P5>
        </div>
      )}
    </Section>
  );
}
