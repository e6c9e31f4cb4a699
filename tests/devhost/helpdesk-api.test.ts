/**
 * The development host plays Deskpro as docs/deskpro-fidelity.md records it: its REST stand-in
 * driven by the ledger's real Deskpro client, the triggers' web hook body read by the ledger's
 * reader, and the contexts the app is given.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor } from "../../src/devhost/contexts.js";
import { editChoiceField, helpdeskApi } from "../../src/devhost/helpdesk-api.js";
import { openHostStore, type HostStore } from "../../src/devhost/store.js";
import { webHookBody } from "../../src/devhost/web-hook.js";
import { createDeskproClient } from "../../src/ledger/integrations/deskpro/client.js";
import { chosenOptionTitle } from "../../src/ledger/integrations/deskpro/schemas.js";
import { isCancelled } from "../../src/ledger/integrations/deskpro/statuses.js";
import { readHookBody } from "../../src/ledger/integrations/deskpro/webhook-body.js";

describe("the development host's Deskpro", () => {
  let dir: string;
  let store: HostStore;
  let call: (path: string, init?: RequestInit) => Promise<Response>;
  let client: ReturnType<typeof createDeskproClient>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "devhost-api-"));
    store = openHostStore(join(dir, "devhost.json"));
    const api = helpdeskApi(store);
    const inProcess = (input: RequestInfo | URL, init?: RequestInit) => Promise.resolve(api.fetch(new Request(input, init)));
    call = (path, init) =>
      inProcess(`https://helpdesk.test${path}`, { ...init, headers: { authorization: `key ${store.state.helpdeskApiKey}`, ...init?.headers } });
    client = createDeskproClient({ baseUrl: "https://helpdesk.test", apiKey: store.state.helpdeskApiKey, fetch: inProcess as typeof fetch, retries: 0 });
  });
  afterAll(() => {
    store.flush(); // the pending write, before its folder goes
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps each ticket's Billing & Time Log as Deskpro's API does: 201 on POST, 204 on PUT, 200 on DELETE, gone for good", async () => {
    const json = { "content-type": "application/json" };
    const posted = await call("/api/v2/tickets/1042/charges", { method: "POST", body: JSON.stringify({ amount: 6.5, charge_time: 100 }), headers: json });
    expect(posted.status).toBe(201);
    const charge = (
      (await posted.json()) as { data: { id: number; ticket: number; person: number; organization: number; agent: number; date_created: string } }
    ).data;
    expect(posted.headers.get("location")).toBe(`/api/v2/tickets/1042/charges/${charge.id}`);
    expect(charge).toMatchObject({ ticket: 1042, person: 77, organization: 42, agent: 5, amount: 6.5, charge_time: 100 });
    expect(charge.date_created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/);
    expect((await call("/api/v2/tickets/1042/charges", { method: "POST", body: JSON.stringify({ comment: "nothing" }), headers: json })).status).toBe(400);

    const put = await call(`/api/v2/tickets/1042/charges/${charge.id}`, { method: "PUT", body: JSON.stringify({ charge_time: 1500 }), headers: json });
    expect(put.status).toBe(204);
    expect(await put.text()).toBe("");
    // The ledger's client reads them as it reads Deskpro's.
    const [listed] = (await client.listTicketCharges(1042)).filter((c) => c.id === charge.id);
    expect(listed).toMatchObject({ charge_time: 1500, amount: 6.5 });
    const mine = await client.createTicketCharge(1042, { chargeTime: 600, comment: "Ref SC-TEST" });
    expect(mine).toMatchObject({ charge_time: 600, comment: "Ref SC-TEST" });

    // A charge of another ticket is not found; a deleted one leaves no trace.
    expect((await call(`/api/v2/tickets/1043/charges/${charge.id}`, { method: "DELETE" })).status).toBe(404);
    expect((await call(`/api/v2/tickets/1042/charges/${charge.id}`, { method: "DELETE" })).status).toBe(200);
    await client.deleteTicketCharge(1042, mine.id);
    expect(await client.listTicketCharges(1042)).toEqual([]);
    expect((await call(`/api/v2/tickets/1042/charges/${charge.id}`)).status).toBe(404);
  });

  it("pages a ticket's charges with Deskpro's pagination, and the ledger's client reads every page", async () => {
    for (let i = 0; i < 105; i++) {
      await call("/api/v2/tickets/1043/charges", {
        method: "POST",
        body: JSON.stringify({ charge_time: 60 + i }),
        headers: { "content-type": "application/json" },
      });
    }
    const page = (await (await call("/api/v2/tickets/1043/charges?order_by=id&order_dir=asc&count=100&page=2")).json()) as {
      data: unknown[];
      meta: { pagination: { total: number; total_pages: number } };
    };
    expect(page.data).toHaveLength(5);
    expect(page.meta.pagination).toMatchObject({ total: 105, total_pages: 2 });
    const all = await client.listTicketCharges(1043);
    expect(all.map((c) => c.charge_time)).toEqual(Array.from({ length: 105 }, (_, i) => 60 + i));
    for (const c of all) await client.deleteTicketCharge(1043, c.id);
  });

  it("gives the sidebar the ticket's billing charges as the SDK's ticket context types them, every value a string", async () => {
    const charge = await client.createTicketCharge(1042, { chargeTime: 1500, comment: "Called" });
    const context = contextFor({ type: "ticket", id: 1042 }, store.state.helpdesk, {}, "https://host.test");
    const ticket = context!.data!.ticket as { billingCharges: unknown[] };
    expect(ticket.billingCharges).toEqual([
      { id: String(charge.id), amount: "", chargeTime: "1500", dateCreated: charge.date_created, fields: { comment: "Called" } },
    ]);
    await client.deleteTicketCharge(1042, charge.id);
  });

  it("answers PUT with 204 and no body, and with the ticket only when asked to follow the location", async () => {
    const put = await call("/api/v2/tickets/1042", { method: "PUT", body: JSON.stringify({ priority: 3 }), headers: { "content-type": "application/json" } });
    expect(put.status).toBe(204);
    expect(await put.text()).toBe("");
    const followed = await call("/api/v2/tickets/1042?follow_location=1", {
      method: "PUT",
      body: JSON.stringify({ priority: 4 }),
      headers: { "content-type": "application/json" },
    });
    expect(followed.status).toBe(200);
    expect(((await followed.json()) as { data: { priority: number } }).data.priority).toBe(4);
    // The ledger's client takes the 204 as the success it is.
    await client.setTicketPriority(1042, 2);
    expect((await client.getTicket(1042)).priority).toBe(2);
  });

  it("creates with 201, a Location header and the entity", async () => {
    const posted = await call("/api/v2/tickets/1043/messages", {
      method: "POST",
      body: JSON.stringify({ message: "<p>note</p>", format: "html", is_note: true }),
      headers: { "content-type": "application/json" },
    });
    expect(posted.status).toBe(201);
    const message = ((await posted.json()) as { data: { id: number; is_agent_note: number } }).data;
    expect(posted.headers.get("location")).toBe(`/api/v2/tickets/1043/messages/${message.id}`);
    expect(message.is_agent_note).toBe(1);
    const ticket = await client.createTicket({ personId: 79, subject: "Your credits", html: "<p>Hello</p>", status: "awaiting_user" });
    expect(ticket).toMatchObject({ person: 79, status: "awaiting_user", subject: "Your credits" });
    expect((await client.listTicketMessages(ticket.id)).map((m) => m.message)).toEqual(["<p>Hello</p>"]);
  });

  it("lists SLA links on tickets and their SLAs apart, and the status records with hidden Spam and Deleted", async () => {
    const ticket = await client.getTicket(1042);
    expect(ticket.ticket_slas).toEqual([301]);
    expect((await client.listTicketSlas(1042)).map((link) => ({ id: link.id, sla: link.sla }))).toEqual([{ id: 301, sla: 1 }]);
    const statuses = await client.listTicketStatuses();
    expect(statuses.filter((s) => s.status_type === "hidden").map((s) => s.sys_id)).toEqual(["spam", "deleted", "validating"]);
  });

  it("soft-deletes: the ticket reads back as hidden.deleted, which the ledger takes as cancelled", async () => {
    const before = await client.getTicket(1043);
    expect(await isCancelled(before, () => client.listTicketStatuses())).toBe(false);
    expect((await call("/api/v2/tickets/1043", { method: "DELETE" })).status).toBe(200);
    const after = await client.getTicket(1043);
    expect(after.status).toBe("hidden.deleted");
    expect(await isCancelled(after, () => client.listTicketStatuses())).toBe(true);
  });

  it("gives a choice field's chosen options with their current titles, and the field's choices", async () => {
    store.state.helpdesk.tickets[0]!.fields = { "7": { aliases: [], value: [72] } };
    expect(chosenOptionTitle(await client.getTicket(1042), 7, 72)).toBe("1-hour response — 250 credits");
    expect((await client.getTicketCustomField(7)).choices.map((c) => c.id)).toEqual([70, 71, 72]);
  });

  it("lets its admin rename the tier field, add an option and remove one, as Deskpro's field editor does, and the ledger reads the result", async () => {
    const desk = store.state.helpdesk;
    const field = desk.customFields.find((f) => f.id === 7)!;
    const before = structuredClone(field);
    // Bad edits say why and change nothing.
    expect(editChoiceField(desk, field, { remove: [999] })).toEqual({ ok: false, message: "Response time has no option 999" });
    expect(editChoiceField(desk, field, { remove: [70, 71, 72] })).toMatchObject({ ok: false });
    expect(editChoiceField(desk, field, { add: [""] })).toMatchObject({ ok: false });
    expect(field).toEqual(before);

    expect(editChoiceField(desk, field, { title: "Response speed", add: ["2-hour response — 200 credits"], remove: [71], titles: { "72": "1-hour" } })).toEqual(
      {
        ok: true,
      },
    );
    const read = await client.getTicketCustomField(7);
    expect(read.title).toBe("Response speed");
    const added = read.choices.find((c) => c.title === "2-hour response — 200 credits")!;
    // Kept options keep their ids; the new one has an id no other option in the helpdesk has.
    expect(read.choices.map((c) => [c.id, c.title])).toEqual([
      [70, "Standard response (free)"],
      [72, "1-hour"],
      [added.id, "2-hour response — 200 credits"],
    ]);
    const everyOtherId = [...desk.personFields, ...desk.organizationFields, ...desk.customFields.filter((f) => f !== field)].flatMap((f) =>
      f.choices.map((c) => c.id),
    );
    expect([70, 71, 72, ...everyOtherId]).not.toContain(added.id);
    // Removed, then added again in a later edit, an option gets an id never given before.
    expect(editChoiceField(desk, field, { remove: [added.id] })).toEqual({ ok: true });
    expect(editChoiceField(desk, field, { add: ["2-hour response — 200 credits"] })).toEqual({ ok: true });
    const again = (await client.getTicketCustomField(7)).choices.at(-1)!;
    expect(again.title).toBe("2-hour response — 200 credits");
    expect(again.id).toBeGreaterThan(added.id);
    const listed = (await (await call("/api/v2/ticket_custom_fields")).json()) as { data: Array<{ id: number; title: string }> };
    expect(listed.data.find((f) => f.id === 7)?.title).toBe("Response speed");
    Object.assign(field, before);
  });

  it("posts the trigger's web hook as Deskpro's form fields, which the ledger reads", async () => {
    const ticket = store.state.helpdesk.tickets[0]!;
    const body = webHookBody(store.state.helpdesk, ticket);
    const form = new URLSearchParams(body);
    expect(form.get("ticket[id]")).toBe("1042");
    expect(form.get("ticket[person][first_name]")).toBe("Ada");
    expect(form.get("ticket[organization][id]")).toBe("42");
    expect(form.get("ticket[fields][7][value][0]")).toBe("72");
    expect(form.get("custom_data")).toBe("");
    expect(await readHookBody("application/x-www-form-urlencoded", body)).toEqual({ kind: "ticket", id: "1042" });
  });

  it("gives the app the ticket's own organisation and the person's primary one, as the SDK's context does", () => {
    const desk = store.state.helpdesk;
    desk.tickets[0]!.organization = 43; // moved to another organisation by an agent
    const context = contextFor({ type: "ticket", id: 1042 }, desk, {}, "http://host.test");
    const ticket = (context?.data as { ticket: { organization: unknown; primaryUser: { primaryOrgMember: { organization: unknown } } } }).ticket;
    expect(ticket.organization).toEqual({ id: "43", name: "Difference & Co", customFields: {} });
    expect(ticket.primaryUser.primaryOrgMember.organization).toEqual({ id: "42", name: "Analytical Engines Ltd" });
  });
});
