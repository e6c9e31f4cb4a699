/**
 * Stripe's minor units (https://docs.stripe.com/currencies): zero-decimal currencies count whole
 * units, three-decimal ones thousandths, ISK hundredths for backwards compatibility, the rest hundredths.
 */
import { describe, expect, it } from "vitest";
import { formatMoney, minorUnitDigits } from "../../src/ledger/domain/currency.js";

describe("minorUnitDigits", () => {
  it("knows Stripe's zero-decimal currencies", () => {
    for (const code of ["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"])
      expect([code, minorUnitDigits(code)]).toEqual([code, 0]);
  });
  it("knows Stripe's three-decimal currencies", () => {
    for (const code of ["bhd", "jod", "kwd", "omr", "tnd"]) expect([code, minorUnitDigits(code)]).toEqual([code, 3]);
  });
  it("gives every other currency two decimals, ISK included, whatever the case of the code", () => {
    for (const code of ["usd", "eur", "gbp", "isk", "huf", "twd", "USD", "Jpy"]) expect(minorUnitDigits(code)).toBe(code.toLowerCase() === "jpy" ? 0 : 2);
  });
});

describe("formatMoney", () => {
  const plain = (text: string) => text.replace(/\u00a0/g, " ");
  it("writes an amount in Stripe's minor unit as people read it", () => {
    expect(formatMoney(5_000, "jpy")).toBe("¥5,000");
    expect(formatMoney(5_000, "krw")).toBe("₩5,000");
    expect(formatMoney(25_000, "usd")).toBe("$250.00");
    expect(formatMoney(1_234_567, "eur")).toBe("€12,345.67");
    expect(formatMoney(5, "usd")).toBe("$0.05");
    expect(plain(formatMoney(5_120, "kwd"))).toBe("KWD 5.120");
    expect(plain(formatMoney(25, "bhd"))).toBe("BHD 0.025");
    expect(plain(formatMoney(500, "isk"))).toBe("ISK 5");
  });
  it("never drops digits the amount has", () => {
    expect(plain(formatMoney(550, "isk"))).toBe("ISK 5.5");
  });
  it("writes negative amounts", () => {
    expect(formatMoney(-5_000, "usd")).toBe("-$50.00");
    expect(plain(formatMoney(-5_000, "jpy"))).toBe("-¥5,000");
  });
});
