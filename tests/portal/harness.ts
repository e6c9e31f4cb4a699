/**
 * A ledger with the portal flow switched on, talking to a FakeDeskpro through msw: the tenant's
 * Deskpro connection, tiers with priorities and the portal field's options are set up.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { defaultClientFactory } from "../../src/ledger/integrations/deskpro/connection.js";
import { composeLedger } from "../../src/ledger/compose.js";
import type { Database } from "../../src/ledger/storage/db.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { openTestDatabase, TestClock, type Backend, type CallOptions, type CallResult } from "../helpers/ledger.js";
import { DESKPRO_API_KEY, DESKPRO_URL, FakeDeskpro } from "./fake-deskpro.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

export const TIER_FIELD = 7;
export const OPTION = { standard: 70, fourHour: 71, oneHour: 72 } as const;
export const PRIORITY = { normal: 1, high: 3, urgent: 4 } as const;

/** The portal's tier field as the admin set it up in Deskpro: each option's title shows the tier's price. */
export const TIER_FIELD_DEFINITION = {
  id: TIER_FIELD,
  title: "Response time",
  widget_type: "choice" as const,
  choices: [
    { id: OPTION.standard, title: "Standard response (free)" },
    { id: OPTION.fourHour, title: "4-hour response — 150 credits" },
    { id: OPTION.oneHour, title: "1-hour response — 250 credits" },
  ],
};

/** A fake helpdesk with the portal's tier field defined. */
export function portalHelpdesk(): FakeDeskpro {
  const deskpro = new FakeDeskpro();
  deskpro.customFields.set(TIER_FIELD, structuredClone(TIER_FIELD_DEFINITION));
  return deskpro;
}

export const TEST_CONFIG = {
  tiers: [
    { key: "standard", label: "Standard response", responseMinutes: null, price: 0, deskproPriorityId: PRIORITY.normal },
    { key: "4-hour", label: "4-hour response", responseMinutes: 240, price: 150, deskproPriorityId: PRIORITY.high },
    { key: "1-hour", label: "1-hour response", responseMinutes: 60, price: 250, deskproPriorityId: PRIORITY.urgent },
  ],
};

export const TEST_PORTAL_SETTINGS = {
  tierFieldId: TIER_FIELD,
  tierOptions: [
    { tier: "standard", optionId: OPTION.standard },
    { tier: "4-hour", optionId: OPTION.fourHour },
    { tier: "1-hour", optionId: OPTION.oneHour },
  ],
  buyUrl: "https://billing.example.test/buy",
};

export interface PortalHarness {
  db: Database;
  clock: TestClock;
  tenantId: string;
  apiKey: string;
  webhookSecret: string;
  logs: Record<string, unknown>[];
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<CallResult<T>>;
  hook(
    event: string,
    ticketId: number | null,
    options?: { secret?: string | null; body?: string; contentType?: string; headers?: Record<string, string> },
  ): Promise<CallResult>;
  drain(): Promise<{ delivered: number; retrying: number; failed: number; remaining: number }>;
  close(): Promise<void>;
}

// One PGlite per file and backend (a fresh one costs seconds); every harness has its own tenant.
const sharedPglite = new Map<string, Promise<Database>>();

export async function createPortalHarness(backend: Backend, options: { configure?: boolean } = {}): Promise<PortalHarness> {
  let shared: Promise<Database> | undefined;
  if (backend === "pglite") {
    shared = sharedPglite.get(backend) ?? openTestDatabase(backend);
    sharedPglite.set(backend, shared);
  }
  const db = await (shared ?? openTestDatabase(backend));
  const clock = new TestClock();
  const logs: Record<string, unknown>[] = [];
  const ledger = composeLedger({ db, clock: clock.now, deskproClients: defaultClientFactory({ retryBaseMs: 1, timeoutMs: 2_000 }) });
  const app = createLedgerApp({ db, ledger, log: (line) => logs.push(line) });
  const { tenantId, apiKey } = await createTenant(db, { name: `portal-${randomUUID()}` });
  const webhookSecret = `whsec-${randomBytes(24).toString("base64url")}`;

  const request = async (method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<CallResult> => {
    const response = await app.fetch(new Request(`http://ledger.test${path}`, { method, headers, body }));
    const text = await response.text();
    const parsed = (response.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
    return { status: response.status, body: parsed, text, headers: response.headers };
  };
  const call = async (method: string, path: string, opts: CallOptions = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    const key = opts.key === undefined ? apiKey : opts.key;
    if (key !== null) headers.authorization ??= `Bearer ${key}`;
    const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (body !== undefined) headers["content-type"] ??= "application/json";
    if (method === "POST" && opts.idempotencyKey !== null) headers["idempotency-key"] ??= opts.idempotencyKey ?? randomUUID();
    return request(method, path, headers, body);
  };
  const harness: PortalHarness = {
    db,
    clock,
    tenantId,
    apiKey,
    webhookSecret,
    logs,
    call,
    hook: (event, ticketId, opts = {}) => {
      const headers: Record<string, string> = { ...opts.headers };
      const secret = opts.secret === undefined ? webhookSecret : opts.secret;
      if (secret !== null) headers["x-credits-webhook-secret"] = secret;
      if (ticketId !== null) headers["x-deskpro-ticket-id"] = String(ticketId);
      // Deskpro's webhook action posts the ticket form-encoded.
      const body = opts.body ?? (ticketId === null ? "" : `ticket%5Bid%5D=${ticketId}&ticket%5Bsubject%5D=Help&custom_data=`);
      if (body !== "") headers["content-type"] = opts.contentType ?? "application/x-www-form-urlencoded";
      return request("POST", `/hooks/deskpro/${tenantId}/${event}`, headers, body === "" ? undefined : body);
    },
    drain: () => ledger.drain({ tenantId }),
    close: () => (shared ? Promise.resolve() : db.close()),
  };
  if (options.configure !== false) {
    const checks = [
      await call("PUT", "/v1/config", { body: TEST_CONFIG }),
      await call("PUT", "/v1/integrations/deskpro", { body: { url: DESKPRO_URL, apiKey: DESKPRO_API_KEY, webhookSecret } }),
      await call("PUT", "/v1/portal/settings", { body: TEST_PORTAL_SETTINGS }),
    ];
    for (const check of checks) if (check.status !== 200) throw new Error(`setup failed: ${check.status} ${check.text}`);
  }
  return harness;
}
