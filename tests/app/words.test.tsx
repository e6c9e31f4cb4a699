/** One name per thing in the sidebars: entries and grants take their words from src/contract/words.ts. */
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";
import { Grants } from "../../src/app/bank/Grants.js";
import { describeEntry } from "../../src/app/components/entries.js";
import { ThemeProvider } from "../../src/app/deskpro/ui.js";
import { appLightTheme } from "../../src/app/theme.js";
import { entry, grant } from "./harness.js";

afterEach(() => cleanup());

describe("the sidebar's words", () => {
  it("says 'Response tier' and 'Time worked' for charges, as the customer page does", () => {
    expect(describeEntry(entry({ kind: "priority", tier: "1-hour", minutes: null }))).toBe("Response tier · 1-hour");
    expect(describeEntry(entry({ kind: "time", minutes: 27 }))).toBe("Time worked · 27 min");
    expect(describeEntry(entry({ kind: "void", minutes: null }))).toBe("Credits taken back");
  });

  it("says 'Rolled over', and 'paid' only where the source doesn't already say so", () => {
    render(
      <ThemeProvider theme={appLightTheme}>
        <Grants grants={[grant({ source: "rollover" }), grant({ source: "purchase", paid: true }), grant({ source: "manual", paid: true })]} />
      </ThemeProvider>,
    );
    expect(screen.getByText("Rolled over")).toBeTruthy();
    expect(screen.getByText("Bought")).toBeTruthy();
    expect(screen.getByText("Added by an agent · paid")).toBeTruthy();
  });
});
