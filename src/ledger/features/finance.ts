/**
 * The finance report (`GET /v1/reports/finance`): the journal read by month and bank, and put in
 * the columns an accountant books (domain/finance.ts). It reads in one repeatable-read
 * transaction, so the openings, the months' movements and the money are one moment's journal.
 */
import type { FinanceReport, FinanceReportQuery } from "../../contract/finance.js";
import type { LedgerContext } from "../core/context.js";
import { buildFinanceReport, monthBounds } from "../domain/finance.js";
import * as store from "../storage/finance.js";

export async function financeReport(ctx: LedgerContext, tenantId: string, query: FinanceReportQuery): Promise<FinanceReport> {
  const start = monthBounds(query.from).start;
  const end = monthBounds(query.to).end;
  return ctx.db.transaction(async (tx) => {
    await store.readAsOneMoment(tx);
    const openings = await store.openingBalances(tx, tenantId, start);
    const groups = await store.journalGroups(tx, tenantId, start, end);
    const sales = await store.cardSales(tx, tenantId, start, end);
    const owners = [...new Set([...openings.keys(), ...groups.map((g) => g.owner)])];
    const names = await store.bankDisplayNames(tx, tenantId, owners);
    return buildFinanceReport({ from: query.from, to: query.to, openings, groups, sales, names, generatedAt: ctx.clock() });
  });
}
