/** What agents see in the sidebars: numbers they can trust and words that read well (jsdom, the real SDK, msw as Deskpro's proxy). */
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { forecastWords } from "../../src/app/bank/BurnDown.js";
import { expiryWords } from "../../src/app/bank/Grants.js";
import { forecast } from "../../src/app/bank/insights.js";
import { Tag } from "../../src/app/components/common.js";
import { helpdeskFromPermalink, ticketUrl } from "../../src/app/deskpro/links.js";
import { lightTheme, ThemeProvider } from "../../src/app/deskpro/ui.js";
import { formatMinutes } from "../../src/app/format.js";
import type { Forwarded } from "./harness.js";
import { config, entry, grant, problem, renderApp, ticketContext, proxyForThisFile, userContext, wallet } from "./harness.js";

const proxy = proxyForThisFile();

const DAY = 86_400_000;
const now = new Date("2026-11-20T12:00:00Z");

function ticketLedger(payer: object, options: { portal?: object; quote?: object } = {}) {
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: payer });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, {
    body: {
      ticketId: "1234",
      entries: [entry({ kind: "time", amount: -15, minutes: 15, owner: "org:42", agent: "Grace Hopper" })],
      totals: { net: 15, minutes: 15, unbilledMinutes: 0 },
    },
  });
  proxy.on("GET", /^\/v1\/portal\/tickets\/1234$/, options.portal ? { body: options.portal } : { status: 404, body: problem(404, "not_found", "not seen") });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("POST", /\/quote$/, {
    body: {
      amount: 300,
      balance: 20,
      balanceAfter: -280,
      insufficient: true,
      billedMinutesBefore: 0,
      billedMinutesAfter: 300,
      overdraft: 280,
      ...options.quote,
    },
  });
}

describe("who pays for a ticket", () => {
  it("shows the pinned bank and why, what the rule would pick now, and changes it only with a reason", async () => {
    ticketLedger({
      owner: "org:42",
      reason: "person_has_plan",
      wallet: wallet(),
      pin: { owner: "org:42", how: "first_charge", at: "2026-11-03T10:00:00.000Z", agent: "Grace Hopper", note: null, previousOwner: null },
      rule: { owner: "person:77", reason: "person_has_plan" },
    });
    proxy.on("PUT", /\/tickets\/1234\/payer$/, (req: Forwarded) => ({
      body: { ticketId: "1234", pin: { ...(req.body as object), how: "agent", at: "2026-11-20T12:00:00.000Z", previousOwner: "org:42", note: "Pays her own" } },
    }));
    await renderApp(ticketContext());
    expect(await screen.findByTestId("payer")).toHaveTextContent(
      /^Analytical Engines Ltd's bank — It paid this ticket's first charge on .+, so the ticket stays with it\.$/,
    );
    expect(screen.getByTestId("payer-rule")).toHaveTextContent("The payer rule would now pick Ada Lovelace's own bank: they have a plan of their own.");

    // The form is its own chunk, there a moment after the payer.
    fireEvent.click(await screen.findByRole("button", { name: "Change who pays…" }));
    fireEvent.click(screen.getByRole("button", { name: "Change who pays" }));
    expect(await screen.findByText("Say why this ticket should be paid by another bank.")).toBeTruthy();
    expect(proxy.requests("PUT", /\/payer$/)).toHaveLength(0);
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "Pays her own" } });
    fireEvent.click(screen.getByRole("button", { name: "Change who pays" }));
    expect(
      await screen.findByText(/Ada Lovelace's own bank pays for this ticket from now on\. Earlier charges stay with the bank that paid them\./),
    ).toBeTruthy();
    const [req] = proxy.requests("PUT", /\/payer$/);
    expect(req?.body).toEqual({ owner: "person:77", reason: "Pays her own", agent: "Grace Hopper" });
    expect(req?.rawHeaders["Idempotency-Key"]).toMatch(/^app-/);
  });

  it("lists a charge paid by another bank under that bank", async () => {
    ticketLedger({
      owner: "person:77",
      reason: "person_has_plan",
      wallet: wallet({ owner: "person:77" }),
      pin: null,
      rule: { owner: "person:77", reason: "person_has_plan" },
    });
    await renderApp(ticketContext());
    const list = await screen.findByRole("list", { name: "Charges on this ticket" });
    expect(within(list).getByText(/paid by Analytical Engines Ltd's bank/)).toBeTruthy();
  });

  it("says what the customer asked for on the portal and why it wasn't charged", async () => {
    ticketLedger(
      { owner: "org:42", reason: "organisation", wallet: wallet({ balance: 40 }), pin: null },
      {
        portal: {
          ticketId: "1234",
          owner: "org:42",
          requestedTier: "1-hour",
          chargedTier: null,
          chargeEntryId: null,
          outcome: "unaffordable",
          lastPriorityId: 2,
          updatedAt: "2026-11-20T10:00:00.000Z",
        },
      },
    );
    await renderApp(ticketContext());
    expect(await screen.findByTestId("declined-tier")).toHaveTextContent(
      /The customer asked for 1-hour response \(250 credits\) on the portal\. It wasn't charged because the bank didn't have enough credits/,
    );
  });
});

describe("time a short bank can't pay for", () => {
  it("offers to record it as unbilled, and says so after", async () => {
    ticketLedger({ owner: "org:42", reason: "organisation", wallet: wallet({ balance: 20 }), pin: null });
    proxy.on("POST", /\/debits$/, (req: Forwarded) => ({
      status: 201,
      body: { entry: entry({ kind: "unbilled", amount: 0, minutes: (req.body as { minutes: number }).minutes }), balance: 20 },
    }));
    await renderApp(ticketContext());
    fireEvent.change(await screen.findByLabelText("Minutes worked"), { target: { value: "300" } });
    await screen.findByText(/This would overdraw the bank/);
    fireEvent.click(await screen.findByRole("button", { name: "Record 300 min · 5 h as unbilled" }));
    expect(await screen.findByText(/Recorded 300 min · 5 h as unbilled: nothing charged/)).toBeTruthy();
    expect(proxy.requests("POST", /\/debits$/)[0]?.body).toEqual({ kind: "unbilled", ticketId: "1234", minutes: 300, agent: "Grace Hopper" });
  });

  it("says how much comes from the plan's overdraft when the bank may go below zero", async () => {
    ticketLedger(
      { owner: "org:42", reason: "organisation", wallet: wallet({ balance: 20, overdraftLimit: 500 }), pin: null },
      { quote: { insufficient: false } },
    );
    await renderApp(ticketContext());
    fireEvent.change(await screen.findByLabelText("Minutes worked"), { target: { value: "300" } });
    expect(await screen.findByText("280 of these credits come from the plan's overdraft: the balance goes to -280.")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Log 300 min · 5 h" })).toHaveProperty("disabled", false);
  });
});

describe("the buy link and required fields", () => {
  it("says the link went to the reply box only if one is open, and says plainly when Deskpro refused it", async () => {
    ticketLedger({ owner: "org:42", reason: "organisation", wallet: wallet(), pin: null });
    proxy.on("POST", /\/customer-links$/, {
      status: 201,
      body: { owner: "org:42", url: "https://credits.example.com/pay/abc.def", expiresAt: "2026-12-20T00:00:00.000Z" },
    });
    const app = await renderApp(ticketContext());
    fireEvent.click(await screen.findByRole("button", { name: "Send buy link" }));
    expect(await screen.findByText(/^Added to the ticket's reply box, if one is open\./)).toBeTruthy();
    expect((screen.getByLabelText("Buy link") as HTMLInputElement).value).toBe("https://credits.example.com/pay/abc.def");

    app.parent._sendDeskproUIMessage.mockRejectedValueOnce(new Error("no reply box"));
    fireEvent.click(screen.getByRole("button", { name: "Send buy link" }));
    expect(await screen.findByText(/^Deskpro didn't take the link into the reply box; copy it from here\./)).toBeTruthy();
  });

  it("doesn't mark 'Reason (required)' as an error before anyone typed", async () => {
    proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: wallet({ owner: "person:77" }) });
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /\/entries/, { body: { entries: [], nextCursor: null } });
    await renderApp(userContext());
    const reason = await screen.findByLabelText("Reason (required)");
    expect(reason.getAttribute("aria-invalid")).not.toBe("true");
    expect(reason.hasAttribute("required")).toBe(false);
  });
});

describe("the statement", () => {
  it("shows the agent, links ticket numbers to the ticket, filters on the ledger and downloads CSV", async () => {
    // Inside Deskpro the app is embedded in the helpdesk's agent interface, whose address the links use.
    const parent = vi.spyOn(window, "parent", "get").mockReturnValue({} as Window);
    const referrer = vi.spyOn(document, "referrer", "get").mockReturnValue("https://acme.deskpro.test/app");
    URL.createObjectURL = vi.fn(() => "blob:statement");
    URL.revokeObjectURL = vi.fn();
    proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, { body: wallet({ owner: "person:77" }) });
    proxy.on("GET", /^\/v1\/config$/, { body: config });
    proxy.on("GET", /\/entries$/, (req: Forwarded) => {
      if (req.headers.Accept === "text/csv") return { body: "id,kind\r\n", contentType: "text/csv" };
      const kind = req.url.searchParams.get("kind");
      return {
        body: {
          entries: [entry({ owner: "person:77", kind: (kind as "time" | null) ?? "time", agent: "Grace Hopper", ticketId: "1042", minutes: 30 })],
          nextCursor: null,
        },
      };
    });
    await renderApp(userContext());
    const list = await screen.findByRole("list", { name: "Statement" });
    expect(within(list).getByText(/Grace Hopper/)).toBeTruthy();
    const link = within(list).getByRole("link", { name: "ticket #1042" });
    expect(link.getAttribute("target")).toBe("_blank");
    expect(link.getAttribute("href")).toMatch(/\/app#\/t\/ticket\/1042$/);

    fireEvent.change(screen.getByLabelText("Entry kind"), { target: { value: "unbilled" } });
    fireEvent.change(screen.getByLabelText("From"), { target: { value: "2026-11-01" } });
    await waitFor(() =>
      expect(proxy.forwarded.some((f) => f.url.searchParams.get("kind") === "unbilled" && f.url.searchParams.get("from") === "2026-11-01")).toBe(true),
    );
    fireEvent.click(screen.getByRole("button", { name: "Download these as CSV" }));
    await waitFor(() => expect(proxy.forwarded.some((f) => f.headers.Accept === "text/csv" && f.url.searchParams.get("kind") === "unbilled")).toBe(true));
    await waitFor(() => expect(URL.createObjectURL).toHaveBeenCalled());
    parent.mockRestore();
    referrer.mockRestore();
  });
});

describe("words and numbers", () => {
  it("shows hours beside minutes", () => {
    expect(formatMinutes(27)).toBe("27 min");
    expect(formatMinutes(600)).toBe("600 min · 10 h");
    expect(formatMinutes(90)).toBe("90 min · 1.5 h");
    expect(formatMinutes(6000)).toMatch(/^6.000 min · 100 h$/);
  });

  it("keeps labels in sentence case, at 11 px or more", () => {
    render(
      <ThemeProvider theme={lightTheme}>
        <Tag>Expires in 4 days</Tag>
      </ThemeProvider>,
    );
    const tag = screen.getByText("Expires in 4 days");
    expect(tag.style.textTransform).toBe("");
    expect(parseFloat(tag.style.fontSize)).toBeGreaterThanOrEqual(11);
  });

  it("says what expiry takes and what rolls over, the way the customer is told", () => {
    const g = grant({ remaining: 800, amount: 1000, expiresAt: "2026-12-01T00:00:00.000Z", atExpiry: { lost: 300, rollsOver: 500 } });
    expect(expiryWords(g)).toMatch(/^300 will be lost, 500 roll over on /);
    expect(expiryWords({ ...g, atExpiry: { lost: 0, rollsOver: 800 } })).toMatch(/^All 800 roll over on /);
  });

  it("forecasts from support used only, and says whether the bank lasts until its next top-up", () => {
    const at = (days: number) => new Date(now.getTime() - days * DAY).toISOString();
    const used = [entry({ kind: "time", amount: -300, createdAt: at(2) }), entry({ kind: "removal", amount: -3000, createdAt: at(1), ticketId: null })];
    const outlook = forecast(used, 1000, now, "2026-12-01T00:00:00.000Z");
    expect(outlook).toMatchObject({ kind: "runs-out", perDay: 10, lastsUntilTopUp: true });
    expect(forecastWords(outlook)).toMatch(/the bank lasts until its next top-up on /);
    const short = forecast(used, 50, now, "2026-12-01T00:00:00.000Z");
    expect(forecastWords(short)).toMatch(/it runs out in about 5 days, before the next top-up on /);
  });

  it("links to tickets by Deskpro's permalink, mending a permalink without its slash", () => {
    expect(helpdeskFromPermalink("https://deskprodemo.com/app#/t/ticket/215")).toBe("https://deskprodemo.com");
    expect(helpdeskFromPermalink("https://linear-pr-1.ci.next.deskprodemo.comapp#/t/ticket/215")).toBe("https://linear-pr-1.ci.next.deskprodemo.com");
    expect(ticketUrl("https://support.example.com", "1042")).toBe("https://support.example.com/app#/t/ticket/1042");
  });
});
