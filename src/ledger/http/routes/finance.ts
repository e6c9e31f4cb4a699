/** The finance report, as JSON or as CSV for an accountant's import (tenant API key). */
import { createRoute, z } from "@hono/zod-openapi";
import { FinanceReport, FinanceReportQuery } from "../../../contract/finance.js";
import { financeCsv } from "../../domain/finance.js";
import { financeReport } from "../../features/finance.js";
import { coreOf, newRouter, tenantOf } from "../env.js";
import { commonProblems } from "../openapi.js";

export function financeRoutes() {
  const app = newRouter();
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/reports/finance",
      operationId: "getFinanceReport",
      tags: ["Reports"],
      summary: "Credits sold, given free, used, expired, taken back and outstanding, per month and bank (CSV with Accept: text/csv)",
      description:
        "Calendar months in UTC from `from` to `to` (at most 36). A row for every bank and month with an opening balance or any movement; `outstanding` is the bank's journal summed to the month's end, and `opening + sold + grantedFree − used − expired − refunded − removed = outstanding`. Money is what card purchases paid, per currency, in the currency's minor unit and in major units. With `Accept: text/csv`: one row per month and bank (docs/finance.md).",
      request: { query: FinanceReportQuery },
      responses: {
        200: {
          description: "The report",
          content: { "application/json": { schema: FinanceReport }, "text/csv": { schema: z.string() } },
        },
        ...commonProblems,
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const report = await financeReport(coreOf(c), tenantOf(c), query);
      c.header("cache-control", "no-store");
      if (!(c.req.header("accept") ?? "").includes("text/csv")) return c.json(report, 200);
      c.header("content-type", "text/csv; charset=utf-8");
      c.header("content-disposition", `attachment; filename="finance-${query.from}-to-${query.to}.csv"`);
      return c.body(financeCsv(report), 200);
    },
  );
  return app;
}
