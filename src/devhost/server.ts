/**
 * The development host's HTTP side: the host page and the built app, Deskpro's app proxy, the
 * REST stand-in, and the small JSON API the host page uses for state, settings and contexts.
 */
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";
import { z } from "zod";
import { contextFor, type View } from "./contexts.js";
import { addCharge, editChoiceField, helpdeskApi, ticketData } from "./helpdesk-api.js";
import { handleProxyRequest, ProxyTokens, type ManifestProxy, type PlaceholderOrder, type ProxyKind } from "./proxy.js";
import { DEMO_AGENT_ID, fullName, type HelpdeskTicket, type HostStore } from "./store.js";
import { webHookBody } from "./web-hook.js";

export interface HostServerOptions {
  store: HostStore;
  /** The manifest the app was built with: its whitelist and which settings are backend-only. */
  manifest: ManifestProxy;
  appDir: string;
  pageDir: string;
  /** The ledger; the helpdesk's triggers send their web hooks where its admin set them up (`state.triggers`). */
  ledger?: { url: string };
  /** When the app proxy fills in placeholders: before or after it checks the whitelist (Deskpro doesn't say). */
  proxyOrder?: PlaceholderOrder;
}

const NewPortalTicket = z.object({
  person: z.int().min(1),
  subject: z.string().trim().min(1).max(200),
  message: z.string().trim().min(1).max(5000),
  option: z.int().min(1),
});

const StateOp = z.object({
  store: z.enum(["app", "user"]),
  op: z.enum(["get", "set", "delete", "has"]),
  scope: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  value: z.string().max(1_000_000).optional(),
});
const AssociationOp = z.object({
  op: z.enum(["get", "set", "delete", "list", "count"]),
  entityId: z.string().max(200).optional(),
  name: z.string().min(1).max(200),
  key: z.string().max(200).optional(),
  value: z.string().max(1_000_000).optional(),
});
/** What an agent enters on a ticket's Billing tab: time (in seconds, from the timer or typed) or an amount, and a comment. */
const BillingTabCharge = z
  .object({
    seconds: z.int().min(1).max(10_000_000).nullable().default(null),
    amount: z.number().min(0.01).max(1_000_000).nullable().default(null),
    comment: z.string().trim().max(255).default(""),
  })
  .refine((charge) => (charge.seconds === null) !== (charge.amount === null), "give either a time or an amount");
const SettingsChange = z.record(z.string().regex(/^[a-z0-9_]+$/), z.string().max(10_000));
const ViewKey = z.string().regex(/^(ticket|user|organisation):[0-9]+$|^admin$/);

function parseView(key: string): View {
  if (key === "admin") return { type: "admin" };
  const [type, id] = key.split(":") as ["ticket" | "user" | "organisation", string];
  return { type, id: Number(id) };
}

export function hostServer(options: HostServerOptions): Hono {
  const { store, manifest } = options;
  const tokens = new ProxyTokens();
  const app = new Hono();
  const state = () => store.state;
  const backendOnly = new Set(
    Object.entries(manifest.settings)
      .filter(([, s]) => s.isBackendOnly)
      .map(([name]) => name),
  );
  const publicSettings = () => Object.fromEntries(Object.entries(state().settings).filter(([name]) => !backendOnly.has(name)));
  const settingsSummary = () => ({
    settings: publicSettings(),
    apiKeySaved: Boolean(state().settings.ledger_api_key || state().settings.ledger_api_key_pasted),
  });
  const bad = (message: string) => Response.json({ message }, { status: 400 });

  // Deskpro's app proxy (sidebars) and admin generic proxy (the settings page, unsaved values).
  const order = options.proxyOrder ?? "substitute-then-match";
  const proxy = (kind: ProxyKind) => (c: { req: { raw: Request } }) =>
    handleProxyRequest(c.req.raw, { kind, tokens, manifest, settings: state().settings, order });
  app.all("/deskpro/proxy/app", proxy("app"));
  app.all("/deskpro/proxy/admin", proxy("admin"));

  // Deskpro's REST API, for the ledger's write-backs (the host page polls the open ticket to show them):
  // at /api/v2 on the helpdesk's own address, as Deskpro serves it, and under /deskpro as before.
  app.route("/deskpro", helpdeskApi(store));
  app.route("/", helpdeskApi(store));

  app.get("/host/api/session", (c) => {
    const desk = state().helpdesk;
    const views = [
      ...desk.tickets.map((t) => ({ key: `ticket:${t.id}`, label: `Ticket #${t.id}`, type: "ticket", id: t.id })),
      ...desk.people.filter((p) => !p.is_agent).map((p) => ({ key: `user:${p.id}`, label: fullName(p), type: "user", id: p.id })),
      ...desk.organizations.map((o) => ({ key: `organisation:${o.id}`, label: o.name, type: "organisation", id: o.id })),
      { key: "admin", label: "Admin: app settings", type: "admin", id: null },
      { key: "helpdesk-admin", label: "Admin: API keys and triggers", type: "helpdesk-admin", id: null },
      ...(options.ledger ? [{ key: "portal", label: "Portal: new ticket", type: "portal", id: null }] : []),
    ];
    return c.json({ views, ...settingsSummary() });
  });

  app.get("/host/api/context", (c) => {
    const key = ViewKey.safeParse(c.req.query("view"));
    if (!key.success) return bad("view must be ticket:<id>, user:<id>, organisation:<id> or admin");
    const origin = new URL(c.req.url).origin;
    const context = contextFor(parseView(key.data), state().helpdesk, publicSettings(), origin);
    return context ? c.json(context) : c.json({ message: "no such record in the demo helpdesk" }, 404);
  });

  app.post("/host/api/proxy-auth", async (c) => {
    const body = z.object({ kind: z.enum(["app", "admin"]) }).safeParse(await c.req.json().catch(() => null));
    if (!body.success) return bad("kind must be app or admin");
    const origin = new URL(c.req.url).origin;
    return c.json({ proxyUrl: `${origin}/deskpro/proxy/${body.data.kind}`, token: tokens.mint(body.data.kind), appInstanceId: "dev-1" });
  });

  app.post("/host/api/state", async (c) => {
    const parsed = StateOp.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => i.message).join("; "));
    const { op, name, value } = parsed.data;
    const bucketKey = parsed.data.store === "user" ? `agent:${DEMO_AGENT_ID}|${parsed.data.scope}` : parsed.data.scope;
    const buckets = parsed.data.store === "user" ? state().userState : state().appState;
    const bucket = (buckets[bucketKey] ??= {});
    // A trailing * lists every name with that prefix, as Deskpro's state API does.
    const matches = (n: string) => (name.endsWith("*") ? n.startsWith(name.slice(0, -1)) : n === name);
    switch (op) {
      case "get":
        return c.json(
          Object.entries(bucket)
            .filter(([n]) => matches(n))
            .map(([n, data]) => ({ name: n, data })),
        );
      case "has":
        return c.json(Object.keys(bucket).some(matches));
      case "delete": {
        const names = Object.keys(bucket).filter(matches);
        names.forEach((n) => delete bucket[n]);
        store.changed();
        return c.json(names.length > 0);
      }
      case "set":
        if (value === undefined) return bad("set needs a value");
        bucket[name] = value;
        store.changed();
        return c.json({ isSuccess: true, errors: [] });
    }
  });

  app.post("/host/api/entity-association", async (c) => {
    const parsed = AssociationOp.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => i.message).join("; "));
    const { op, entityId, name, key, value } = parsed.data;
    const bucket = (state().entityAssociations[`${name}|${entityId ?? ""}`] ??= {});
    switch (op) {
      case "get":
        return c.json(key === undefined ? null : (bucket[key] ?? null));
      case "list":
        return c.json(Object.keys(bucket));
      case "count":
        return c.json(Object.keys(state().entityAssociations).filter((k) => k.startsWith(`${name}|`)).length);
      case "delete":
        if (key !== undefined) delete bucket[key];
        store.changed();
        return c.json(null);
      case "set":
        if (key === undefined) return bad("set needs a key");
        bucket[key] = value ?? "";
        store.changed();
        return c.json(null);
    }
  });

  app.put("/host/api/settings", async (c) => {
    const parsed = SettingsChange.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad("settings are name → string");
    const unknown = Object.keys(parsed.data).filter((name) => !(name in manifest.settings));
    if (unknown.length > 0) return bad(`unknown settings: ${unknown.join(", ")}`);
    Object.assign(state().settings, parsed.data);
    store.changed();
    return c.json(settingsSummary());
  });

  // The portal: a customer submits the new-ticket form with the response-time field, and the
  // helpdesk's triggers call the ledger's web hooks, as a Deskpro admin sets them up: POST, the
  // ticket as form fields, the secret and ticket id in custom headers.
  const trigger = async (event: "ticket-created" | "ticket-updated" | "sla-failed", ticket: HelpdeskTicket) => {
    const action = state().triggers[event];
    // No trigger set up for this event in the helpdesk: Deskpro calls nothing.
    if (!action) return { status: null, body: null };
    const response = await fetch(action.url, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-credits-webhook-secret": action.secret,
        "x-deskpro-ticket-id": String(ticket.id),
      },
      body: webHookBody(state().helpdesk, ticket),
    }).catch(() => null);
    if (!response) return { status: 0, body: null };
    return { status: response.status, body: (await response.json().catch(() => null)) as unknown };
  };
  // Admin → Apps & Integrations → API Keys, and the triggers' web hook actions, as the helpdesk's admin sets them.
  const TriggersChange = z.partialRecord(
    z.enum(["ticket-created", "ticket-updated", "sla-failed"]),
    z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().min(1).max(500) }),
  );
  app.get("/host/api/helpdesk-admin", (c) => c.json({ apiKey: state().helpdeskApiKey, triggers: state().triggers }));
  app.put("/host/api/helpdesk-admin/triggers", async (c) => {
    const parsed = TriggersChange.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    state().triggers = parsed.data;
    store.changed();
    return c.json({ triggers: state().triggers });
  });
  // The portal form shows the helpdesk's tier field: the newest choice ticket field (the demo's, or the one the app made).
  const tierField = () => state().helpdesk.customFields.at(-1) ?? null;

  app.get("/host/api/portal", (c) =>
    c.json({
      field: tierField(),
      people: state()
        .helpdesk.people.filter((p) => !p.is_agent)
        .map((p) => ({ id: p.id, name: fullName(p) })),
    }),
  );

  // Admin → Tickets → Fields: the helpdesk admin renames the portal field, retitles, adds or removes its options.
  app.put("/host/api/portal/field", async (c) => {
    const field = tierField();
    if (!field) return bad("no ticket field yet");
    const edited = editChoiceField(state().helpdesk, field, await c.req.json().catch(() => null));
    if (!edited.ok) return bad(edited.message);
    store.changed();
    return c.json({ field });
  });

  app.post("/host/api/portal/tickets", async (c) => {
    const parsed = NewPortalTicket.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    const desk = state().helpdesk;
    const person = desk.people.find((p) => p.id === parsed.data.person && !p.is_agent);
    if (!person) return bad("no such customer");
    const field = tierField();
    if (!field?.choices.some((o) => o.id === parsed.data.option)) return bad("no such option");
    const id = Math.max(0, ...desk.tickets.map((t) => t.id)) + 1;
    const now = new Date().toISOString();
    const ticket: HelpdeskTicket = {
      id,
      subject: parsed.data.subject,
      status: "awaiting_agent",
      person: person.id,
      organization: person.organization,
      priority: null,
      fields: { [String(field.id)]: { aliases: [], value: [parsed.data.option] } },
      ticket_slas: [],
      date_created: now,
    };
    desk.tickets.push(ticket);
    desk.messages.push({
      id: desk.nextMessageId++,
      ticket: id,
      person: person.id,
      message: `<p>${parsed.data.message.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)}</p>`,
      is_agent_note: false,
      date_created: now,
    });
    store.changed();
    return c.json({ ticketId: id, webhook: await trigger("ticket-created", ticket) }, 201);
  });

  app.post("/host/api/tickets/:id/sla-failed", async (c) => {
    const ticket = state().helpdesk.tickets.find((t) => String(t.id) === c.req.param("id"));
    if (!ticket) return c.json({ message: "no such ticket" }, 404);
    return c.json({ webhook: await trigger("sla-failed", ticket) });
  });

  // An agent deletes the ticket: Deskpro soft-deletes it (hidden.deleted) and the Ticket Updated trigger fires.
  app.post("/host/api/tickets/:id/delete", async (c) => {
    const ticket = state().helpdesk.tickets.find((t) => String(t.id) === c.req.param("id"));
    if (!ticket) return c.json({ message: "no such ticket" }, 404);
    ticket.status = "hidden.deleted";
    store.changed();
    return c.json({ webhook: await trigger("ticket-updated", ticket) });
  });

  // The ticket's Billing tab, as an agent uses it in Deskpro: the charge is made as the agent, and
  // nothing else happens (no trigger is documented to run on a charge; the ledger reads the tab).
  const ticketFor = (id: string) => state().helpdesk.tickets.find((t) => String(t.id) === id);
  app.post("/host/api/tickets/:id/charges", async (c) => {
    const ticket = ticketFor(c.req.param("id"));
    if (!ticket) return c.json({ message: "no such ticket" }, 404);
    const parsed = BillingTabCharge.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => i.message).join("; "));
    const { seconds, amount, comment } = parsed.data;
    const charge = addCharge(state().helpdesk, ticket, { charge_time: seconds, amount, comment }, DEMO_AGENT_ID);
    store.changed();
    return c.json({ charge }, 201);
  });
  app.put("/host/api/tickets/:id/charges/:chargeId", async (c) => {
    const charge = state().helpdesk.charges.find((x) => String(x.ticket) === c.req.param("id") && String(x.id) === c.req.param("chargeId"));
    if (!charge) return c.json({ message: "no such charge" }, 404);
    const parsed = BillingTabCharge.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) return bad(parsed.error.issues.map((i) => i.message).join("; "));
    Object.assign(charge, { charge_time: parsed.data.seconds, amount: parsed.data.amount, comment: parsed.data.comment });
    store.changed();
    return c.json({ charge });
  });
  app.delete("/host/api/tickets/:id/charges/:chargeId", (c) => {
    const desk = state().helpdesk;
    const charge = desk.charges.find((x) => String(x.ticket) === c.req.param("id") && String(x.id) === c.req.param("chargeId"));
    if (!charge) return c.json({ message: "no such charge" }, 404);
    desk.charges = desk.charges.filter((x) => x !== charge);
    store.changed();
    return c.json({ deleted: charge.id });
  });

  app.get("/host/api/tickets/:id", (c) => {
    const desk = state().helpdesk;
    const ticket = desk.tickets.find((t) => String(t.id) === c.req.param("id"));
    if (!ticket) return c.json({ message: "no such ticket" }, 404);
    const name = (id: number) => {
      const p = desk.people.find((x) => x.id === id);
      return p ? fullName(p) : `#${id}`;
    };
    return c.json({
      ticket: ticketData(desk, ticket),
      priority: desk.priorities.find((p) => p.id === ticket.priority)?.title ?? null,
      person: name(ticket.person),
      organization: desk.organizations.find((o) => o.id === ticket.organization)?.name ?? null,
      messages: desk.messages
        .filter((m) => m.ticket === ticket.id)
        .sort((a, b) => a.date_created.localeCompare(b.date_created) || a.id - b.id)
        .map((m) => ({ ...m, author: name(m.person) })),
      charges: desk.charges.filter((x) => x.ticket === ticket.id).map((x) => ({ ...x, agentName: x.agent === null ? null : name(x.agent) })),
    });
  });

  // Deskpro's ticket permalinks (https://<helpdesk>/app#/t/ticket/<id>) open the host page on that ticket.
  app.get("/app", serveStatic({ root: options.pageDir, rewriteRequestPath: () => "/index.html" }));
  // The app, exactly as built (manifest.json included), and the host page.
  app.use("/app/*", serveStatic({ root: options.appDir, rewriteRequestPath: (path) => path.replace(/^\/app/, "") }));
  app.use("/*", serveStatic({ root: options.pageDir }));
  return app;
}
