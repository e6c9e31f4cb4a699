/**
 * The forms Deskpro writes things in, read as docs/deskpro-fidelity.md records them: ticket
 * statuses with sub-statuses, web hook bodies, the tier options' titles, and the payer rule the
 * ledger and the app share.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { choosePayer } from "../../src/ledger/domain/payer.js";
import { chargeablePrice, priceInLabel, sameLabel, tierOptionLabel } from "../../src/ledger/domain/tier-labels.js";
import { isCancelled, isOpenStatus, parseStatus } from "../../src/ledger/integrations/deskpro/statuses.js";
import { DeskproTicketStatus } from "../../src/ledger/integrations/deskpro/schemas.js";
import { readHookBody } from "../../src/ledger/integrations/deskpro/webhook-body.js";
import { TICKET_STATUSES } from "./fake-deskpro.js";

describe("ticket statuses", () => {
  const records = TICKET_STATUSES.map((s) => DeskproTicketStatus.parse(s));
  const cancelled = (status: string, hidden_status?: string) => isCancelled({ status, hidden_status }, async () => records);

  it("splits a status into its type and sub-status", () => {
    expect(parseStatus("awaiting_user.7")).toEqual({ type: "awaiting_user", suffix: "7" });
    expect(parseStatus("hidden.deleted")).toEqual({ type: "hidden", suffix: "deleted" });
    expect(parseStatus("resolved")).toEqual({ type: "resolved", suffix: null });
  });

  it("counts awaiting agent, awaiting user and pending as open, with any sub-status", () => {
    for (const open of ["awaiting_agent", "awaiting_user.7", "pending", "pending.12"]) expect(isOpenStatus(open), open).toBe(true);
    for (const closed of ["resolved", "resolved.3", "archived", "hidden.deleted", "hidden"]) expect(isOpenStatus(closed), closed).toBe(false);
  });

  it("cancels deleted and spam tickets in each documented form, and nothing else", async () => {
    expect(await cancelled("hidden.deleted")).toBe(true);
    expect(await cancelled("hidden.spam")).toBe(true);
    expect(await cancelled("hidden.2")).toBe(true); // the Deleted record
    expect(await cancelled("hidden.1")).toBe(true); // the Spam record
    expect(await cancelled("hidden", "deleted")).toBe(true);
    expect(await cancelled("hidden.3")).toBe(false); // awaiting validation
    expect(await cancelled("hidden.validating")).toBe(false);
    expect(await cancelled("resolved")).toBe(false);
    expect(await cancelled("awaiting_user.7")).toBe(false);
  });

  it("reads the statuses only for a hidden status that names a record", async () => {
    let reads = 0;
    const load = async () => {
      reads++;
      return records;
    };
    await isCancelled({ status: "hidden.deleted" }, load);
    await isCancelled({ status: "awaiting_agent.4" }, load);
    expect(reads).toBe(0);
    await isCancelled({ status: "hidden.1" }, load);
    expect(reads).toBe(1);
  });

  it("takes the older list of plain status codes", async () => {
    const old = ["awaiting_agent", "hidden.deleted"].map((s) => DeskproTicketStatus.parse(s));
    expect(old[1]).toMatchObject({ id: null, status_type: "hidden", status_code: "hidden.deleted" });
    expect(await isCancelled({ status: "hidden.9" }, async () => old)).toBe(false);
  });
});

describe("web hook bodies", () => {
  it("reads ticket[id] from Deskpro's form fields, with nested fields and custom_data beside it", async () => {
    const body = "ticket%5Bid%5D=42&ticket%5Bperson%5D%5Bid%5D=7&ticket%5Bparticipants%5D%5B0%5D%5Bperson%5D%5Bid%5D=8&custom_data=";
    expect(await readHookBody("application/x-www-form-urlencoded; charset=UTF-8", body)).toEqual({ kind: "ticket", id: "42" });
    expect(await readHookBody("application/x-www-form-urlencoded", "custom_data=hello")).toEqual({ kind: "no_ticket" });
  });

  it("reads multipart and JSON bodies, and says what it can't read", async () => {
    const form = new FormData();
    form.set("ticket[id]", "43");
    const multipart = new Response(form);
    expect(await readHookBody(multipart.headers.get("content-type")!, await multipart.text())).toEqual({ kind: "ticket", id: "43" });
    expect(await readHookBody("multipart/form-data; boundary=x", "garbage")).toEqual({ kind: "unreadable", why: "bad_multipart" });
    expect(await readHookBody("application/json", '{"ticket":{"id":44}}')).toEqual({ kind: "ticket", id: "44" });
    expect(await readHookBody("application/json", "{")).toEqual({ kind: "unreadable", why: "bad_json" });
    expect(await readHookBody("application/json", "[]")).toEqual({ kind: "unreadable", why: "not_an_object" });
    expect(await readHookBody("text/xml", "<a/>")).toEqual({ kind: "unreadable", why: "unsupported_type" });
    expect(await readHookBody("", "")).toEqual({ kind: "none" });
  });
});

describe("tier option titles", () => {
  it("writes the label customers see, with the price", () => {
    expect(tierOptionLabel({ label: "1-hour response", price: 250 })).toBe("1-hour response — 250 credits");
    expect(tierOptionLabel({ label: "Big", price: 1250 })).toBe("Big — 1,250 credits");
    expect(tierOptionLabel({ label: "Standard response", price: 0 })).toBe("Standard response (free)");
  });

  it("reads back the price every label it writes shows", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 -]{1,30}$/), fc.integer({ min: 0, max: 1_000_000_000 }), (label, price) => {
        expect(priceInLabel(tierOptionLabel({ label, price }))).toBe(price);
      }),
    );
  });

  it("reads prices as people write them, and knows when none is shown", () => {
    expect(priceInLabel("1-hour response - 250 credits")).toBe(250);
    expect(priceInLabel("1-hour response (250 Credits)")).toBe(250);
    expect(priceInLabel("Tier 2 250 credits")).toBe(250);
    expect(priceInLabel("Standard (free)")).toBe(0);
    expect(priceInLabel("1-hour response")).toBeNull();
  });

  it("compares titles ignoring case, spacing and the kind of dash", () => {
    expect(sameLabel("1-hour response — 250 credits", "1-hour  Response - 250 credits")).toBe(true);
    expect(sameLabel("1-hour response — 250 credits", "1-hour response — 300 credits")).toBe(false);
  });

  it("never charges more than the title showed", () => {
    expect(chargeablePrice(300, 250)).toBe(250);
    expect(chargeablePrice(200, 250)).toBe(200);
    expect(chargeablePrice(300, null)).toBe(300);
  });
});

describe("who pays for a ticket", () => {
  const facts = { ticketOrg: null, personOrg: null, personHasOwnPlan: false, personBalance: 0 };
  it("is the person's own bank when it has a plan set on it or credits", () => {
    expect(choosePayer("7", { ...facts, ticketOrg: "42", personHasOwnPlan: true })).toEqual({
      owner: "person:7",
      reason: "person_has_plan",
      organisationFrom: null,
    });
    expect(choosePayer("7", { ...facts, ticketOrg: "42", personBalance: 5 })).toEqual({
      owner: "person:7",
      reason: "person_has_credits",
      organisationFrom: null,
    });
  });

  it("is the ticket's organisation, else the person's primary one, else the person after all", () => {
    expect(choosePayer("7", { ...facts, ticketOrg: "42", personOrg: "43" })).toEqual({ owner: "org:42", reason: "organisation", organisationFrom: "ticket" });
    expect(choosePayer("7", { ...facts, personOrg: "43" })).toEqual({ owner: "org:43", reason: "organisation", organisationFrom: "person" });
    expect(choosePayer("7", facts)).toEqual({ owner: "person:7", reason: "person_no_org", organisationFrom: null });
  });
});
