/**
 * Deskpro's app proxy, as the development host plays it. The SDK's `proxyFetch` POSTs to the
 * proxy with the real request in `X-Proxy-*` headers; the proxy checks its short-lived token,
 * substitutes `__setting__` and `__setting.urlencode__` placeholders with the installed settings
 * (backend-only ones included) on the server, and forwards only what the built manifest's
 * whitelist allows, within the rule's timeout. Setting values never go back to the page.
 *
 * Whether Deskpro fills placeholders in before or after it checks the whitelist is not documented,
 * so the host plays either order (`PlaceholderOrder`), and the app must work under both.
 */
import { randomBytes } from "node:crypto";
import { z } from "zod";

export const WhitelistRule = z.object({
  url: z.string(),
  methods: z.array(z.string()),
  timeout: z.number().positive().default(10),
});
export type WhitelistRule = z.infer<typeof WhitelistRule>;

export const ManifestProxy = z.object({
  settings: z.record(z.string(), z.object({ isBackendOnly: z.boolean().optional() }).loose()),
  proxy: z.object({ whitelist: z.array(WhitelistRule) }),
});
export type ManifestProxy = z.infer<typeof ManifestProxy>;

const PROXY_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
const ProxyHeaders = z.object({
  url: z.url({ protocol: /^https?$/ }).or(z.string().startsWith("__")),
  method: z.enum(PROXY_METHODS),
  headers: z.record(z.string(), z.string()),
});

export type ProxyKind = "app" | "admin";

/**
 * substitute-then-match: the request's URL is filled in first, then matched against the whitelist
 * (whose own placeholders are filled in the same way, as written); match-then-substitute: the URL
 * as the app sent it is matched against the whitelist as written, then filled in.
 */
export const PlaceholderOrder = z.enum(["substitute-then-match", "match-then-substitute"]);
export type PlaceholderOrder = z.infer<typeof PlaceholderOrder>;

/** Proxy tokens, as `getProxyAuth` hands them out: random, per kind, valid for ten minutes. */
export class ProxyTokens {
  private readonly tokens = new Map<string, { kind: ProxyKind; expires: number }>();
  constructor(private readonly ttlMs = 10 * 60_000) {}
  mint(kind: ProxyKind): string {
    const token = randomBytes(24).toString("base64url");
    this.tokens.set(token, { kind, expires: Date.now() + this.ttlMs });
    return token;
  }
  valid(token: string, kind: ProxyKind): boolean {
    const entry = this.tokens.get(token);
    if (!entry || entry.expires < Date.now()) {
      this.tokens.delete(token);
      return false;
    }
    return entry.kind === kind;
  }
}

/** Replaces `__name__` and `__name.urlencode__` with the setting's value; unknown names stay. */
export function substituteSettings(text: string, settings: Record<string, string>): string {
  return text.replace(/__([a-z0-9_]+?)(\.urlencode)?__/gi, (whole, name: string, encode: string | undefined) => {
    const value = settings[name];
    if (value === undefined) return whole;
    return encode ? encodeURIComponent(value) : value;
  });
}

export function findRule(whitelist: WhitelistRule[], url: string, method: string): WhitelistRule | null {
  return whitelist.find((rule) => new RegExp(rule.url).test(url) && rule.methods.map((m) => m.toUpperCase()).includes(method)) ?? null;
}

const proxyError = (status: number, code: string, message: string) => Response.json({ status, code, message }, { status, headers: { "x-proxy-error": code } });

// Hop-by-hop and encoding headers are not passed back: fetch has already decoded the body.
const DROPPED_RESPONSE_HEADERS = new Set(["connection", "keep-alive", "transfer-encoding", "content-encoding", "content-length", "set-cookie"]);

export interface ProxyOptions {
  kind: ProxyKind;
  tokens: ProxyTokens;
  manifest: ManifestProxy;
  /**
   * The installed app's saved settings. The admin proxy fills placeholders from them too (a
   * settings page whose key field is empty sends the saved key's placeholder); typed values pass
   * through as they are.
   */
  settings: Record<string, string>;
  order: PlaceholderOrder;
  fetch?: typeof fetch;
}

export async function handleProxyRequest(request: Request, options: ProxyOptions): Promise<Response> {
  if (request.method !== "POST") return proxyError(405, "method_not_allowed", "The app proxy takes POST only.");
  const authorization = request.headers.get("x-proxy-authorization") ?? "";
  const token = /^Bearer (\S+)$/.exec(authorization)?.[1];
  if (!token || !options.tokens.valid(token, options.kind)) {
    return proxyError(401, "invalid_proxy_token", "Missing or expired proxy token; the SDK asks for a new one per request.");
  }
  let forwardedHeaders: unknown;
  try {
    forwardedHeaders = JSON.parse(request.headers.get("x-proxy-headers") ?? "{}");
  } catch {
    return proxyError(400, "bad_proxy_headers", "X-Proxy-Headers is not JSON.");
  }
  const parsed = ProxyHeaders.safeParse({
    url: request.headers.get("x-proxy-url") ?? "",
    method: (request.headers.get("x-proxy-method") ?? "GET").toUpperCase(),
    headers: forwardedHeaders,
  });
  if (!parsed.success) {
    return proxyError(
      400,
      "bad_proxy_request",
      `Bad X-Proxy-* headers: ${parsed.error.issues.map((i) => `${i.path.join(".") || "url"}: ${i.message}`).join("; ")}`,
    );
  }
  // Both proxies fill placeholders from the installed settings: official apps send them through the
  // admin proxy too, and a settings page can't see a saved backend-only key any other way. Values
  // typed on the settings page but not saved arrive literally and need no filling.
  const substitute = (text: string) => substituteSettings(text, options.settings);
  const url = substitute(parsed.data.url);
  const method = parsed.data.method;
  const whitelist = options.manifest.proxy.whitelist;
  const rule =
    options.order === "match-then-substitute"
      ? findRule(whitelist, parsed.data.url, method)
      : findRule(
          whitelist.map((r) => ({ ...r, url: substitute(r.url) })),
          url,
          method,
        );
  if (!rule) {
    // The page sees the URL it sent, never the substituted one (it may carry a setting).
    return proxyError(403, "not_whitelisted", `${method} ${parsed.data.url} is not allowed by the app's proxy whitelist in manifest.json.`);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(parsed.data.headers)) headers.set(name, substitute(value));
  const body = method === "GET" || method === "HEAD" ? undefined : substitute(await request.text());

  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(rule.timeout * 1000) });
  } catch (error) {
    const timedOut = (error as Error)?.name === "TimeoutError";
    return timedOut
      ? proxyError(504, "upstream_timeout", `The service did not answer within the whitelist rule's ${rule.timeout} s.`)
      : proxyError(502, "upstream_unreachable", "The service could not be reached.");
  }
  const out = new Headers();
  response.headers.forEach((value, name) => {
    if (!DROPPED_RESPONSE_HEADERS.has(name)) out.set(name, value);
  });
  return new Response(await response.arrayBuffer(), { status: response.status, headers: out });
}
