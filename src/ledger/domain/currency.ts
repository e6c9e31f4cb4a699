/**
 * Money amounts as Stripe counts them: integers in the currency's minor unit, where the minor unit
 * is Stripe's, not always ISO 4217's. Stripe's "Supported currencies" page
 * (https://docs.stripe.com/currencies) lists the zero-decimal currencies (an amount of 500 JPY is
 * 500), the three-decimal ones (5.120 KWD is 5120, last digit 0) and special cases: ISK is charged
 * with two decimals for backwards compatibility (5 ISK is 500) although ISO gives it none. Every
 * other currency has two.
 */

/** Stripe's zero-decimal currencies. */
const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);
/** Stripe's three-decimal currencies. */
const THREE_DECIMAL = new Set(["bhd", "jod", "kwd", "omr", "tnd"]);

/** How many decimal places Stripe's amounts in `currency` carry: 0, 2 or 3. */
export function minorUnitDigits(currency: string): 0 | 2 | 3 {
  const code = currency.toLowerCase();
  if (ZERO_DECIMAL.has(code)) return 0;
  if (THREE_DECIMAL.has(code)) return 3;
  return 2;
}

/**
 * An amount in Stripe's minor unit, written for people: `formatMoney(5000, "jpy")` is "¥5,000",
 * `formatMoney(25000, "usd")` "$250.00", `formatMoney(5120, "kwd")` "KWD 5.120". Decimal digits are
 * never dropped: an amount with more digits than the currency usually shows keeps them.
 */
export function formatMoney(amount: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  const code = currency.toUpperCase();
  // Exact for any amount a price can be (integers well below 2^53): a power of ten divides exactly in decimal text.
  const negative = amount < 0;
  const whole = Math.abs(Math.trunc(amount));
  const text = String(whole).padStart(digits + 1, "0");
  const major = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  const value = Number(`${negative ? "-" : ""}${major}`);
  const fraction = digits === 0 ? "" : text.slice(-digits).replace(/0+$/, "");
  try {
    const display = new Intl.NumberFormat("en", { style: "currency", currency: code });
    const usual = display.resolvedOptions().maximumFractionDigits ?? digits;
    // ISK: Stripe's two decimals, usually shown without; keep them only when they aren't zero.
    const shown = Math.max(usual, fraction.length);
    return new Intl.NumberFormat("en", {
      style: "currency",
      currency: code,
      minimumFractionDigits: Math.min(usual, shown),
      maximumFractionDigits: shown,
    }).format(value);
  } catch {
    // A code Intl doesn't know: the number and the code.
    return `${negative ? "-" : ""}${major} ${code}`;
  }
}
