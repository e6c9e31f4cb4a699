import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Forwarded } from "./harness.js";
import { config, renderApp, proxyForThisFile } from "./harness.js";

const proxy = proxyForThisFile();

const pack = { id: "pack-500", label: "500 credits", credits: 500, price: 25_000, currency: "usd", prices: [{ currency: "eur", price: 22_000 }] };

describe("a credit pack's prices in other currencies on the settings page", () => {
  it("shows them with what customers pay, and saves what is typed as prices per currency", async () => {
    const saved: unknown[] = [];
    proxy.on("GET", /^\/v1\/config$/, { body: { ...config, config: { ...config.config, packs: [pack] } } });
    proxy.on("PUT", /^\/v1\/config$/, (req: Forwarded) => {
      saved.push(req.body);
      return { body: { ...config, config: req.body, version: 4 } };
    });
    const app = await renderApp({ type: "admin_settings", settings: {} }, { hash: "#/admin" });
    act(() => app.changeAdminSettings({ ledger_url: "https://credits.example.com", ledger_api_key: "typed-key" }));
    const field = (await screen.findByLabelText("Prices in other currencies", {}, { timeout: 5000 })) as HTMLInputElement;
    expect(field.value).toBe("eur 22000");
    expect(screen.getByText("Customers who choose them pay €220.00")).toBeTruthy();
    fireEvent.change(field, { target: { value: "eur 22000, jpy 35000" } });
    expect(screen.getByText("Customers who choose them pay €220.00 · ¥35,000")).toBeTruthy();
    fireEvent.change(field, { target: { value: "eur 22000, yen" } });
    await waitFor(() =>
      expect(app.parent._setAdminSettingInvalid).toHaveBeenLastCalledWith(
        expect.stringMatching(/^Credit pack 1: Write each price as a currency code/),
        undefined,
      ),
    );
    fireEvent.change(field, { target: { value: "EUR 22000; jpy 35000" } });
    fireEvent.click(screen.getByRole("button", { name: "Save configuration" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect((saved[0] as { packs: unknown[] }).packs[0]).toEqual({
      ...pack,
      prices: [
        { currency: "eur", price: 22_000 },
        { currency: "jpy", price: 35_000 },
      ],
    });
  });
});
