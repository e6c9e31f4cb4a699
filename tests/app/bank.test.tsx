import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { Forwarded } from "./harness.js";
import { config, entry, grant, organisationContext, renderApp, proxyForThisFile, userContext, wallet } from "./harness.js";
import { balanceSeries, forecast } from "../../src/app/bank/insights.js";

const proxy = proxyForThisFile();

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString();

function bankLedger(owner: string, over: Partial<ReturnType<typeof wallet>> = {}) {
  const expiresSoon = new Date(Date.now() + 3 * DAY).toISOString();
  proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, {
    body: wallet({
      owner,
      grants: [grant({ remaining: 240, amount: 500, expiresAt: expiresSoon, source: "manual" }), grant({ remaining: 1000, amount: 1000 })],
      ...over,
    }),
  });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("GET", /\/entries$/, (req: Forwarded) => {
    const limit = Number(req.url.searchParams.get("limit"));
    const cursor = req.url.searchParams.get("cursor");
    if (limit === 500) {
      // The burn-down's history: 60 credits a day over the last 30 days.
      const entries = Array.from({ length: 30 }, (_, i) =>
        entry({ owner, amount: -60, balanceAfter: 1240 + i * 60, createdAt: daysAgo(i + 0.5), minutes: 60 }),
      );
      return { body: { entries, nextCursor: null } };
    }
    if (!cursor) return { body: { entries: [entry({ owner, reason: "Page one entry", createdAt: daysAgo(1) })], nextCursor: "c2" } };
    return {
      body: {
        entries: [entry({ owner, kind: "grant", amount: 2000, minutes: null, ticketId: null, reason: "Page two entry", createdAt: daysAgo(40) })],
        nextCursor: null,
      },
    };
  });
}

describe("user sidebar", () => {
  beforeEach(() => bankLedger("person:77"));

  it("shows the person's bank: balance, plan, grants with expiry badges", async () => {
    const app = await renderApp(userContext());
    expect(await screen.findByText("Ada Lovelace's bank")).toBeTruthy();
    expect(screen.getByTestId("balance")).toHaveTextContent("1,240");
    expect(proxy.requests("GET", /^\/v1\/wallets\/person%3A77$/)).toHaveLength(1);
    const grants = screen.getByRole("list", { name: "Grants" });
    expect(within(grants).getByText("Expires in 3 days")).toBeTruthy();
    expect(within(grants).getByText("No expiry")).toBeTruthy();
    await waitFor(() => expect(app.parent.setTitle).toHaveBeenLastCalledWith("Credits: 1,240"));
  });

  it("pages through the statement", async () => {
    await renderApp(userContext());
    expect(await screen.findByText(/Page one entry/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Show older entries" }));
    expect(await screen.findByText(/Page two entry/)).toBeTruthy();
    const pages = proxy.requests("GET", /\/entries$/).filter((r) => r.url.searchParams.get("limit") === "10");
    expect(pages.map((p) => p.url.searchParams.get("cursor"))).toEqual([null, "c2"]);
    expect(screen.queryByRole("button", { name: "Show older entries" })).toBeNull();
  });

  it("draws the 90-day burn-down and forecasts when the credits run out", async () => {
    await renderApp(userContext());
    expect(await screen.findByTestId("sparkline")).toBeTruthy();
    // 60 credits a day lasts beyond the next top-up (1 December).
    expect(screen.getByTestId("forecast")).toHaveTextContent(/^At the last 30 days' pace \(about 60 credits a day\), the bank lasts until its next top-up on /);
  });

  it("adds credits only with a reason, with an expiry at the end of the chosen day", async () => {
    proxy.on("POST", /\/grants$/, { status: 201, body: { entry: entry({ kind: "grant", amount: 500 }), balance: 1740 } });
    await renderApp(userContext());
    fireEvent.change(await screen.findByLabelText("Credits"), { target: { value: "500" } });
    fireEvent.click(screen.getByRole("button", { name: "Add credits" }));
    expect(await screen.findByText("A reason is required: it goes on the statement.")).toBeTruthy();
    expect(proxy.requests("POST", /\/grants$/)).toHaveLength(0);
    fireEvent.change(screen.getByLabelText("Reason (required)"), { target: { value: "Goodwill after outage" } });
    fireEvent.change(screen.getByLabelText("Expires on (optional)"), { target: { value: "2099-12-31" } });
    fireEvent.click(screen.getByRole("button", { name: "Add credits" }));
    expect(await screen.findByText("Added 500 credits. Balance now 1,740.")).toBeTruthy();
    const [req] = proxy.requests("POST", /\/grants$/);
    expect(req?.url.pathname).toBe("/v1/wallets/person%3A77/grants");
    expect(req?.body).toMatchObject({ amount: 500, reason: "Goodwill after outage", source: "manual", agent: "Grace Hopper" });
    expect(new Date((req?.body as { expiresAt: string }).expiresAt).getFullYear()).toBe(2099);
    expect(req?.rawHeaders["Idempotency-Key"]).toMatch(/^app-/);
  });

  it("removes credits as a removal (not a charge for work) with a reason", async () => {
    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry({ kind: "removal", amount: -40 }), balance: 1200 } });
    await renderApp(userContext());
    fireEvent.change(await screen.findByLabelText("Change"), { target: { value: "remove" } });
    fireEvent.change(screen.getByLabelText("Credits"), { target: { value: "40" } });
    fireEvent.change(screen.getByLabelText("Reason (required)"), { target: { value: "Correction" } });
    fireEvent.click(screen.getByRole("button", { name: "Remove credits" }));
    expect(await screen.findByText("Removed 40 credits. Balance now 1,200.")).toBeTruthy();
    expect(proxy.requests("POST", /\/debits$/)[0]?.body).toEqual({ kind: "removal", amount: 40, reason: "Correction", agent: "Grace Hopper" });
  });
});

describe("organisation sidebar", () => {
  beforeEach(() => bankLedger("org:42"));

  it("shows the organisation's bank and assigns a plan with an Idempotency-Key", async () => {
    proxy.on("PUT", /\/plan$/, (req: Forwarded) => ({
      body: wallet({ plan: { ...config.config.plans[1]!, rollover: { type: "none" } } as never, planSource: "wallet" }),
      status: req.body ? 200 : 400,
    }));
    await renderApp(organisationContext());
    expect(await screen.findByText("Analytical Engines Ltd's bank")).toBeTruthy();
    expect(proxy.requests("GET", /^\/v1\/wallets\/org%3A42$/)).toHaveLength(1);
    proxy.on("POST", /\/plan-quote$/, (req: Forwarded) => ({
      body: {
        plan: {
          key: "silver",
          name: "Silver",
          creditsPerPeriod: 900,
          period: "month",
          rollover: { type: "none" },
          grantLifetimeDays: null,
          overdraftLimit: 0,
          tiers: [],
          alertLevels: null,
        },
        firstPeriod: (req.body as { firstPeriod: string }).firstPeriod,
        allocatedThisPeriod: false,
        creditsNow: (req.body as { firstPeriod: string }).firstPeriod === "prorated" ? 300 : 900,
        creditsNowExpireAt: "2026-12-01T00:00:00.000Z",
        fullPeriodCredits: 900,
        proratedCredits: 300,
        nextTopUpAt: "2026-12-01T00:00:00.000Z",
        nextTopUpCredits: 900,
      },
    }));
    fireEvent.change(await screen.findByLabelText("Plan"), { target: { value: "silver" } });
    // Before saving: what it will do, and the choice of a pro-rated first month.
    await waitFor(() =>
      expect(screen.getByTestId("plan-preview")).toHaveTextContent(/^Adds 900 credits now, expiring on .+\. The next top-up is 900 credits on .+\.$/),
    );
    fireEvent.click(screen.getByLabelText(/Pro-rated for the days left: 300 credits/));
    await waitFor(() => expect(screen.getByTestId("plan-preview")).toHaveTextContent(/^Adds 300 credits now/));
    fireEvent.click(screen.getByRole("button", { name: "Assign plan" }));
    expect(await screen.findByText(/^The bank is now on Silver\./)).toBeTruthy();
    const [req] = proxy.requests("PUT", /\/plan$/);
    expect(req?.url.pathname).toBe("/v1/wallets/org%3A42/plan");
    expect(req?.body).toEqual({ plan: "silver", firstPeriod: "prorated", agent: "Grace Hopper" });
    expect(req?.rawHeaders["Idempotency-Key"]).toMatch(/^app-/);
  });

  it("shows which alert levels apply and sets the bank's own", async () => {
    proxy.on("PUT", /\/alert-levels$/, (req: Forwarded) => ({
      body: wallet({ owner: "org:42", lowBalance: { threshold: 300, state: "ok", levels: (req.body as { levels: never[] }).levels, levelsFrom: "bank" } }),
    }));
    const helpdeskLevels = [
      { type: "credits" as const, value: 100 },
      { type: "credits" as const, value: 0 },
    ];
    proxy.on("GET", /^\/v1\/wallets\/[^/]+$/, {
      body: wallet({ owner: "org:42", lowBalance: { threshold: 100, state: "ok", levels: helpdeskLevels, levelsFrom: "helpdesk" } }),
    });
    await renderApp(organisationContext());
    expect(await screen.findByTestId("alert-levels")).toHaveTextContent("Alerts at 100 credits and when empty (the helpdesk's levels)");
    fireEvent.click(screen.getByRole("button", { name: "Set this bank's levels" }));
    fireEvent.change(screen.getByLabelText("Level 1: credits"), { target: { value: "300" } });
    fireEvent.change(screen.getByLabelText("Level 2: credits"), { target: { value: "-5" } });
    expect(screen.getByRole("button", { name: "Save levels" })).toBeDisabled();
    fireEvent.click(screen.getByRole("button", { name: "Remove level 2" }));
    fireEvent.click(screen.getByRole("button", { name: "Save levels" }));
    expect(await screen.findByText(/Setting levels sends no alert/)).toBeTruthy();
    const [put] = proxy.requests("PUT", /\/alert-levels$/);
    expect(put?.url.pathname).toBe("/v1/wallets/org%3A42/alert-levels");
    expect(put?.body).toEqual({ levels: [{ type: "credits", value: 300 }] });
  });

  it("asks the ledger to read the bank's Deskpro facts when plan rules exist, and shows the plan they give", async () => {
    const withRules = { ...config, config: { ...config.config, planRules: [{ type: "org_field", fieldId: "membership", value: "Gold", plan: "gold" }] } };
    proxy.on("GET", /^\/v1\/config$/, { body: withRules });
    proxy.on("POST", /\/profile\/refresh$/, {
      body: {
        read: true,
        changed: true,
        wallet: wallet({
          owner: "org:42",
          plan: config.config.plans[0] as never,
          planSource: "org_field",
          planRule: 'organisation field membership is "Gold"',
        }),
      },
    });
    await renderApp(organisationContext());
    expect(await screen.findByText(/organisation field membership is "Gold"/)).toBeTruthy();
    const refreshes = proxy.requests("POST", /\/profile\/refresh$/);
    expect(refreshes.map((r) => r.url.pathname)).toEqual(["/v1/wallets/org%3A42/profile/refresh"]);
  });

  it("explains an empty bank", async () => {
    proxy.reset();
    bankLedger("org:42", {
      balance: 0,
      plan: null,
      planSource: "none",
      grants: [],
      lowBalance: { threshold: null, state: "ok", levels: [], levelsFrom: "helpdesk" },
    });
    await renderApp(organisationContext());
    expect(await screen.findByText(/no credits and no plan yet/)).toBeTruthy();
    expect(screen.getByText("No spendable credits.")).toBeTruthy();
  });
});

describe("burn-down arithmetic", () => {
  const now = new Date("2026-11-24T12:00:00Z");
  it("starts the series from the balance before the window", () => {
    const entries = [
      entry({ amount: -10, balanceAfter: 90, createdAt: "2026-11-20T00:00:00Z" }),
      entry({ amount: 100, balanceAfter: 100, createdAt: "2026-01-01T00:00:00Z" }),
    ];
    const series = balanceSeries(entries, 90, now, 90);
    expect(series.map((p) => p.balance)).toEqual([100, 90, 90]);
  });
  it("counts refunds against spending and ignores grants", () => {
    const entries = [
      entry({ amount: -300, createdAt: "2026-11-20T00:00:00Z" }),
      entry({ kind: "refund", amount: 60, createdAt: "2026-11-21T00:00:00Z" }),
      entry({ kind: "grant", amount: 5000, createdAt: "2026-11-22T00:00:00Z" }),
    ];
    expect(forecast(entries, 240, now)).toMatchObject({ kind: "runs-out", perDay: 8, days: 30 });
    expect(forecast([], 240, now)).toEqual({ kind: "no-spending", nextTopUpAt: null });
    expect(forecast(entries, 0, now)).toEqual({ kind: "empty" });
  });
});
