/**
 * The settings page's Card payments section: what it says for each state of the Stripe connection
 * (off, signing secret missing, nothing received yet, working, last event failed), and the
 * automatic-tax switch saved through the admin proxy.
 */
import { act, cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { StripeConnection } from "../../src/contract/index.js";
import { config, renderApp, proxyForThisFile } from "./harness.js";

const proxy = proxyForThisFile();

const connected: StripeConnection = {
  secretKeySet: true,
  mode: "test",
  secretKeyLast4: "AbCd",
  webhookSecretSet: true,
  webhookUrl: "https://credits.example.com/hooks/stripe/tnt_01abcdefghjkmnpqrstvwxyz00",
  updatedAt: "2026-12-01T10:00:00.000Z",
  automaticTax: false,
  lastEvent: { id: "evt_1", type: "checkout.session.completed", receivedAt: "2026-12-01T11:00:00.000Z", outcome: "granted", detail: "500 credits granted" },
};

async function openWith(connection: StripeConnection) {
  proxy.on("GET", /^\/v1\/config$/, { body: config });
  proxy.on("GET", /^\/v1\/integrations\/stripe$/, { body: connection });
  const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
  act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com" }));
  return (await screen.findByTestId("card-payments-status", {}, { timeout: 8000 })).textContent ?? "";
}

describe("the Card payments section", () => {
  it("says card payments work when signed events arrive, with the last one and what the ledger did", async () => {
    expect(await openWith(connected)).toContain("Card payments work (test mode)");
    expect(screen.getByText(/^checkout\.session\.completed, .*: credits granted$/)).toBeTruthy();
    expect(screen.getByText("test mode, ends …AbCd")).toBeTruthy();
    expect(screen.getByLabelText("Address to give Stripe for its webhook").textContent).toBe(connected.webhookUrl);
  });

  it("says what is missing: no key, no signing secret, no event yet, or a failed last event", async () => {
    expect(await openWith({ ...connected, secretKeySet: false, mode: null, secretKeyLast4: null, webhookSecretSet: false, lastEvent: null })).toMatch(
      /^Card payments are off: no Stripe secret key/,
    );
    cleanup();
    expect(await openWith({ ...connected, webhookSecretSet: false, lastEvent: null })).toMatch(/signing secret is missing/);
    cleanup();
    expect(await openWith({ ...connected, lastEvent: null })).toMatch(/No event from Stripe has arrived yet/);
    cleanup();
    expect(await openWith({ ...connected, lastEvent: { ...connected.lastEvent!, outcome: "failed" } })).toMatch(/last event from Stripe failed/);
  });

  it("turns automatic tax on through the ledger", async () => {
    proxy.on("PUT", /^\/v1\/integrations\/stripe$/, (req) => ({ body: { ...connected, automaticTax: (req.body as { automaticTax: boolean }).automaticTax } }));
    await openWith(connected);
    const box = screen.getByRole("checkbox", { name: /Let Stripe work out sales tax and VAT/ }) as HTMLInputElement;
    expect(box.checked).toBe(false);
    fireEvent.click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    const put = proxy.forwarded.find((f) => f.method === "PUT" && f.url.pathname === "/v1/integrations/stripe");
    expect(put?.body).toEqual({ automaticTax: true });
  });

  it("takes the Stripe keys pasted on the page, sends them once and never shows them again; a wrong key sends nothing", async () => {
    let stored: StripeConnection = { ...connected, secretKeySet: false, mode: null, secretKeyLast4: null, webhookSecretSet: false, lastEvent: null };
    proxy.on("PUT", /^\/v1\/integrations\/stripe$/, (req) => {
      const body = req.body as { secretKey?: string; webhookSecret?: string };
      stored = {
        ...stored,
        ...(body.secretKey ? { secretKeySet: true, mode: "test" as const, secretKeyLast4: body.secretKey.slice(-4) } : {}),
        ...(body.webhookSecret ? { webhookSecretSet: true } : {}),
      };
      return { body: stored };
    });
    expect(await openWith(stored)).toMatch(/^Card payments are off/);
    const key = screen.getByLabelText(/^Secret key from Stripe's Dashboard/) as HTMLInputElement;
    const secret = screen.getByLabelText(/^Signing secret of the webhook endpoint/) as HTMLInputElement;
    expect(key.type).toBe("password");

    fireEvent.change(key, { target: { value: "pk_test_notasecretkey123" } });
    fireEvent.click(screen.getByRole("button", { name: "Save Stripe keys" }));
    expect(await screen.findByText(/use a Stripe secret key/)).toBeTruthy();
    expect(proxy.forwarded.some((f) => f.method === "PUT")).toBe(false);

    fireEvent.change(key, { target: { value: "sk_test_51AbCdEfGhIjKlMnWxYz" } });
    fireEvent.change(secret, { target: { value: "whsec_0123456789abcdefABCDEF" } });
    fireEvent.click(screen.getByRole("button", { name: "Save Stripe keys" }));
    await waitFor(() => expect(screen.getByTestId("card-payments-status").textContent).toMatch(/No event from Stripe has arrived yet/));
    const puts = proxy.forwarded.filter((f) => f.method === "PUT" && f.url.pathname === "/v1/integrations/stripe");
    expect(puts.map((f) => f.body)).toEqual([{ secretKey: "sk_test_51AbCdEfGhIjKlMnWxYz", webhookSecret: "whsec_0123456789abcdefABCDEF" }]);
    expect(screen.getByText("test mode, ends …WxYz")).toBeTruthy();
    const keyAfter = screen.getByLabelText(/^New secret key/) as HTMLInputElement;
    expect(keyAfter.value).toBe("");
    expect(document.body.textContent).not.toContain("sk_test_51AbCdEfGhIjKlMnWxYz");
  });
});
