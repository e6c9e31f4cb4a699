/**
 * The Deskpro side of the app's iframe: the parent end of the SDK's penpal connection with every
 * parent method @deskpro/app-sdk 6 calls, the sidebar chrome (title, badge, header buttons,
 * alerts), the ticket with its reply box and its Billing & Time Log tab, and the admin settings form around the app's settings
 * page. State lives on the host server (so it survives a restart); settings values marked
 * backend-only are never sent to this page by the server.
 */
import { connectToChild } from "penpal";
import { billingTab, type BillingCharge } from "./billing-tab.js";
import { agentDateTime, escapeHtml, messageHtml } from "./message-html.js";

interface ViewInfo {
  key: string;
  label: string;
  type: "ticket" | "user" | "organisation" | "admin" | "portal" | "helpdesk-admin";
  id: number | null;
}
interface Session {
  views: ViewInfo[];
  settings: Record<string, string>;
  apiKeySaved: boolean;
}
interface Ticket {
  ticket: { id: number; subject: string; status: string; priority: number | null };
  priority: string | null;
  person: string;
  organization: string | null;
  messages: Array<{ id: number; author: string; message: string; is_agent_note: boolean; date_created: string }>;
  charges: BillingCharge[];
}
type Child = {
  _onReady(context: unknown): Promise<void>;
  _onShow(context: unknown): Promise<void>;
  _onChange(context: unknown): Promise<void>;
  _onElementEvent(id: string, type: string, payload?: unknown): Promise<void>;
  _onTargetAction(action: unknown): Promise<void>;
  _onAdminSettingsChange(settings: Record<string, string>): Promise<void>;
};

const $ = <T extends HTMLElement>(selector: string) => document.querySelector(selector) as T;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/host/api${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as T & { message?: string };
  if (!response.ok) throw new Error(json.message ?? `${method} ${path}: ${response.status}`);
  return json;
}

function toast(text: string, kind: "success" | "error" = "success", durationMs = 4000) {
  const el = document.createElement("div");
  el.className = `toast ${kind === "error" ? "error" : ""}`;
  el.dataset.testid = `toast-${kind}`;
  el.textContent = text;
  $("#toasts").append(el);
  setTimeout(() => el.remove(), durationMs);
}

/** Messages are HTML; the host shows their text only, so nothing in them can run here. */
const textOf = (html: string) => new DOMParser().parseFromString(html.replace(/<\/p>/g, "</p> "), "text/html").body.textContent?.trim() ?? "";

let session: Session;
let current: ViewInfo;
let connection: { destroy: () => void } | null = null;
let child: Child | null = null;
let ticketPoll: number | undefined;
let billing: ReturnType<typeof billingTab> | null = null;
let adminDraft: Record<string, string> = {};
/** What each settings page last said is wrong (setAdminSettingInvalid), by its setting. */
let adminInvalidBy: Record<string, string> = {};
/** The settings pages other than the main one (each app_embedded setting has its own iframe). */
let settingChildren: Array<{ child: Child; destroy: () => void }> = [];
const CONFIG_SETTING = "credits_configuration";

/** As Deskpro does, every settings page is told the whole form again after any change. */
function broadcastAdminSettings() {
  for (const c of [child, ...settingChildren.map((s) => s.child)]) void c?._onAdminSettingsChange({ ...adminDraft });
}

/** App and user state are scoped to what the app is looking at, as in Deskpro. */
const scope = () => (current.id === null ? current.type : `${current.type}:${current.id}`);

function parentMethods(setting = CONFIG_SETTING) {
  const state = (store: "app" | "user") => ({
    get: async (name: string) => JSON.stringify(await api<unknown[]>("POST", "/state", { store, op: "get", scope: scope(), name })),
    set: async (name: string, value: string) => api("POST", "/state", { store, op: "set", scope: scope(), name, value }),
    delete: async (name: string) => api<boolean>("POST", "/state", { store, op: "delete", scope: scope(), name }),
    has: async (name: string) => api<boolean>("POST", "/state", { store, op: "has", scope: scope(), name }),
  });
  const appState = state("app");
  const userState = state("user");
  const association = (op: string) => (entityId: string, name: string, key?: string, value?: string) =>
    api("POST", "/entity-association", { op, entityId, name, key, value });
  const unsupported = (what: string) => async () => {
    throw new Error(`${what} is not available in the development host`);
  };
  return {
    _getProxyAuth: () => api("POST", "/proxy-auth", { kind: "app" }),
    _getAdminGenericProxyAuth: () => api("POST", "/proxy-auth", { kind: "admin" }),
    _setHeight: (height: number) => {
      const frame = document.querySelector<HTMLIFrameElement>("iframe.app");
      if (frame && Number.isFinite(height)) frame.style.height = `${Math.max(120, Math.ceil(height))}px`;
    },
    _setWidth: () => undefined,
    _registerElement: (id: string, element: { type: string }) => {
      if (element?.type === "refresh_button") {
        const button = $("#app-refresh");
        button.hidden = false;
        button.onclick = () => void child?._onElementEvent(id, "refresh_button");
      }
    },
    _deregisterElement: () => {
      $("#app-refresh").hidden = true;
    },
    setTitle: (title: string) => {
      $("#app-title").textContent = title;
    },
    setBadgeCount: (count: number) => {
      const badge = $("#app-badge");
      badge.hidden = !count;
      badge.textContent = count ? String(count) : "";
    },
    focus: () => undefined,
    unfocus: () => undefined,
    openContact: (contact: unknown) => toast(`Open contact: ${JSON.stringify(contact)}`),
    _entityAssociationGet: association("get"),
    _entityAssociationSet: association("set"),
    _entityAssociationDelete: association("delete"),
    _entityAssociationList: association("list"),
    _entityAssociationCountEntities: association("count"),
    _stateGet: appState.get,
    _stateSet: appState.set,
    _stateDelete: appState.delete,
    _stateHas: appState.has,
    _userStateGet: userState.get,
    _userStateSet: userState.set,
    _userStateDelete: userState.delete,
    _userStateHas: userState.has,
    _settingSet: async (name: string, value: string) => {
      await api("PUT", "/settings", { [name]: value });
    },
    _settingsSet: async (settings: string) => {
      await api("PUT", "/settings", JSON.parse(settings));
    },
    _blockingSet: (blocking: boolean) => {
      document.body.style.cursor = blocking ? "progress" : "";
    },
    _registerTargetAction: async () => undefined,
    _deregisterTargetAction: async () => undefined,
    _startOAuth2LocalFlow: unsupported("OAuth2"),
    _startOAuth2GlobalFlow: unsupported("OAuth2"),
    _pollOAuth2Flow: unsupported("OAuth2"),
    _securityJwtMint: unsupported("JWT minting"),
    // A settings page sets its own setting's value only (the SDK's call names none).
    _setAdminSetting: (value: string) => {
      delete adminInvalidBy[setting];
      const changed = adminDraft[setting] !== value;
      adminDraft[setting] = value;
      renderAdminValidity();
      if (changed) broadcastAdminSettings();
    },
    _setAdminSettingInvalid: (message: string) => {
      adminInvalidBy[setting] = message || "The app says the settings are not valid.";
      renderAdminValidity();
    },
    _sendDeskproUIMessage: async (message: { type: string; content?: string; url?: string; text?: string; duration?: number }) => {
      switch (message.type) {
        case "append_to_active_ticket_reply_box":
          appendToReplyBox(message.content ?? "");
          break;
        case "append_link_to_active_ticket_reply_box":
          appendToReplyBox(`${message.text ?? message.url ?? ""} ${message.url ?? ""}`.trim());
          break;
        case "alert_success":
          toast(message.text ?? "", "success", message.duration);
          break;
        case "alert_error":
          toast(message.text ?? "", "error", message.duration);
          break;
        case "alert_dismiss":
          $("#toasts").replaceChildren();
          break;
      }
    },
  };
}

function appendToReplyBox(text: string) {
  const box = document.querySelector<HTMLTextAreaElement>("#reply-box");
  if (!box) return toast("Open a ticket to use its reply box.", "error");
  box.value = box.value ? `${box.value}\n${text}` : text;
}

/**
 * Counts the app's mounts: a view opened while the previous one is still connecting (a click within
 * a second of loading) makes the earlier mount stop quietly instead of talking to a destroyed iframe.
 */
let mountGeneration = 0;

/** Closes the app's iframe connection; any mount still under way gives up. */
function dropApp() {
  mountGeneration++;
  connection?.destroy();
  connection = null;
  child = null;
}

/** Opens the app in a fresh iframe for the current view and says hello as Deskpro does. */
async function mountApp(slot: HTMLElement) {
  dropApp();
  const generation = mountGeneration;
  const superseded = () => generation !== mountGeneration;
  $("#app-badge").hidden = true;
  $("#app-refresh").hidden = true;
  $("#app-title").textContent = "Support Credits";
  const frame = document.createElement("iframe");
  frame.className = "app";
  frame.title = "Support Credits app";
  frame.dataset.testid = "app-frame";
  frame.src = `/app/index.html${current.type === "admin" ? "#/admin" : ""}`;
  // penpal listens before the child loads, so the SDK's handshake is never missed.
  const conn = connectToChild<Child>({ iframe: frame, methods: parentMethods(), timeout: 15_000 });
  // penpal types destroy as Function; it takes no arguments.
  connection = { destroy: () => (conn.destroy as () => void)() };
  // One app instance at a time, as in Deskpro: the previous view's iframe goes.
  document.querySelectorAll("iframe.app").forEach((old) => old.remove());
  slot.replaceChildren(frame);
  const view = current;
  let mounted: Child;
  try {
    mounted = await conn.promise;
  } catch (error) {
    // penpal rejects a connection destroyed before its handshake: another view took its place.
    if (superseded()) return;
    throw error;
  }
  if (superseded()) return;
  child = mounted;
  if (view.type === "admin") {
    await mounted._onAdminSettingsChange({ ...adminDraft });
  } else {
    const context = await api<unknown>("GET", `/context?view=${encodeURIComponent(view.key)}`);
    if (superseded()) return;
    await mounted._onReady(context);
    if (superseded()) return;
    await mounted._onShow(context);
  }
}

async function renderTicket(ticketId: number) {
  const data = await api<Ticket>("GET", `/tickets/${ticketId}`);
  const list = document.querySelector("#ticket-messages");
  if (!list) return;
  $("#ticket-priority").textContent = data.priority ?? "none";
  $("#ticket-status").textContent = data.ticket.status;
  billing?.render(data.charges);
  list.innerHTML = data.messages
    .map(
      (m) =>
        `<li class="${m.is_agent_note ? "note" : ""}" data-testid="${m.is_agent_note ? "note" : "message"}"><div class="meta">${escapeHtml(m.author)} · ${
          m.is_agent_note ? "internal note" : "message"
        } · ${agentDateTime.format(new Date(m.date_created))}</div>${messageHtml(textOf(m.message))}</li>`,
    )
    .join("");
}

const adminInvalid = () => Object.values(adminInvalidBy)[0] ?? null;

function renderAdminValidity() {
  const save = document.querySelector<HTMLButtonElement>("#admin-save");
  const why = document.querySelector("#admin-invalid");
  if (!save || !why) return;
  save.disabled = adminInvalid() !== null;
  why.textContent = adminInvalid() ?? "";
}

/** An app_embedded setting's own page, in its own iframe, as Deskpro shows each one on the settings form. */
async function mountSettingPage(slot: HTMLElement, setting: string, entrypoint: string) {
  const frame = document.createElement("iframe");
  frame.className = "app-setting";
  frame.title = `Support Credits: ${setting}`;
  frame.dataset.testid = `setting-frame-${setting}`;
  frame.src = `/app/index.html${entrypoint}`;
  const conn = connectToChild<Child>({ iframe: frame, methods: parentMethods(setting), timeout: 15_000 });
  slot.replaceChildren(frame);
  const settingChild = await conn.promise;
  settingChildren.push({ child: settingChild, destroy: () => (conn.destroy as () => void)() });
  await settingChild._onAdminSettingsChange({ ...adminDraft });
}

function unmountSettingPages() {
  settingChildren.forEach((s) => s.destroy());
  settingChildren = [];
  document.querySelectorAll("iframe.app-setting").forEach((old) => old.remove());
}

async function show(view: ViewInfo) {
  current = view;
  clearInterval(ticketPoll);
  billing?.stop();
  billing = null;
  unmountSettingPages();
  document.querySelectorAll<HTMLButtonElement>("nav#views button").forEach((b) => {
    if (b.dataset.view === view.key) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  });
  history.replaceState(null, "", `/#/${view.key}`);
  const entity = $("#entity");
  $(".layout").classList.toggle("admin", view.type === "admin" || view.type === "portal" || view.type === "helpdesk-admin");

  if (view.type === "helpdesk-admin") {
    dropApp();
    document.querySelectorAll("iframe.app").forEach((old) => old.remove());
    const admin = await api<{ apiKey: string; triggers: Record<string, { url: string; secret: string } | undefined> }>("GET", "/helpdesk-admin");
    const events = [
      ["ticket-created", "Triggers › New Ticket: Call web hook"],
      ["ticket-updated", "Triggers › Ticket Updated: Call web hook"],
      ["sla-failed", "SLAs › fail actions: Call web hook"],
    ] as const;
    entity.innerHTML = `
      <h1>Helpdesk admin › Apps &amp; Integrations › API Keys</h1>
      <p class="muted">An API key bound to the admin Grace Hopper. Paste it into the app's Connect this helpdesk page.</p>
      <p><code data-testid="helpdesk-api-key" style="user-select:all">${escapeHtml(admin.apiKey)}</code></p>
      <h2>Helpdesk admin › Business Rules</h2>
      <p class="muted">Each web hook action: method POST, the URL, and the custom headers X-Credits-Webhook-Secret (below) and
        X-Deskpro-Ticket-Id: {{ ticket.id }} (always sent by this helpdesk).</p>
      <form class="admin-form" id="triggers-form">
        ${events
          .map(
            ([event, title]) => `<fieldset><legend>${title}</legend>
              <label>URL <input name="${event}.url" value="${escapeHtml(admin.triggers[event]?.url ?? "")}" autocomplete="off" /></label>
              <label>Header X-Credits-Webhook-Secret <input name="${event}.secret" value="${escapeHtml(admin.triggers[event]?.secret ?? "")}" autocomplete="off" /></label>
            </fieldset>`,
          )
          .join("")}
        <div><button class="primary" type="submit">Save triggers</button></div>
      </form>`;
    $<HTMLFormElement>("#triggers-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target as HTMLFormElement);
      const triggers = Object.fromEntries(
        events.flatMap(([name]) => {
          const url = String(form.get(`${name}.url`) ?? "").trim();
          const secret = String(form.get(`${name}.secret`) ?? "").trim();
          return url && secret ? [[name, { url, secret }]] : [];
        }),
      );
      await api("PUT", "/helpdesk-admin/triggers", triggers);
      toast("Triggers saved");
    });
    return;
  }

  if (view.type === "portal") {
    dropApp();
    document.querySelectorAll("iframe.app").forEach((old) => old.remove());
    const portal = await api<{
      field: { id: number; title: string; choices: Array<{ id: number; title: string }> } | null;
      people: Array<{ id: number; name: string }>;
    }>("GET", "/portal");
    if (!portal.field) {
      entity.innerHTML = `<h1>Help centre › Contact us</h1><p class="muted" data-testid="portal-no-field">The new-ticket form has no response-time field yet: the app's settings page makes it.</p>`;
      return;
    }
    entity.innerHTML = `
      <h1>Help centre › Contact us</h1>
      <p class="muted">The customer portal's new-ticket form. The "${escapeHtml(portal.field.title)}" field is a ticket custom field whose options are the tiers;
      Deskpro's New Ticket trigger sends the ticket to the ledger, which charges the fee, sets the priority and writes back a note.</p>
      <form class="admin-form" id="portal-form">
        <label>You are <select name="person">${portal.people.map((p) => `<option value="${p.id}">${escapeHtml(p.name)}</option>`).join("")}</select></label>
        <label>Subject <input name="subject" required value="Our exports fail" /></label>
        <label>Message <input name="message" required value="Since this morning every export is empty." /></label>
        <fieldset><legend>${escapeHtml(portal.field.title)}</legend>
          ${portal.field.choices.map((o, i) => `<label style="font-weight:400"><input type="radio" name="option" value="${o.id}" ${i === 0 ? "checked" : ""} /> ${escapeHtml(o.title)}</label>`).join("")}
        </fieldset>
        <div><button class="primary" type="submit">Submit ticket</button></div>
      </form>
      <h2>Helpdesk admin › Tickets › Fields › ${escapeHtml(portal.field.title)}</h2>
      <p class="muted">What a Deskpro admin does to the field: rename it, change an option's title (plain text: the app's settings page says
      which title each tier's option needs), add an option, remove one.</p>
      <form class="admin-form" id="field-form">
        <label>Field title <input name="title" value="${escapeHtml(portal.field.title)}" autocomplete="off" /></label>
        ${portal.field.choices
          .map(
            (o) => `<div class="field-option"><label>Option ${o.id} <input name="option.${o.id}" value="${escapeHtml(o.title)}" autocomplete="off" /></label>
              <label class="inline"><input type="checkbox" name="remove.${o.id}" /> Remove option ${o.id}</label></div>`,
          )
          .join("")}
        <label>New option <input name="new" autocomplete="off" /></label>
        <div><button type="submit">Save field</button></div>
      </form>`;
    $<HTMLFormElement>("#field-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = [...new FormData(event.target as HTMLFormElement)].map(([name, value]) => [name, String(value).trim()] as const);
      const added = form.find(([name]) => name === "new")?.[1] ?? "";
      try {
        await api("PUT", "/portal/field", {
          title: form.find(([name]) => name === "title")?.[1] ?? portal.field!.title,
          titles: Object.fromEntries(form.filter(([name]) => name.startsWith("option.")).map(([name, title]) => [name.slice("option.".length), title])),
          remove: form.filter(([name]) => name.startsWith("remove.")).map(([name]) => Number(name.slice("remove.".length))),
          add: added ? [added] : [],
        });
      } catch (error) {
        toast((error as Error).message, "error");
        return;
      }
      toast("Field saved");
      await show(view);
    });
    $<HTMLFormElement>("#portal-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = new FormData(event.target as HTMLFormElement);
      const created = await api<{ ticketId: number; webhook: { status: number | null } }>("POST", "/portal/tickets", {
        person: Number(form.get("person")),
        subject: String(form.get("subject")),
        message: String(form.get("message")),
        option: Number(form.get("option")),
      });
      toast(
        created.webhook.status === null
          ? `Ticket #${created.ticketId} submitted; no New Ticket trigger is set up, so nothing told the ledger.`
          : `Ticket #${created.ticketId} submitted; the trigger's webhook got ${created.webhook.status} from the ledger.`,
      );
      await renderNav();
      await show(session.views.find((v) => v.key === `ticket:${created.ticketId}`) ?? session.views[0]!);
    });
    return;
  }

  if (view.type === "admin") {
    // As in Deskpro, the pages are given the saved settings except the backend-only keys: none in the form keeps the saved one.
    adminDraft = { ...session.settings };
    adminInvalidBy = {};
    entity.innerHTML = `
      <h1>Apps › Support Credits › Settings</h1>
      <form class="admin-form" id="admin-form">
        <label>Ledger URL <input name="ledger_url" value="${escapeHtml(session.settings.ledger_url ?? "")}" autocomplete="off" />
          <span class="hint">Filled in: the address the app package was built for.</span></label>
        <div><strong>Connect this helpdesk</strong>${session.apiKeySaved ? ' <span class="hint">(a key is saved, not shown)</span>' : ""}
          <div id="admin-connect"></div></div>
        <label>Ledger API key (self-hosted, or when asked to paste it) <input name="ledger_api_key_pasted" type="password" autocomplete="off" />
          <span class="hint">Backend-only: Deskpro keeps it on the server and adds it to proxied requests.</span></label>
        <div id="admin-embedded"></div>
        <p class="invalid" id="admin-invalid" data-testid="admin-invalid"></p>
        <div><button class="primary" id="admin-save" type="submit">Save settings</button></div>
      </form>`;
    const form = $<HTMLFormElement>("#admin-form");
    form.addEventListener("input", (event) => {
      const input = event.target as HTMLInputElement;
      adminDraft[input.name] = input.value;
      broadcastAdminSettings();
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (adminInvalid()) return;
      const changes: Record<string, string> = { ledger_url: adminDraft.ledger_url ?? "" };
      for (const name of ["ledger_api_key", "ledger_api_key_pasted", CONFIG_SETTING]) if (adminDraft[name]) changes[name] = adminDraft[name];
      session = { ...session, ...(await api<Pick<Session, "settings" | "apiKeySaved">>("PUT", "/settings", changes)) };
      toast("Settings saved");
    });
    await mountSettingPage($("#admin-connect"), "ledger_api_key", "#/connect");
    await mountApp($("#admin-embedded"));
    return;
  }

  if (view.type === "ticket") {
    entity.innerHTML = `
      <h1 data-testid="ticket-subject"></h1>
      <p class="muted">Ticket #${view.id} · priority <span class="pill" id="ticket-priority" data-testid="ticket-priority"></span>
        · status <span class="pill" id="ticket-status" data-testid="ticket-status"></span>
        <button type="button" id="sla-failed" title="Plays the SLA's fail action calling the ledger">Fail the SLA</button>
        <button type="button" id="delete-ticket" title="Deletes the ticket (hidden.deleted) and fires the Ticket Updated trigger">Delete ticket</button></p>
      <div class="ticket-tabs" role="tablist" aria-label="Ticket">
        <button type="button" role="tab" id="tab-messages" aria-selected="true" aria-controls="panel-messages">Messages</button>
        <button type="button" role="tab" id="tab-billing" aria-selected="false" aria-controls="panel-billing">Billing &amp; Time Log</button>
      </div>
      <div role="tabpanel" id="panel-messages" aria-labelledby="tab-messages">
        <ul class="messages" id="ticket-messages"></ul>
        <label for="reply-box">Reply</label>
        <textarea id="reply-box" data-testid="reply-box"></textarea>
      </div>
      <div role="tabpanel" id="panel-billing" aria-labelledby="tab-billing" hidden></div>`;
    for (const tab of ["messages", "billing"]) {
      $(`#tab-${tab}`).addEventListener("click", () => {
        for (const other of ["messages", "billing"]) {
          $(`#tab-${other}`).setAttribute("aria-selected", String(other === tab));
          $(`#panel-${other}`).hidden = other !== tab;
        }
      });
    }
    billing = billingTab($("#panel-billing"), view.id!, { api, toast });
    $("#sla-failed").addEventListener("click", async () => {
      const result = await api<{ webhook: { status: number } }>("POST", `/tickets/${view.id}/sla-failed`);
      toast(`SLA fail action sent; the ledger answered ${result.webhook.status}.`);
    });
    $("#delete-ticket").addEventListener("click", async () => {
      const result = await api<{ webhook: { status: number } }>("POST", `/tickets/${view.id}/delete`);
      toast(`Ticket deleted; the Ticket Updated trigger's web hook got ${result.webhook.status}.`);
    });
    const data = await api<Ticket>("GET", `/tickets/${view.id}`);
    $("[data-testid=ticket-subject]").textContent = `${data.ticket.subject} — ${data.person}${data.organization ? ` (${data.organization})` : ""}`;
    await renderTicket(view.id!);
    // Write-backs from the ledger (notes, messages, priority) arrive through the REST stand-in.
    ticketPoll = window.setInterval(() => void renderTicket(view.id!).catch(() => undefined), 1500);
  } else {
    entity.innerHTML = `<h1>${escapeHtml(view.label)}</h1><p class="muted">${view.type === "user" ? "Person" : "Organisation"} #${view.id}</p>`;
  }
  await mountApp($("#frame-slot"));
}

async function renderNav() {
  session = await api<Session>("GET", "/session");
  const nav = $("#views");
  nav.replaceChildren();
  for (const view of session.views) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = view.label;
    button.dataset.view = view.key;
    button.addEventListener("click", () => void show(view).catch((e: Error) => toast(e.message, "error")));
    nav.append(button);
  }
}

async function main() {
  await renderNav();
  // A ticket permalink as Deskpro makes them (/app#/t/ticket/<id>), or the host's own #/<view>.
  const permalink = /^#\/t\/ticket\/(\d+)$/.exec(location.hash);
  const wanted = permalink ? `ticket:${permalink[1]}` : location.hash.replace(/^#\//, "");
  const first = session.views.find((v) => v.key === wanted) ?? session.views[0]!;
  await show(first);
}

main().catch((error: Error) => toast(`The development host could not start: ${error.message}`, "error", 60_000));
