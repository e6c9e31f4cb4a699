import { act, cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import type { Forwarded } from "./harness.js";
import { config, entry, organisationContext, problem, renderApp, ticketContext, proxyForThisFile, userContext, wallet } from "./harness.js";

const proxy = proxyForThisFile();

function standardLedger(over: { wallet?: ReturnType<typeof wallet>; reason?: string } = {}) {
  const payerWallet = over.wallet ?? wallet();
  proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: payerWallet.owner, reason: over.reason ?? "organisation", wallet: payerWallet } });
  proxy.on("GET", /^\/v1\/portal\/tickets\/1234$/, {
    status: 404,
    body: { type: "about:blank", title: "Not found", status: 404, detail: "not seen", code: "not_found" },
  });
  proxy.on("GET", /^\/v1\/tickets\/1234\/entries$/, {
    body: { ticketId: "1234", entries: [entry({ kind: "time", amount: -15, minutes: 15, balanceAfter: 1240 })], totals: { net: 15, minutes: 15 } },
  });
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("POST", /\/quote$/, (req: Forwarded) => {
    const body = req.body as { kind: string; minutes?: number; tier?: string };
    if (body.kind === "time")
      return { body: { amount: 30, balance: 1240, balanceAfter: 1210, insufficient: false, billedMinutesBefore: 15, billedMinutesAfter: 45 } };
    return { body: { amount: 250, balance: 1240, balanceAfter: 990, insufficient: false, billedMinutesBefore: null, billedMinutesAfter: null } };
  });
}

beforeEach(() => standardLedger());

async function typeMinutes(value: string) {
  fireEvent.change(await screen.findByLabelText("Minutes worked"), { target: { value } });
}

describe("ticket sidebar", () => {
  it("shows a loading state, then which bank pays and why, the balance, plan and next top-up", async () => {
    const app = await renderApp(ticketContext());
    expect(screen.getByRole("status")).toHaveTextContent(/Loading/);
    const payer = await screen.findByTestId("payer");
    expect(payer).toHaveTextContent("Analytical Engines Ltd's bank");
    expect(payer).toHaveTextContent("Ada Lovelace has no plan or credits of their own.");
    expect(screen.getByTestId("balance")).toHaveTextContent("1,240");
    expect(screen.getByText("Gold")).toBeTruthy();
    expect(screen.getByText("Next top-up")).toBeTruthy();
    expect(screen.getByText("Dec 1, 2026")).toBeTruthy();
    expect(payer).toHaveTextContent("The ticket's organisation.");
    // The request named the ticket's person, the ticket's organisation and the person's primary one.
    const [req] = proxy.requests("GET", /\/sidebar$/);
    expect(req?.url.searchParams.get("person")).toBe("77");
    expect(req?.url.searchParams.get("org")).toBe("42");
    expect(req?.url.searchParams.get("personOrg")).toBe("42");
    // Sidebar chrome: the title shows the balance, no alert badge.
    await waitFor(() => expect(app.parent.setTitle).toHaveBeenLastCalledWith("Credits: 1,240"));
    expect(app.parent.setBadgeCount).toHaveBeenLastCalledWith(0);
  });

  it("sends the ticket's own organisation, not the person's, and names the one that pays", async () => {
    proxy.reset();
    standardLedger();
    proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, {
      body: { owner: "org:50", reason: "organisation", organisationFrom: "ticket", wallet: wallet({ owner: "org:50" }) },
    });
    await renderApp(ticketContext({ ticketOrg: { id: "50", name: "Difference & Co" } }));
    expect(await screen.findByTestId("payer")).toHaveTextContent(
      "Difference & Co's bank — The ticket's organisation. Ada Lovelace has no plan or credits of their own.",
    );
    const [req] = proxy.requests("GET", /\/sidebar$/);
    expect(req?.url.searchParams.get("org")).toBe("50");
    expect(req?.url.searchParams.get("personOrg")).toBe("42");
  });

  it("says when the person's primary organisation pays because the ticket has none", async () => {
    proxy.reset();
    standardLedger();
    proxy.on("GET", /^\/v1\/tickets\/1234\/payer$/, { body: { owner: "org:42", reason: "organisation", organisationFrom: "person", wallet: wallet() } });
    await renderApp(ticketContext({ ticketOrg: null }));
    expect(await screen.findByTestId("payer")).toHaveTextContent(
      "Analytical Engines Ltd's bank — Their primary organisation (the ticket has none). Ada Lovelace has no plan or credits of their own.",
    );
    const [req] = proxy.requests("GET", /\/sidebar$/);
    expect(req?.url.searchParams.has("org")).toBe(false);
    expect(req?.url.searchParams.get("personOrg")).toBe("42");
  });

  it("lists this ticket's charges and their total", async () => {
    await renderApp(ticketContext());
    const list = await screen.findByRole("list", { name: "Charges on this ticket" });
    expect(within(list).getByText("Time worked · 15 min")).toBeTruthy();
    expect(screen.getByTestId("ticket-total")).toHaveTextContent("15 credits · 15 min logged");
  });

  it("turns amber when low and raises the badge", async () => {
    proxy.reset();
    standardLedger({ wallet: wallet({ balance: 80, lowBalance: { threshold: 100, state: "low", levels: [], levelsFrom: "helpdesk" } }) });
    const app = await renderApp(ticketContext());
    await screen.findByTestId("payer");
    expect(screen.getByText("Running low")).toBeTruthy();
    expect(screen.getByRole("meter").closest("[data-state]")?.getAttribute("data-state")).toBe("low");
    expect(screen.getByTestId("low-balance-banner")).toHaveTextContent("Running low: 80 credits left, below the 100-credit alert level.");
    await waitFor(() => expect(app.parent.setBadgeCount).toHaveBeenLastCalledWith(1));
  });

  it("turns red when depleted", async () => {
    proxy.reset();
    standardLedger({ wallet: wallet({ balance: 0, grants: [], lowBalance: { threshold: 100, state: "depleted", levels: [], levelsFrom: "helpdesk" } }) });
    const app = await renderApp(ticketContext());
    await screen.findByTestId("payer");
    expect(screen.getByText("Empty")).toBeTruthy();
    expect(screen.getByRole("meter").getAttribute("aria-valuetext")).toBe("0 credits, empty");
    expect(screen.getByTestId("low-balance-banner")).toHaveTextContent("This bank is empty");
    await waitFor(() => expect(app.parent.setBadgeCount).toHaveBeenLastCalledWith(1));
  });

  it("says so when the bank is empty and has no plan", async () => {
    proxy.reset();
    standardLedger({
      reason: "person_no_org",
      wallet: wallet({
        owner: "person:77",
        balance: 0,
        plan: null,
        planSource: "none",
        grants: [],
        lowBalance: { threshold: null, state: "ok", levels: [], levelsFrom: "helpdesk" },
      }),
    });
    await renderApp(ticketContext({ orgId: null }));
    expect(await screen.findByTestId("payer")).toHaveTextContent("Ada Lovelace's own bank — They belong to no organisation.");
    expect(screen.getByText(/no credits and no plan yet/)).toBeTruthy();
  });

  it("raises no alarm for a bank that never had credits or a plan, even if the ledger calls it depleted", async () => {
    proxy.reset();
    standardLedger({
      reason: "person_no_org",
      wallet: wallet({
        owner: "person:77",
        balance: 0,
        plan: null,
        planSource: "none",
        grants: [],
        lowBalance: { threshold: 100, state: "depleted", levels: [], levelsFrom: "helpdesk" },
      }),
    });
    const app = await renderApp(ticketContext({ orgId: null }));
    await screen.findByTestId("payer");
    expect(screen.getByText(/no credits and no plan yet/)).toBeTruthy();
    expect(screen.queryByTestId("low-balance-banner")).toBeNull();
    expect(screen.queryByText("Empty")).toBeNull();
    await waitFor(() => expect(app.parent.setBadgeCount).toHaveBeenLastCalledWith(0));
  });

  it("shows an error in plain words, and retries", async () => {
    proxy.reset();
    proxy.on("GET", /\/payer$/, { status: 401, body: problem(401, "unauthorized", "bad key") });
    await renderApp(ticketContext());
    expect(await screen.findByText("The ledger refused the API key. An admin should check the key in the app's settings.")).toBeTruthy();
    standardLedger();
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("payer")).toBeTruthy();
  });

  it("says the app isn't connected yet, and what the admin does, when nothing was ever set up: on every sidebar", async () => {
    proxy.reset();
    // A fresh install: no key was ever stored, so the proxy sends none and the ledger answers 401.
    proxy.on("GET", /\/v1\//, { status: 401, body: problem(401, "unauthorized", "no key") });
    const notSetUp = { ledger_url: "https://credits.example.com" };
    for (const context of [ticketContext(), userContext(), organisationContext()]) {
      await renderApp({ ...context, settings: notSetUp });
      expect(
        await screen.findByText(/Support Credits isn't connected yet\. An admin opens .*Support Credits, presses Connect this helpdesk, then Save\./),
      ).toBeTruthy();
      expect(screen.queryByText(/refused/)).toBeNull();
      cleanup();
    }
  });

  it("previews logged time with the ledger's price and the per-ticket rounding", async () => {
    await renderApp(ticketContext());
    await typeMinutes("27");
    const preview = await screen.findByTestId("time-preview");
    await waitFor(() => expect(preview).toHaveTextContent("27 min → 30 credits · balance after 1,210"));
    expect(preview).toHaveTextContent("Ticket billed 15 min → 45 min");
    const [quote] = proxy.requests("POST", /\/quote$/).filter((r) => (r.body as { kind: string }).kind === "time");
    expect(quote?.body).toEqual({ kind: "time", minutes: 27, ticketId: "1234" });
    expect(quote?.url.pathname).toBe("/v1/wallets/org%3A42/quote");
  });

  it("warns and will not save when the time would overdraw the bank", async () => {
    proxy.on("POST", /\/quote$/, {
      body: { amount: 300, balance: 20, balanceAfter: -280, insufficient: true, billedMinutesBefore: 0, billedMinutesAfter: 300 },
    });
    await renderApp(ticketContext());
    await typeMinutes("300");
    expect(
      await screen.findByText(/This would overdraw the bank: it has 20 credits and this needs 300\. Add credits first, or record the time as unbilled/),
    ).toBeTruthy();
    expect(screen.getByRole("button", { name: "Log 300 min · 5 h" })).toBeDisabled();
  });

  it("charges once on a double click", async () => {
    proxy.on("POST", /\/debits$/, async () => {
      await new Promise((r) => setTimeout(r, 30));
      return { status: 201, body: { entry: entry({ amount: -30, minutes: 27 }), balance: 1210 } };
    });
    await renderApp(ticketContext());
    await typeMinutes("27");
    await waitFor(() => expect(screen.getByTestId("time-preview")).toHaveTextContent("30 credits"));
    const button = screen.getByRole("button", { name: "Log 27 min" });
    act(() => {
      fireEvent.click(button);
      fireEvent.click(button);
    });
    expect(await screen.findByText("Logged 27 min: 30 credits charged. Balance now 1,210.")).toBeTruthy();
    const debits = proxy.requests("POST", /\/debits$/);
    expect(debits).toHaveLength(1);
    expect(debits[0]?.body).toEqual({ kind: "time", ticketId: "1234", minutes: 27, agent: "Grace Hopper" });
    expect(debits[0]?.rawHeaders["Idempotency-Key"]).toMatch(/^app-/);
  });

  it("says when logged minutes fall within the ticket's rounding step: nothing charged, not '-0 credits'", async () => {
    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry({ amount: 0, minutes: 5 }), balance: 1240 } });
    await renderApp(ticketContext());
    await typeMinutes("5");
    fireEvent.click(await screen.findByRole("button", { name: "Log 5 min" }));
    const said = await screen.findByText("Logged 5 min: within the ticket's rounding step, so nothing was charged. Balance still 1,240.");
    // In a live region that was in the page before the message came.
    expect(said.closest("[role=status]")).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/[-\u2212]0 credits/);
  });

  it("says what is missing when Enter is pressed in an empty minutes field, marks the field invalid and keeps focus on it", async () => {
    await renderApp(ticketContext());
    const field = await screen.findByLabelText("Minutes worked");
    // The error element the field points at is there before any error.
    const describedBy = field.getAttribute("aria-describedby")!;
    expect(document.getElementById(describedBy)).toBeTruthy();
    expect(document.getElementById(describedBy)!.getAttribute("aria-live")).toBe("polite");
    field.focus();
    fireEvent.submit(field.closest("form")!);
    await waitFor(() => expect(document.getElementById(describedBy)).toHaveTextContent("Enter the minutes worked."));
    expect(field.getAttribute("aria-invalid")).toBe("true");
    expect(document.activeElement).toBe(field);
    expect(proxy.requests("POST", /\/debits$/)).toHaveLength(0);
    // A wrong value typed is marked invalid as soon as its error shows.
    await typeMinutes("2x");
    expect(await screen.findByText("Use whole minutes, e.g. 25.")).toBeTruthy();
    expect(field.getAttribute("aria-invalid")).toBe("true");
  });

  it("retries a failed charge with the same Idempotency-Key, and uses a new one for the next action", async () => {
    let calls = 0;
    proxy.on("POST", /\/debits$/, () => {
      calls += 1;
      if (calls === 1) return { status: 503, body: problem(503, "service_unavailable", "busy") };
      return { status: 201, body: { entry: entry({ amount: -30 }), balance: 1210 } };
    });
    await renderApp(ticketContext());
    await typeMinutes("27");
    await waitFor(() => expect(screen.getByTestId("time-preview")).toHaveTextContent("30 credits"));
    fireEvent.click(screen.getByRole("button", { name: "Log 27 min" }));
    expect(await screen.findByText(/Nothing was charged. The ledger is temporarily unavailable/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Log 27 min" }));
    await screen.findByText(/Logged 27 min/);
    await typeMinutes("27");
    await waitFor(() => expect(screen.getByRole("button", { name: "Log 27 min" })).not.toBeDisabled());
    fireEvent.click(screen.getByRole("button", { name: "Log 27 min" }));
    await waitFor(() => expect(proxy.requests("POST", /\/debits$/)).toHaveLength(3));
    const [first, retry, next] = proxy.requests("POST", /\/debits$/).map((r) => r.rawHeaders["Idempotency-Key"]);
    expect(retry).toBe(first);
    expect(next).not.toBe(first);
  });

  it("explains a refused charge: insufficient credits with balance and need", async () => {
    proxy.on("POST", /\/debits$/, { status: 409, body: problem(409, "insufficient_credits", "no", { balance: 10, required: 30 }) });
    await renderApp(ticketContext());
    await typeMinutes("27");
    await waitFor(() => expect(screen.getByTestId("time-preview")).toHaveTextContent("30 credits"));
    fireEvent.click(screen.getByRole("button", { name: "Log 27 min" }));
    expect(await screen.findByText("Nothing was charged. Not enough credits: the bank has 10 and this needs 30.")).toBeTruthy();
  });

  it("keeps the timer in Deskpro user state, so it survives the sidebar reloading", async () => {
    const startedAt = new Date(Date.now() - 27 * 60_000 - 5_000).toISOString();
    const app = await renderApp(ticketContext(), { userState: { timer_ticket_1234: JSON.stringify({ startedAt, elapsedMs: 0 }) } });
    await screen.findByTestId("payer");
    // The forms are chunks of their own, there a moment after the payer.
    fireEvent.click(await screen.findByRole("button", { name: "Timer" }));
    await waitFor(() => expect(screen.getByTestId("timer")).toHaveTextContent(/^00:27:0\d$/));
    expect(app.parent._userStateGet).toHaveBeenCalledWith("timer_ticket_1234");
    fireEvent.click(screen.getByRole("button", { name: "Pause" }));
    await waitFor(() => expect(app.parent._userStateSet).toHaveBeenCalled());
    const saved = JSON.parse(app.userState.get("timer_ticket_1234") as string) as { startedAt: string | null; elapsedMs: number };
    expect(saved.startedAt).toBeNull();
    expect(saved.elapsedMs).toBeGreaterThan(27 * 60_000);
    fireEvent.click(screen.getByRole("button", { name: "Use this time" }));
    expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("28");
  });

  it("after 'Use this time' and a reload, opens on Manual with those minutes and doesn't offer the time again; logging them clears the timer", async () => {
    const paused = JSON.stringify({ startedAt: null, elapsedMs: 27 * 60_000 + 5_000 });
    const first = await renderApp(ticketContext(), { userState: { timer_ticket_1234: paused } });
    // A timer holding time: the sidebar opens on it.
    fireEvent.click(await screen.findByRole("button", { name: "Use this time" }));
    expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("28");
    await waitFor(() => expect(JSON.parse(first.userState.get("timer_ticket_1234") as string)).toMatchObject({ startedAt: null, movedMinutes: 28 }));
    const saved = first.userState.get("timer_ticket_1234") as string;

    // The sidebar reloads before the time is logged.
    cleanup();
    const second = await renderApp(ticketContext(), { userState: { timer_ticket_1234: saved } });
    await waitFor(() => expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("28"));
    fireEvent.click(screen.getByRole("button", { name: "Timer" }));
    expect(screen.getByTestId("timer-moved")).toHaveTextContent("28 min moved to Manual, not logged yet.");
    expect(screen.getByRole("button", { name: "Use this time" })).toBeDisabled();
    expect(screen.queryByRole("button", { name: "Resume" })).toBeNull();

    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry({ kind: "time", amount: -30, minutes: 28 }), balance: 1210 } });
    fireEvent.click(screen.getByRole("button", { name: "Manual" }));
    await waitFor(() => expect(screen.getByTestId("time-preview")).toHaveTextContent("30 credits"));
    fireEvent.click(screen.getByRole("button", { name: "Log 28 min" }));
    expect(await screen.findByText(/^Logged 28 min/)).toBeTruthy();
    await waitFor(() => expect(second.userState.has("timer_ticket_1234")).toBe(false));
    expect(proxy.requests("POST", /\/debits$/)).toHaveLength(1);

    // Reloaded once more: nothing is offered again.
    cleanup();
    await renderApp(ticketContext(), { userState: Object.fromEntries(second.userState) });
    await waitFor(() => expect(screen.getByLabelText("Minutes worked")).toBeTruthy());
    expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("");
    fireEvent.click(screen.getByRole("button", { name: "Timer" }));
    expect(screen.getByRole("button", { name: "Use this time" })).toBeDisabled();
  });

  it("'Back to the timer' returns moved time to the timer and empties Manual", async () => {
    const moved = JSON.stringify({ startedAt: null, elapsedMs: 10 * 60_000, movedMinutes: 10 });
    const app = await renderApp(ticketContext(), { userState: { timer_ticket_1234: moved } });
    await waitFor(() => expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("10"));
    fireEvent.click(screen.getByRole("button", { name: "Timer" }));
    fireEvent.click(screen.getByRole("button", { name: "Back to the timer" }));
    await waitFor(() =>
      expect(JSON.parse(app.userState.get("timer_ticket_1234") as string)).toEqual({ startedAt: null, elapsedMs: 600_000, movedMinutes: null }),
    );
    expect(screen.getByRole("button", { name: "Use this time" })).not.toBeDisabled();
    fireEvent.click(screen.getByRole("button", { name: "Manual" }));
    expect((screen.getByLabelText("Minutes worked") as HTMLInputElement).value).toBe("");
  });

  it("starting the timer saves it to user state", async () => {
    const app = await renderApp(ticketContext());
    await screen.findByTestId("payer");
    // The forms are chunks of their own, there a moment after the payer.
    fireEvent.click(await screen.findByRole("button", { name: "Timer" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Start" })).not.toBeDisabled());
    fireEvent.click(screen.getByRole("button", { name: "Start" }));
    await waitFor(() => expect(app.parent._userStateSet).toHaveBeenCalled());
    const [name, value] = app.parent._userStateSet.mock.calls[0] as [string, string];
    expect(name).toBe("timer_ticket_1234");
    expect((JSON.parse(value) as { startedAt: string | null }).startedAt).not.toBeNull();
  });

  it("refunds an entry only with a reason", async () => {
    proxy.on("POST", /^\/v1\/entries\/ent_[0-9a-z]+\/reversal$/, { status: 201, body: { entry: entry({ kind: "refund", amount: 15 }), balance: 1255 } });
    await renderApp(ticketContext());
    fireEvent.click(await screen.findByRole("button", { name: /^Refund Time worked · 15 min/ }));
    // The form is its own chunk, there a moment after the click.
    fireEvent.click(await screen.findByRole("button", { name: "Refund 15 credits" }, { timeout: 8000 }));
    expect(await screen.findByText("Say why you are refunding this.")).toBeTruthy();
    expect(proxy.requests("POST", /reversal$/)).toHaveLength(0);
    fireEvent.change(screen.getByLabelText("Reason for the refund"), { target: { value: "Logged on the wrong ticket" } });
    fireEvent.click(screen.getByRole("button", { name: "Refund 15 credits" }));
    await waitFor(() => expect(proxy.requests("POST", /reversal$/)).toHaveLength(1));
    const [req] = proxy.requests("POST", /reversal$/);
    expect(req?.body).toEqual({ reason: "Logged on the wrong ticket", agent: "Grace Hopper" });
    expect(req?.rawHeaders["Idempotency-Key"]).toBeTruthy();
  });

  it("charges a response tier after showing its price", async () => {
    proxy.on("POST", /\/debits$/, { status: 201, body: { entry: entry({ kind: "priority", amount: -150, tier: "4-hour", minutes: null }), balance: 1090 } });
    await renderApp(ticketContext());
    const select = await screen.findByRole("combobox", { name: "Response tier" });
    expect(within(select).queryByText(/Standard response/)).toBeNull();
    fireEvent.change(select, { target: { value: "4-hour" } });
    fireEvent.click(screen.getByRole("button", { name: "Charge response tier" }));
    expect(await screen.findByText("Charged 150 credits. Balance now 1,090.")).toBeTruthy();
    const [req] = proxy.requests("POST", /\/debits$/);
    expect(req?.body).toEqual({ kind: "priority", ticketId: "1234", tier: "4-hour", agent: "Grace Hopper" });
  });

  it("puts a signed buy link for the paying bank into the reply box", async () => {
    const url = "https://credits.example.com/pay/eyJ0Ijoi.signature";
    proxy.on("POST", /^\/v1\/wallets\/org(:|%3A)42\/customer-links$/, { status: 201, body: { owner: "org:42", url, expiresAt: "2026-12-24T00:00:00.000Z" } });
    const app = await renderApp(ticketContext());
    await screen.findByTestId("payer");
    fireEvent.click(screen.getByRole("button", { name: "Send buy link" }));
    await waitFor(() =>
      expect(app.parent._sendDeskproUIMessage).toHaveBeenCalledWith(expect.objectContaining({ type: "append_link_to_active_ticket_reply_box", url })),
    );
    expect((await screen.findByTestId("buy-link")).getAttribute("value")).toBe(url);
    const sent = proxy.forwarded.find((f) => f.url.pathname.endsWith("/customer-links"));
    expect(sent?.rawHeaders.Authorization).toBe("Bearer __ledger_api_key__");
  });
});
