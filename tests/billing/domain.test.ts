import { describe, expect, it } from "vitest";
import {
  billingMode,
  centsFrom,
  creditsForCents,
  durationText,
  minutesFromSeconds,
  parseDeskproDate,
  secondsFrom,
  refusalText,
  timeLogComment,
  UNREADABLE,
  wantedParts,
} from "../../src/ledger/domain/deskpro-billing.js";

const linkedFrom = new Date("2026-01-01T10:00:00Z");

describe("the rules of the Billing & Time Log link", () => {
  it("reads dates as Deskpro writes them, the offset without a colon, and refuses what isn't a date", () => {
    expect(parseDeskproDate("2018-01-11T00:00:00+0000")?.toISOString()).toBe("2018-01-11T00:00:00.000Z");
    expect(parseDeskproDate("2018-01-11T02:30:00+0230")?.toISOString()).toBe("2018-01-11T00:00:00.000Z");
    expect(parseDeskproDate("2018-01-11T00:00:00-05:00")?.toISOString()).toBe("2018-01-11T05:00:00.000Z");
    expect(parseDeskproDate("2018-01-11T00:00:00Z")?.toISOString()).toBe("2018-01-11T00:00:00.000Z");
    for (const bad of ["", "yesterday", "2018-13-45T00:00:00+0000", null, 1515628800]) expect(parseDeskproDate(bad)).toBeNull();
  });

  it("reads Deskpro's seconds and decimal amounts, numbers or numeric strings, and tells nothing from what it can't read", () => {
    expect(secondsFrom(100)).toBe(100);
    expect(secondsFrom("100")).toBe(100);
    expect(secondsFrom(2 ** 53 - 1)).toBe(2 ** 53 - 1);
    // Nothing there: no time part.
    expect([secondsFrom(null), secondsFrom(undefined), secondsFrom(""), secondsFrom(0), secondsFrom("0")]).toEqual([0, 0, 0, 0, 0]);
    // Something the ledger can't take as whole seconds: refused, never read as "no time".
    for (const odd of [-5, "1.5", "x", 1.5, 2 ** 53, 1e300, "9".repeat(30), true, { seconds: 5 }, [5]]) expect(secondsFrom(odd)).toBe(UNREADABLE);
    expect(centsFrom(6.5)).toBe(650);
    expect(centsFrom("6.50")).toBe(650);
    expect(centsFrom(0.1 + 0.2)).toBe(30);
    expect([centsFrom(null), centsFrom(""), centsFrom("-3"), centsFrom(-3), centsFrom(0)]).toEqual([0, 0, 0, 0, 0]);
    for (const odd of ["six", 1e300, "1e5", false, {}]) expect(centsFrom(odd)).toBe(UNREADABLE);
  });

  it("refuses a part it can't take, with why: unreadable, more minutes than one entry takes, more credits than one entry moves", () => {
    const after = new Date(linkedFrom.getTime() + 1000);
    const rules = { linkedFrom, creditsPerCurrencyUnit: 1_000_000 };
    expect(wantedParts({ id: 1, seconds: UNREADABLE, cents: UNREADABLE, dateCreated: after }, rules)).toEqual([
      { part: "time", units: 0, outcome: "refused", refusal: "out_of_range" },
      { part: "money", units: 0, outcome: "refused", refusal: "out_of_range" },
    ]);
    // 100,000 minutes is the most one entry takes; a second more is refused.
    expect(wantedParts({ id: 1, seconds: 6_000_000, cents: 0, dateCreated: after }, rules)).toEqual([{ part: "time", units: 6_000_000, outcome: "count" }]);
    expect(wantedParts({ id: 1, seconds: 6_000_001, cents: 0, dateCreated: after }, rules)).toEqual([
      { part: "time", units: 6_000_001, outcome: "refused", refusal: "over_write_limit" },
    ]);
    // 1,000.00 at a million credits per 1.00 is a billion credits, the most one entry moves.
    expect(wantedParts({ id: 1, seconds: 0, cents: 100_000, dateCreated: after }, rules)).toEqual([{ part: "money", units: 100_000, outcome: "count" }]);
    expect(wantedParts({ id: 1, seconds: 0, cents: 100_001, dateCreated: after }, rules)).toEqual([
      { part: "money", units: 100_001, outcome: "refused", refusal: "over_credit_limit" },
    ]);
    // Made before the link started, it counts for nothing anyway.
    expect(wantedParts({ id: 1, seconds: UNREADABLE, cents: 0, dateCreated: new Date(linkedFrom.getTime() - 1000) }, rules)).toEqual([
      { part: "time", units: 0, outcome: "before_link" },
    ]);
    expect(refusalText("over_write_limit", "time", 1e9, null)).toBe(
      "16,666,667 minutes in one charge; one entry takes at most 100,000 minutes. Split it in Deskpro.",
    );
    expect(refusalText("over_credit_limit", "money", 200_000, 1_000_000)).toBe(
      "2000.00 at 1,000,000 credits per 1.00 is 2,000,000,000 credits; one entry moves at most 1,000,000,000.",
    );
  });

  it("rounds a charge's seconds up to minutes, and money up to whole credits", () => {
    expect([minutesFromSeconds(1), minutesFromSeconds(60), minutesFromSeconds(61), minutesFromSeconds(1520)]).toEqual([1, 1, 2, 26]);
    expect(creditsForCents(650, 10)).toBe(65);
    expect(creditsForCents(1, 1)).toBe(1);
    expect(creditsForCents(250, 3)).toBe(8);
  });

  it("counts time, leaves money alone without a rate, and counts nothing made before the link", () => {
    const after = new Date(linkedFrom.getTime() + 1000);
    const before = new Date(linkedFrom.getTime() - 1000);
    const rules = { linkedFrom, creditsPerCurrencyUnit: null };
    expect(wantedParts({ id: 1, seconds: 600, cents: 0, dateCreated: after }, rules)).toEqual([{ part: "time", units: 600, outcome: "count" }]);
    expect(wantedParts({ id: 1, seconds: 0, cents: 650, dateCreated: after }, rules)).toEqual([{ part: "money", units: 650, outcome: "money_not_counted" }]);
    expect(wantedParts({ id: 1, seconds: 600, cents: 650, dateCreated: after }, { linkedFrom, creditsPerCurrencyUnit: 10 })).toEqual([
      { part: "time", units: 600, outcome: "count" },
      { part: "money", units: 650, outcome: "count" },
    ]);
    expect(wantedParts({ id: 1, seconds: 600, cents: 650, dateCreated: before }, { linkedFrom, creditsPerCurrencyUnit: 10 })).toEqual([
      { part: "time", units: 600, outcome: "before_link" },
      { part: "money", units: 650, outcome: "before_link" },
    ]);
    expect(wantedParts({ id: 1, seconds: 0, cents: 0, dateCreated: after }, rules)).toEqual([]);
    // A charge whose date can't be read is taken as made after the link started.
    expect(wantedParts({ id: 1, seconds: 60, cents: 0, dateCreated: null }, rules)).toEqual([{ part: "time", units: 60, outcome: "count" }]);
  });

  it("counts a charge made in the same second as the link started: Deskpro dates to the second, the link's start has milliseconds", () => {
    const startedMidSecond = new Date("2026-01-01T10:00:00.730Z");
    const rules = { linkedFrom: startedMidSecond, creditsPerCurrencyUnit: null };
    // Made at 10:00:00.900, Deskpro says 10:00:00.
    const sameSecond = parseDeskproDate("2026-01-01T10:00:00+0000");
    expect(wantedParts({ id: 1, seconds: 120, cents: 0, dateCreated: sameSecond }, rules)).toEqual([{ part: "time", units: 120, outcome: "count" }]);
    expect(wantedParts({ id: 1, seconds: 120, cents: 0, dateCreated: parseDeskproDate("2026-01-01T09:59:59+0000") }, rules)).toEqual([
      { part: "time", units: 120, outcome: "before_link" },
    ]);
  });

  it("says durations, modes and the comment it writes, the marker always kept within Deskpro's 255 characters", () => {
    expect([durationText(1520), durationText(3930), durationText(45), durationText(0)]).toEqual(["25 min 20 s", "1 h 5 min 30 s", "45 s", "0 s"]);
    expect(billingMode({ fromDeskpro: true, toDeskpro: true })).toBe("both_ways");
    expect(billingMode({ fromDeskpro: false, toDeskpro: true })).toBe("to_deskpro");
    expect(billingMode({ fromDeskpro: true, toDeskpro: false })).toBe("from_deskpro");
    expect(billingMode({ fromDeskpro: false, toDeskpro: false })).toBe("off");
    expect(timeLogComment("10 min logged.", "SC-ABC")).toBe("10 min logged. Ref SC-ABC");
    const long = timeLogComment("x".repeat(400), "SC-ABCDEFGHIJKLMN");
    expect(long).toHaveLength(255);
    expect(long.endsWith("… Ref SC-ABCDEFGHIJKLMN")).toBe(true);
  });
});
