/**
 * Where the ledger may send requests: the tenants' helpdesks and alert webhook endpoints are
 * addresses a tenant typed in, so every outgoing call goes over https to a public address unless
 * the operator allows private networks (LEDGER_ALLOW_PRIVATE_NETWORK=true: the development host
 * and tests with loopback stand-ins). The rule is checked twice: on the URL when it is saved and
 * sent to (scheme, literal addresses), and on the address actually connected to, after DNS
 * resolution, so a name that resolves (or is re-pointed) to an internal address is refused too.
 *
 * Requests go through node:http(s) with a `lookup` hook rather than fetch: Node's fetch can take a
 * connection hook only through a dispatcher from the undici package, which must match the undici
 * bundled in each Node version.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { LedgerError } from "./errors.js";

export const ALLOW_PRIVATE_NETWORK_ENV = "LEDGER_ALLOW_PRIVATE_NETWORK";

export interface OutboundPolicy {
  /** Plain http and loopback, private and reserved addresses allowed (development and tests only). */
  allowPrivateNetwork: boolean;
  /** How names are resolved; node:dns by default (tests stand in a resolver). */
  resolve?: (hostname: string, options: LookupOptions) => Promise<LookupAddress[]>;
}

export const outboundPolicyFromEnv = (env: NodeJS.ProcessEnv = process.env): OutboundPolicy => ({
  allowPrivateNetwork: env[ALLOW_PRIVATE_NETWORK_ENV] === "true",
});

export type OutboundRule = "https_required" | "public_address_required" | "no_credentials";

const RULES: Record<OutboundRule, string> = {
  https_required: `must use https (plain http is allowed only when the server sets ${ALLOW_PRIVATE_NETWORK_ENV}=true)`,
  public_address_required:
    "must be a public internet address: loopback, private, link-local, shared (CGNAT), unique-local, multicast and reserved addresses are refused",
  no_credentials: "must not contain a user name or password",
};

/**
 * An outgoing URL the ledger won't call. The message names the rule and never the address a name
 * resolved to, so it is safe to show a tenant and to keep in the outbox.
 */
export class UrlNotAllowed extends LedgerError {
  readonly code = "url_not_allowed";
  /** For the outbox: retried (the admin may correct the address), and the message is safe to keep. */
  readonly permanent = false;
  readonly safeToRecord = true;
  constructor(
    readonly rule: OutboundRule,
    field: string | null,
    resolved = false,
  ) {
    const what = resolved ? "The address resolves to an address that is refused: it" : "The URL";
    super(`${what} ${RULES[rule]}.`, { rule, ...(field ? { errors: [{ path: field, message: RULES[rule] }] } : {}) });
  }
}

// Not globally reachable (RFC 6890 and its updates), or multicast and reserved.
const RESERVED_IPV4: Array<[string, number]> = [
  ["0.0.0.0", 8], // "this network", the unspecified address
  ["10.0.0.0", 8], // RFC 1918
  ["100.64.0.0", 10], // shared address space (CGNAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local, cloud metadata (169.254.169.254)
  ["172.16.0.0", 12], // RFC 1918
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast (deprecated)
  ["192.168.0.0", 16], // RFC 1918
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, broadcast
];

const reserved = new BlockList();
for (const [network, prefix] of RESERVED_IPV4) {
  reserved.addSubnet(network, prefix, "ipv4");
  // The same networks reached through NAT64's well-known prefix (64:ff9b::a.b.c.d).
  const [a, b, c, d] = network.split(".").map(Number) as [number, number, number, number];
  reserved.addSubnet(`64:ff9b::${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`, 96 + prefix, "ipv6");
}
for (const [network, prefix] of [
  ["2001::", 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID)
  ["2001:db8::", 32], // documentation
  ["2002::", 16], // 6to4, which embeds any IPv4 address
  ["3fff::", 20], // documentation
] as const) {
  reserved.addSubnet(network, prefix, "ipv6");
}
// IPv6 outside these is not public: loopback, unspecified, unique-local (fc00::/7), link-local
// (fe80::/10), multicast (ff00::/8)… IPv4-mapped addresses are judged by the IPv4 rules above,
// which a BlockList applies to them.
const publicIpv6 = new BlockList();
publicIpv6.addSubnet("2000::", 3, "ipv6"); // global unicast
publicIpv6.addSubnet("::ffff:0:0", 96, "ipv6"); // IPv4-mapped
publicIpv6.addSubnet("64:ff9b::", 96, "ipv6"); // NAT64 of an IPv4 address

/** True for an address on the public internet; false for loopback, private, link-local, multicast, reserved… and non-addresses. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return !reserved.check(address, "ipv4");
  if (family === 6) return publicIpv6.check(address, "ipv6") && !reserved.check(address, "ipv6");
  return false;
}

const LOCAL_NAME = /(^|\.)localhost\.?$/i;

/**
 * The origin the ledger binds and compares helpdesks by: scheme, lower-case host, and the port
 * unless it is the scheme's default. A fully qualified name's trailing dot (`support.example.com.`)
 * names the same host in DNS, so it is dropped: otherwise one helpdesk could be two origins (two
 * tenants, two sign-up allowances). Null when the URL has no host left.
 */
export function canonicalOrigin(url: string | URL): string | null {
  const parsed = typeof url === "string" ? new URL(url) : url;
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return null;
  const host = parsed.hostname.replace(/\.+$/, "");
  return host === "" ? null : `${parsed.protocol}//${host}${parsed.port ? `:${parsed.port}` : ""}`;
}

/**
 * Checks an outgoing URL as written: its scheme, credentials and, when the host is an address
 * (or `localhost`), that address. Names are checked when connecting (see `outboundFetch`).
 * `field` names the request field for the problem (`body.url`), or null at delivery.
 */
export function checkOutboundUrl(url: string, policy: OutboundPolicy, field: string | null = null): URL {
  const parsed = new URL(url);
  if (parsed.username || parsed.password) throw new UrlNotAllowed("no_credentials", field);
  if (policy.allowPrivateNetwork) return parsed;
  if (parsed.protocol !== "https:") throw new UrlNotAllowed("https_required", field);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (LOCAL_NAME.test(host) || (isIP(host) !== 0 && !isPublicAddress(host))) throw new UrlNotAllowed("public_address_required", field);
  return parsed;
}

const defaultResolve = (hostname: string, options: LookupOptions) =>
  new Promise<LookupAddress[]>((resolve, reject) =>
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );

/** The connection's name lookup: resolves, and refuses the connection when any address it gives is not public. */
function guardedLookup(policy: OutboundPolicy): LookupFunction {
  const resolve = policy.resolve ?? defaultResolve;
  return (hostname, options, callback) => {
    resolve(hostname, options).then(
      (addresses) => {
        if (!policy.allowPrivateNetwork && addresses.some((a) => !isPublicAddress(a.address))) {
          callback(new UrlNotAllowed("public_address_required", null, true), "");
        } else if (addresses.length === 0) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: "ENOTFOUND" }), "");
        } else if (options.all) {
          callback(null, addresses);
        } else {
          callback(null, addresses[0]!.address, addresses[0]!.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}

/**
 * No answer is read past this, whoever reads it: the backstop under each caller's own, lower cap
 * (a Deskpro answer is read up to 1–4 MiB, see integrations/deskpro/client.ts).
 */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch for outgoing calls under the policy. Redirects are never followed (a 3xx is answered as
 * it is), so a public address can't send the call on to an internal one. The answer's body is a
 * stream read from the socket as the caller reads it (never buffered here), so a caller that
 * stops reading at its own cap holds no more than that; past MAX_RESPONSE_BYTES it errors.
 */
export function outboundFetch(policy: OutboundPolicy): typeof fetch {
  const lookup = guardedLookup(policy);
  return async (input, init) => {
    const request = new Request(input, init);
    const url = checkOutboundUrl(request.url, policy);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = Object.fromEntries(request.headers);
    if (body) headers["content-length"] = String(body.byteLength);
    const { signal } = request;
    return new Promise<Response>((resolve, reject) => {
      const fail = (error: unknown) => reject(signal.aborted ? signal.reason : error);
      const outgoing = (url.protocol === "https:" ? https : http).request(url, { method: request.method, headers, lookup, signal }, (incoming) => {
        try {
          const status = incoming.statusCode ?? 0;
          const answerHeaders = new Headers();
          for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) answerHeaders.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
          const hasBody = !NULL_BODY_STATUSES.has(status) && request.method !== "HEAD";
          if (!hasBody) incoming.resume(); // nothing to read: let the socket go
          resolve(new Response(hasBody ? bodyStream(incoming, signal) : null, { status, statusText: incoming.statusMessage, headers: answerHeaders }));
        } catch (error) {
          incoming.destroy();
          reject(error);
        }
      });
      outgoing.on("error", fail);
      outgoing.end(body);
    });
  };
}

/** The answer's body as a web stream that reads the socket only as fast as it is read (back-pressure), up to MAX_RESPONSE_BYTES. */
function bodyStream(incoming: http.IncomingMessage, signal: AbortSignal): ReadableStream<Uint8Array> {
  let size = 0;
  // Once the reader cancels or the stream ends, whatever the socket still emits is dropped.
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        controller.error(signal.aborted ? signal.reason : error);
      };
      incoming.pause();
      incoming.on("data", (chunk: Buffer) => {
        if (settled) return;
        size += chunk.byteLength;
        if (size > MAX_RESPONSE_BYTES) {
          fail(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
          return void incoming.destroy();
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) incoming.pause();
      });
      incoming.on("end", () => {
        if (settled) return;
        settled = true;
        controller.close();
      });
      incoming.on("error", fail);
      // The connection closed before the body ended (no 'error' in some Node versions).
      incoming.on("aborted", () => fail(new Error("the answer broke off")));
    },
    pull() {
      incoming.resume();
    },
    cancel() {
      settled = true;
      incoming.destroy();
    },
  });
}
