/** The README's demo numbers are the demo's: its helpdesk, and what its time rate makes of 27 minutes. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { LedgerConfig } from "../../src/contract/index.js";
import { DEMO_CONFIG } from "../../src/devhost/demo.js";
import { demoHelpdesk } from "../../src/devhost/store.js";
import { creditsForMinutes } from "../../src/ledger/domain/pricing.js";

const readme = readFileSync(resolve(import.meta.dirname, "../../README.md"), "utf8").replace(/\s+/g, " ");
const words = ["zero", "one", "two", "three", "four", "five", "six"];

describe("the README's demo", () => {
  it("describes the helpdesk the development host starts with", () => {
    const desk = demoHelpdesk(new Date());
    const claim = /a demo helpdesk \((\w+) tickets, (\w+) customers, (\w+) organisations\)/.exec(readme);
    expect(claim).not.toBeNull();
    expect(claim!.slice(1).map((w) => words.indexOf(w))).toEqual([
      desk.tickets.length,
      desk.people.filter((p) => !p.is_agent).length,
      desk.organizations.length,
    ]);
  });

  it("quotes the preview the demo's time rate gives, and no balance that changes with the date", () => {
    const [, minutes, credits] = /\("(\d+) min → (\d+) credits · balance after …"/.exec(readme) ?? [];
    expect(creditsForMinutes(Number(minutes), LedgerConfig.parse(DEMO_CONFIG).time)).toBe(Number(credits));
  });
});
