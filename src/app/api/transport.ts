import type { z } from "zod";
import { Problem } from "../../contract/ledger.js";
import { adminGenericProxyFetch, proxyFetch, type Fetch, type IDeskproClient } from "../deskpro/sdk.js";
import { LedgerContractError, LedgerHttpError, LedgerNetworkError, LedgerProblem } from "./errors.js";

/** Deskpro's proxy replaces these with the installed settings, server-side, for whitelisted URLs only. */
export const LEDGER_URL_PLACEHOLDER = "__ledger_url__";
export const LEDGER_KEY_PLACEHOLDER = "__ledger_api_key__";
/**
 * The key pasted by hand (a self-hosted ledger's `tenant create` key, or one the Connect page
 * showed because Deskpro would not take it), sent beside the connected key: the ledger uses
 * whichever of the two is a key it knows.
 */
export const PASTED_KEY_PLACEHOLDER = "__ledger_api_key_pasted__";
const PASTED_KEY_HEADER = "X-Credits-Key";
const BOTH_KEYS = { Authorization: `Bearer ${LEDGER_KEY_PLACEHOLDER}`, [PASTED_KEY_HEADER]: PASTED_KEY_PLACEHOLDER };

/** Where requests go and how they are authorised. */
export interface LedgerEndpoint {
  /**
   * A fetch that tunnels through Deskpro's app proxy; fetched again per request (proxy tokens
   * expire). A token already in hand is given at once, so the request leaves in the same turn.
   */
  getFetch: () => Fetch | Promise<Fetch>;
  baseUrl: string;
  /** The key headers (`Authorization`, and `X-Credits-Key` for a pasted key); none only for the sign-up. */
  keyHeaders: Record<string, string>;
}

/**
 * Sidebars: the URL and the key are placeholders the proxy fills in, so the key never reaches
 * the browser (it is a backend-only setting).
 */
export function sidebarEndpoint(client: IDeskproClient): LedgerEndpoint & { warmUp: () => void } {
  // A proxy token asked for as soon as the SDK is connected, while Deskpro's context is on its way,
  // serves the first request (a round trip off the sidebar's first paint); later ones ask afresh.
  let early: { at: number; fetch: Promise<Fetch>; got?: Fetch } | null = null;
  return {
    getFetch: () => {
      const warm = early;
      early = null;
      if (!warm || Date.now() - warm.at > EARLY_TOKEN_MS) return proxyFetch(client);
      return warm.got ?? warm.fetch.catch(() => proxyFetch(client));
    },
    warmUp: () => {
      const fetch = proxyFetch(client);
      const warm: NonNullable<typeof early> = { at: Date.now(), fetch };
      fetch.then((got) => (warm.got = got)).catch(() => undefined);
      early = warm;
    },
    baseUrl: LEDGER_URL_PLACEHOLDER,
    keyHeaders: BOTH_KEYS,
  };
}

/** How long a token asked for ahead may wait for its request (well inside a proxy token's life). */
const EARLY_TOKEN_MS = 5_000;

/**
 * The admin settings page, through Deskpro's admin generic proxy: the URL as typed, and the key as
 * the form holds it (just connected, or pasted), or, while the form holds none, the saved keys by
 * their placeholders. Deskpro does not send a saved backend-only setting back to the page (so the
 * form is empty after a reload), and its admin proxy fills placeholders from the installed app's
 * saved settings, as official settings pages rely on (docs/deskpro-fidelity.md). With no key at
 * all (`apiKey` null) nothing is sent: the sign-up.
 */
export function adminEndpoint(client: IDeskproClient, ledgerUrl: string, apiKey: string | null): LedgerEndpoint {
  const key = apiKey?.trim() ?? null;
  return {
    getFetch: () => adminGenericProxyFetch(client),
    baseUrl: ledgerUrl.trim().replace(/\/+$/, ""),
    keyHeaders: key === null ? {} : key === "" ? BOTH_KEYS : { Authorization: `Bearer ${key}` },
  };
}

export interface LedgerRequest<S extends z.ZodType> {
  method: "GET" | "POST" | "PUT";
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  idempotencyKey?: string;
  ifMatch?: string;
  /**
   * The answer's schema, or a loader of it: a call the sidebar's first paint doesn't wait on loads
   * its contract file on demand, while the request is on its way, rather than in the first bundle.
   */
  schema: S | (() => Promise<S>);
  /** Names the answer in error messages. */
  what: string;
}

export async function ledgerRequest<S extends z.ZodType>(endpoint: LedgerEndpoint, req: LedgerRequest<S>): Promise<z.infer<S>> {
  const schema = typeof req.schema === "function" ? req.schema() : Promise.resolve(req.schema);
  // A failed request reports its own error; a schema that failed to load is reported when awaited.
  schema.catch(() => undefined);
  const text = await send(endpoint, req, "application/json");
  const parsed = (await schema).safeParse(safeJson(text));
  if (!parsed.success) {
    throw new LedgerContractError(req.what, parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  }
  return parsed.data;
}

/** A read whose answer is text (a CSV statement). */
export function ledgerText(endpoint: LedgerEndpoint, req: Omit<LedgerRequest<z.ZodType>, "schema"> & { accept: string }): Promise<string> {
  return send(endpoint, req, req.accept);
}

async function send(endpoint: LedgerEndpoint, req: Omit<LedgerRequest<z.ZodType>, "schema">, accept: string): Promise<string> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(req.query ?? {})) if (value !== undefined) search.set(name, String(value));
  const url = `${endpoint.baseUrl}${req.path}${search.size > 0 ? `?${search}` : ""}`;

  // A plain object: the SDK serialises init.headers with JSON.stringify, which turns a Headers
  // instance into {} and loses every header.
  const headers: Record<string, string> = { Accept: accept, ...endpoint.keyHeaders };
  if (req.body !== undefined) headers["Content-Type"] = "application/json";
  if (req.idempotencyKey !== undefined) headers["Idempotency-Key"] = req.idempotencyKey;
  if (req.ifMatch !== undefined) headers["If-Match"] = req.ifMatch;

  let response: Response;
  try {
    // Not awaited when it needn't be: the ticket sidebar's first read then leaves before React renders (App.tsx's startApp).
    const fetchOrToken = endpoint.getFetch();
    const fetchViaProxy = typeof fetchOrToken === "function" ? fetchOrToken : await fetchOrToken;
    response = await fetchViaProxy(url, {
      method: req.method,
      headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
    });
  } catch (cause) {
    throw new LedgerNetworkError(cause);
  }

  let text: string;
  try {
    text = await response.text();
  } catch (cause) {
    throw new LedgerNetworkError(cause);
  }

  if (!response.ok) {
    const problem = Problem.safeParse(safeJson(text));
    if (problem.success) throw new LedgerProblem(problem.data);
    throw new LedgerHttpError(response.status, text.slice(0, 500));
  }
  return text;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
