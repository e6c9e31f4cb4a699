import { describe, expect, it } from "vitest";
import {
  billingMode,
  centsFrom,
  creditsForCents,
  durationText,
  minutesFromSeconds,
  parseDeskproDate,
  secondsFrom,
  timeLogComment,
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

  it("reads Deskpro's seconds and decimal amounts, numbers or numeric strings, and nothing else", () => {
    expect(secondsFrom(100)).toBe(100);
    expect(secondsFrom("100")).toBe(100);
    expect([secondsFrom(null), secondsFrom(-5), secondsFrom("1.5"), secondsFrom("x"), secondsFrom(1.5)]).toEqual([0, 0, 0, 0, 0]);
    expect(centsFrom(6.5)).toBe(650);
    expect(centsFrom("6.50")).toBe(650);
    expect(centsFrom(0.1 + 0.2)).toBe(30);
    expect([centsFrom(null), centsFrom("-3"), centsFrom("six"), centsFrom(0)]).toEqual([0, 0, 0, 0]);
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
