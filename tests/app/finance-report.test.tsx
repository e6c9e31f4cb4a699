import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { FinanceReport } from "../../src/contract/index.js";
import { config, renderApp, proxyForThisFile } from "./harness.js";

const proxy = proxyForThisFile();

const sale = (currency: string, credits: number, amountMinor: number, amountMajor: string) => ({ currency, credits, amountMinor, amountMajor });
const REPORT: FinanceReport = {
  from: "2026-01",
  to: "2026-02",
  rows: [],
  months: [
    {
      month: "2026-01",
      opening: 0,
      sold: 500,
      sales: [sale("eur", 500, 12_000, "120.00")],
      grantedFree: 60,
      used: 40,
      expired: 0,
      refunded: 0,
      removed: 0,
      outstanding: 520,
    },
    {
      month: "2026-02",
      opening: 520,
      sold: 1000,
      sales: [sale("jpy", 1000, 5_000, "5000"), sale("usd", 0, 0, "0.00")],
      grantedFree: 0,
      used: 300,
      expired: 20,
      refunded: 100,
      removed: 0,
      outstanding: 1100,
    },
  ],
  generatedAt: "2026-02-20T10:00:00.000Z",
};

async function openFinanceSection() {
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
  act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com" }));
  const heading = await screen.findByRole("heading", { name: "Finance report" }, { timeout: 5000 });
  return heading.closest("section") ?? document.body;
}

describe("the finance report on the settings page", () => {
  it("shows the months' totals with the money in each currency, for the months chosen", async () => {
    proxy.on("GET", /^\/v1\/reports\/finance$/, { body: REPORT });
    const section = within(await openFinanceSection());
    fireEvent.change(section.getByLabelText("From month"), { target: { value: "2026-01" } });
    fireEvent.change(section.getByLabelText("To month"), { target: { value: "2026-02" } });
    fireEvent.click(section.getByRole("button", { name: "Show" }));
    const table = await screen.findByRole("table", { name: "Finance report: all banks by month" });
    const [, january, february] = within(table).getAllByRole("row");
    expect(
      within(january!)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["500", "€120.00", "60", "40", "0", "0", "0", "520"]);
    expect(
      within(february!)
        .getAllByRole("cell")
        .map((c) => c.textContent),
    ).toEqual(["1,000", "¥5,000 + $0.00", "0", "300", "20", "100", "0", "1,100"]);
    const [asked] = proxy.requests("GET", /^\/v1\/reports\/finance$/);
    expect(asked?.url.searchParams.get("from")).toBe("2026-01");
    expect(asked?.url.searchParams.get("to")).toBe("2026-02");
  });

  it("downloads the CSV through the proxy, and refuses a range that ends before it starts without asking the ledger", async () => {
    URL.createObjectURL = vi.fn(() => "blob:finance");
    URL.revokeObjectURL = vi.fn();
    proxy.on("GET", /^\/v1\/reports\/finance$/, (req) => (req.headers.Accept === "text/csv" ? { body: "month\r\n", contentType: "text/csv" } : undefined));
    const section = within(await openFinanceSection());
    fireEvent.change(section.getByLabelText("From month"), { target: { value: "2026-03" } });
    fireEvent.change(section.getByLabelText("To month"), { target: { value: "2026-01" } });
    expect(section.getByText("`to` must be the same month as `from` or later")).toBeTruthy();
    expect(section.getByRole("button", { name: "Download CSV" })).toBeDisabled();
    fireEvent.change(section.getByLabelText("To month"), { target: { value: "2026-04" } });
    fireEvent.click(section.getByRole("button", { name: "Download CSV" }));
    await waitFor(() => expect(URL.createObjectURL).toHaveBeenCalled());
    const [asked] = proxy.requests("GET", /^\/v1\/reports\/finance$/);
    expect(asked?.headers.Accept).toBe("text/csv");
    expect(asked?.url.searchParams.get("from")).toBe("2026-03");
    expect(asked?.url.searchParams.get("to")).toBe("2026-04");
    expect(proxy.requests("GET", /^\/v1\/reports\/finance$/)).toHaveLength(1);
  });
});
