import { QueryClient } from "@tanstack/react-query";
import { act, cleanup, render } from "@testing-library/react";
import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, afterEach, beforeAll, expect, vi } from "vitest";
import type { Entry, Wallet, WalletGrant } from "../../src/contract/index.js";
import { App, startApp } from "../../src/app/App.js";
import { DeskproClient, type Context } from "../../src/app/deskpro/sdk.js";

// The sidebars, and the ticket sidebar's forms, are chunks the app imports once they are needed.
// Loaded here, so a test's waiting time isn't spent on the test runner compiling them (the app
// still goes through its own imports).
// Not sidebars.js itself: tests/app/views.test.tsx makes that chunk's modules never arrive.
await Promise.all([
  import("../../src/app/ticket/TicketSidebar.js"),
  import("../../src/app/bank/BankSidebar.js"),
  import("../../src/app/ticket/LogTime.js"),
  import("../../src/app/ticket/ChargeTier.js"),
  import("../../src/app/ticket/ChangePayer.js"),
]);

export const PROXY_URL = "https://acme.deskpro.test/api/v2/apps/proxy";
export const ADMIN_PROXY_URL = "https://acme.deskpro.test/api/v2/apps/admin-proxy";
export const PROXY_TOKEN = "proxy-jwt-123";
/** What Deskpro's proxy puts in place of __ledger_url__ (the dev manifest whitelists it). */
export const LEDGER_URL = "http://127.0.0.1:8787";
/** Lives only in Deskpro's backend; the app must never send it. */
export const SECRET_KEY = "sk_live_never_in_the_browser";

const manifest = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../manifest.json"), "utf8")) as {
  proxy: { whitelist: Array<{ url: string; methods: string[] }> };
};

export interface Forwarded {
  proxy: "app" | "admin";
  /** Exactly as the app sent them, before the proxy substitutes placeholders. */
  rawUrl: string;
  rawHeaders: Record<string, string>;
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: unknown;
  proxyAuthorization: string | null;
}

type Reply = { status?: number; body: unknown; contentType?: string };
type Route = (req: Forwarded) => Reply | undefined | Promise<Reply | undefined>;

/**
 * Plays Deskpro's app proxy: checks the proxy token, substitutes the saved settings' placeholders,
 * refuses sidebar URLs the manifest does not whitelist, and hands the request to the fake ledger routes.
 */
/**
 * The stand-in proxy for a test file: listening for the file's tests (any request it has no
 * answer for fails the test), emptied and the screen cleaned after each.
 */
export function proxyForThisFile(): ReturnType<typeof createProxy> {
  const proxy = createProxy();
  beforeAll(() => proxy.server.listen({ onUnhandledRequest: "error" }));
  afterEach(() => {
    cleanup();
    proxy.reset();
  });
  afterAll(() => proxy.server.close());
  return proxy;
}

export function createProxy() {
  const forwarded: Forwarded[] = [];
  const routes: Array<{ method: string; path: RegExp; route: Route }> = [];
  const answer = async (req: Forwarded): Promise<Reply | undefined> => {
    for (const r of routes) {
      if (r.method === req.method && r.path.test(req.url.pathname)) {
        const reply = await r.route(req);
        if (reply) return reply;
      }
    }
    return undefined;
  };
  /**
   * The ledger's `/sidebar` read is its `/payer` and `/entries` answers in one (tests/ledger/sidebar.test.ts
   * holds the real one to that): unless a test fakes it itself, it is made of the fakes of those two.
   */
  const sidebarFromParts = async (req: Forwarded): Promise<Reply | undefined> => {
    const ticket = /^\/v1\/tickets\/([^/]+)\/sidebar$/.exec(req.url.pathname);
    if (req.method !== "GET" || !ticket) return undefined;
    const part = (name: string) => {
      const url = new URL(req.url);
      url.pathname = `/v1/tickets/${ticket[1]}/${name}`;
      if (name === "entries") url.search = "";
      return answer({ ...req, url });
    };
    const payer = await part("payer");
    if (!payer || (payer.status ?? 200) >= 400) return payer;
    const charges = await part("entries");
    if (!charges || (charges.status ?? 200) >= 400) return charges;
    return { body: { payer: payer.body, charges: charges.body } };
  };
  const handle =
    (proxy: "app" | "admin") =>
    async ({ request }: { request: Request }) => {
      const rawUrl = request.headers.get("X-Proxy-Url") ?? "";
      const rawHeaders = JSON.parse(request.headers.get("X-Proxy-Headers") ?? "{}") as Record<string, string>;
      const method = request.headers.get("X-Proxy-Method") ?? "GET";
      const bodyText = await request.text();
      // Both proxies fill placeholders from the installed app's saved settings (the admin proxy for
      // a settings page whose key field is empty); typed values pass through as they are.
      const substitute = (s: string) => s.replaceAll("__ledger_url__", LEDGER_URL).replaceAll("__ledger_api_key__", SECRET_KEY);
      const target = substitute(rawUrl);
      // Deskpro doesn't say whether it checks the whitelist before or after filling placeholders in:
      // a sidebar request must pass either way.
      const allowed = (rules: typeof manifest.proxy.whitelist, url: string) => rules.some((w) => new RegExp(w.url).test(url) && w.methods.includes(method));
      const filledIn = manifest.proxy.whitelist.map((w) => ({ ...w, url: substitute(w.url) }));
      if (proxy === "app" && !(allowed(filledIn, target) && allowed(manifest.proxy.whitelist, rawUrl))) {
        return HttpResponse.json({ error: "not whitelisted" }, { status: 403 });
      }
      const headers = Object.fromEntries(Object.entries(rawHeaders).map(([k, v]) => [k, substitute(v)]));
      const req: Forwarded = {
        proxy,
        rawUrl,
        rawHeaders,
        url: new URL(target),
        method,
        headers,
        body: bodyText ? (JSON.parse(bodyText) as unknown) : undefined,
        proxyAuthorization: request.headers.get("X-Proxy-Authorization"),
      };
      forwarded.push(req);
      if (req.proxyAuthorization !== `Bearer ${PROXY_TOKEN}`) return HttpResponse.json({ error: "bad proxy token" }, { status: 401 });
      const reply = (await answer(req)) ?? (await sidebarFromParts(req));
      if (reply) {
        return new HttpResponse(JSON.stringify(reply.body), {
          status: reply.status ?? 200,
          headers: { "Content-Type": reply.contentType ?? ((reply.status ?? 200) >= 400 ? "application/problem+json" : "application/json") },
        });
      }
      return HttpResponse.json(problem(404, "not_found", `no fake route for ${method} ${req.url.pathname}`), { status: 404 });
    };
  const server = setupServer(http.post(PROXY_URL, handle("app")), http.post(ADMIN_PROXY_URL, handle("admin")));
  return {
    server,
    forwarded,
    on(method: string, path: RegExp, route: Route | Reply) {
      routes.unshift({ method, path, route: typeof route === "function" ? route : () => route });
    },
    reset() {
      forwarded.length = 0;
      routes.length = 0;
    },
    requests(method: string, path: RegExp) {
      return forwarded.filter((f) => f.method === method && path.test(f.url.pathname));
    },
  };
}

export function problem(status: number, code: string, detail: string, extra: Record<string, unknown> = {}) {
  return { type: `https://support-credits.dev/problems/${code}`, title: code, status, detail, code, ...extra };
}

/**
 * The real SDK client, connected to a fake parent window instead of penpal: every parent method
 * the app calls is a spy, and `deliver` sends a context the way Deskpro does.
 */
export function createDeskpro(options: { userState?: Record<string, string>; withoutParentMethods?: string[] } = {}) {
  const userState = new Map<string, string>(Object.entries(options.userState ?? {}));
  const parent = {
    _getProxyAuth: vi.fn(async () => ({ proxyUrl: PROXY_URL, token: PROXY_TOKEN, appInstanceId: "7" })),
    _getAdminGenericProxyAuth: vi.fn(async () => ({ proxyUrl: ADMIN_PROXY_URL, token: PROXY_TOKEN, appInstanceId: "7" })),
    setTitle: vi.fn(),
    setBadgeCount: vi.fn(),
    _setHeight: vi.fn(),
    _registerElement: vi.fn(async () => undefined),
    _deregisterElement: vi.fn(async () => undefined),
    _userStateGet: vi.fn(async (name: string) => JSON.stringify(userState.has(name) ? [{ name, data: userState.get(name) }] : [])),
    _userStateSet: vi.fn(async (name: string, value: string) => {
      userState.set(name, value);
      return { isSuccess: true, errors: [] };
    }),
    _userStateDelete: vi.fn(async (name: string) => userState.delete(name)),
    _setAdminSetting: vi.fn(),
    _setAdminSettingInvalid: vi.fn(),
    _sendDeskproUIMessage: vi.fn(async () => undefined),
  };
  let child: Record<string, (...args: unknown[]) => void> = {};
  const connect = ({ methods }: { methods: Record<string, (...args: unknown[]) => void> }) => {
    child = methods;
    // A parent that lacks a method (an older or other Deskpro): the SDK falls back to its own default.
    const offered = Object.fromEntries(Object.entries(parent).filter(([name]) => !options.withoutParentMethods?.includes(name)));
    return { promise: Promise.resolve(offered) };
  };
  // The SDK's own client class, with penpal's connectToParent swapped for the fake parent.
  const client = new DeskproClient(connect as unknown as ConstructorParameters<typeof DeskproClient>[0], {});
  return {
    client,
    parent,
    userState,
    deliver(context: Context) {
      child._onReady?.(context);
    },
    changeAdminSettings(settings: Record<string, unknown>) {
      child._onAdminSettingsChange?.(settings);
    },
  };
}

export function testQueryClient() {
  return new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 0 }, mutations: { retry: false } } });
}

export async function renderApp(context: Context | null, options: { userState?: Record<string, string>; hash?: string; withoutParentMethods?: string[] } = {}) {
  window.location.hash = options.hash ?? "";
  const deskpro = createDeskpro(options);
  const queryClient = testQueryClient();
  // As main.tsx starts the app: the handshake, and the ticket sidebar's first read once a context names a ticket.
  startApp(deskpro.client, queryClient);
  const view = render(<App client={deskpro.client} queryClient={queryClient} />);
  // Let the SDK finish its handshake with the fake parent, then send the context.
  await act(async () => {
    await Promise.resolve();
  });
  if (context) act(() => deskpro.deliver(context));
  return { ...deskpro, ...view };
}
// --- Deskpro context shapes (as Deskpro sends them to sidebar apps) ---

/** The public settings of an install whose admin has connected and saved (the settings page's own setting holds the version). */
export const SET_UP = { ledger_url: "https://credits.example.com", credits_configuration: JSON.stringify({ configVersion: 3 }) };

/**
 * A ticket sidebar's context: the ticket's own organisation (`ticket.organization`) and its primary
 * user's primary organisation, as Deskpro's SDK types describe them. `orgId` is the person's
 * primary organisation; `ticketOrg` the ticket's (by default the same one).
 */
export const ticketContext = (over: { orgId?: string | null; ticketOrg?: { id: string; name: string } | null } = {}): Context => {
  const personOrg = over.orgId === null ? null : { id: over.orgId ?? "42", name: "Analytical Engines Ltd" };
  const ticketOrg = over.ticketOrg !== undefined ? over.ticketOrg : personOrg;
  const membership = personOrg && { position: "CTO", isManager: "1", organization: personOrg };
  return {
    type: "ticket",
    settings: SET_UP,
    data: {
      ticket: {
        id: "1234",
        subject: "Printer on fire",
        status: "awaiting_agent",
        permalinkUrl: "https://acme.deskpro.test/app#/t/ticket/1234",
        organization: ticketOrg && { ...ticketOrg, customFields: {} },
        primaryUser: {
          id: "77",
          email: "ada@example.org",
          displayName: "Ada Lovelace",
          firstName: "Ada",
          lastName: "Lovelace",
          language: "en",
          locale: "en-GB",
          primaryOrgMember: membership ?? undefined,
          orgMembers: membership ? [membership] : [],
        },
      },
      currentAgent: { id: "5", name: "Grace Hopper", firstName: "Grace", lastName: "Hopper" },
    },
  };
};

export const userContext = (): Context => ({
  type: "user",
  settings: SET_UP,
  data: {
    user: {
      id: "77",
      isAgent: false,
      firstName: "Ada",
      lastName: "Lovelace",
      name: "Ada Lovelace",
      titlePrefix: "",
      primaryEmail: "ada@example.org",
      emails: ["ada@example.org"],
    },
    currentAgent: { id: "5", name: "Grace Hopper" },
  },
});

export const organisationContext = (): Context => ({
  type: "organisation",
  settings: SET_UP,
  data: { organisation: { id: "42", name: "Analytical Engines Ltd" }, currentAgent: { id: "5", name: "Grace Hopper" } },
});

// --- Ledger fixtures ---

let seq = 0;
const id = (prefix: string) => `${prefix}_${String(++seq).padStart(26, "0")}`;

export function grant(over: Partial<WalletGrant> = {}): WalletGrant {
  return {
    id: id("grt"),
    amount: 1000,
    remaining: 1000,
    source: "allocation",
    paid: false,
    startsAt: "2026-11-01T00:00:00.000Z",
    expiresAt: null,
    atExpiry: null,
    ...over,
  };
}

export function wallet(over: Partial<Wallet> = {}): Wallet {
  return {
    planRule: null,
    // What the ledger sends for a monthly plan in November.
    nextTopUpAt: "2026-12-01T00:00:00.000Z",
    owner: "org:42",
    balance: 1240,
    plan: {
      key: "gold",
      name: "Gold",
      creditsPerPeriod: 2000,
      period: "month",
      rollover: { type: "none" },
      grantLifetimeDays: null,
      overdraftLimit: 0,
      tiers: [],
      alertLevels: null,
    },
    planSource: "wallet",
    overdraftLimit: 0,
    grants: [grant({ remaining: 1240, amount: 2000 })],
    lowBalance: { threshold: 100, state: "ok", levels: [], levelsFrom: "helpdesk" },
    updatedAt: "2026-11-20T10:00:00.000Z",
    ...over,
  };
}

export function entry(over: Partial<Entry> = {}): Entry {
  return {
    id: id("ent"),
    owner: "org:42",
    kind: "time",
    amount: -30,
    balanceAfter: 1240,
    reason: null,
    ticketId: "1234",
    agent: "Grace Hopper",
    minutes: 27,
    tier: null,
    grantId: null,
    reversesEntryId: null,
    draws: [],
    createdAt: "2026-11-20T10:00:00.000Z",
    ...over,
  };
}

export const config = {
  config: {
    tiers: [
      { key: "standard", label: "Standard response", responseMinutes: null, price: 0, deskproPriorityId: null },
      { key: "4-hour", label: "4-hour response", responseMinutes: 240, price: 150, deskproPriorityId: 3 },
      { key: "1-hour", label: "1-hour response", responseMinutes: 60, price: 250, deskproPriorityId: 4 },
    ],
    plans: [
      {
        key: "gold",
        name: "Gold",
        creditsPerPeriod: 2000,
        period: "month",
        rollover: { type: "none" },
        grantLifetimeDays: null,
        overdraftLimit: 0,
        tiers: [],
        alertLevels: null,
      },
      {
        key: "silver",
        name: "Silver",
        creditsPerPeriod: 500,
        period: "month",
        rollover: { type: "none" },
        grantLifetimeDays: null,
        overdraftLimit: 0,
        tiers: ["4-hour"],
        alertLevels: null,
      },
    ],
    defaultPlan: null,
    packs: [],
    time: { credits: 1, perMinutes: 1, incrementMinutes: 15, minimumMinutes: 0 },
    alerts: {
      levels: [
        { type: "credits", value: 100 },
        { type: "credits", value: 0 },
      ],
    },
  },
  version: 3,
  updatedAt: "2026-11-01T09:00:00.000Z",
};

// --- Two DOM matchers (the project has no jest-dom) ---

function textOf(node: unknown): string {
  return node instanceof Element ? (node.textContent ?? "").replace(/\s+/g, " ").trim() : "";
}

expect.extend({
  toHaveTextContent(received: unknown, expected: string | RegExp) {
    const text = textOf(received);
    const pass = typeof expected === "string" ? text.includes(expected) : expected.test(text);
    return { pass, message: () => `expected element text ${JSON.stringify(text)} ${pass ? "not " : ""}to contain ${String(expected)}` };
  },
  toBeDisabled(received: unknown) {
    const pass = received instanceof HTMLButtonElement || received instanceof HTMLInputElement ? received.disabled : false;
    return { pass, message: () => `expected element ${pass ? "not " : ""}to be disabled` };
  },
});

declare module "vitest" {
  interface Assertion<T> {
    toHaveTextContent(expected: string | RegExp): T;
    toBeDisabled(): T;
  }
}
