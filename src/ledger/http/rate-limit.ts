import type { Context, MiddlewareHandler } from "hono";
import { ProblemError } from "../errors.js";
import { problemResponse } from "./problem.js";

export interface RateLimitOptions {
  /** Requests a client may make in a burst. */
  burst: number;
  /** Requests per second a client earns back. */
  perSecond: number;
  /** What is limited together (for example client address and tenant); null exempts the request. */
  key: (c: Context) => string | null;
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 50_000;

/**
 * A token bucket per key, in process memory: each process protects itself, so a flood against one
 * key is refused with 429 while every other key keeps its own allowance.
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const buckets = new Map<string, Bucket>();
  const now = options.now ?? (() => performance.now());
  return async (c, next) => {
    const key = options.key(c);
    if (key === null) return next();
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: options.burst, at: t };
    bucket.tokens = Math.min(options.burst, bucket.tokens + ((t - bucket.at) / 1000) * options.perSecond);
    bucket.at = t;
    if (bucket.tokens < 1) {
      const wait = Math.ceil((1 - bucket.tokens) / options.perSecond);
      return problemResponse(
        new ProblemError(429, "rate_limited", "Too many requests", `Too many requests from this client; retry in ${wait} s.`),
        { "retry-after": String(wait) },
      );
    }
    bucket.tokens -= 1;
    if (!buckets.has(key) && buckets.size >= MAX_BUCKETS) {
      // Forget the oldest half rather than grow without bound under a spray of addresses.
      for (const k of [...buckets.keys()].slice(0, MAX_BUCKETS / 2)) buckets.delete(k);
    }
    buckets.set(key, bucket);
    return next();
  };
}

/** What hosts put in Hono's `c.env` about the connection: Node's socket, API Gateway's request context. */
interface HostEnv {
  incoming?: { socket?: { remoteAddress?: string } };
  requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } };
}

/**
 * The client's address: the socket's peer on Node, the source address API Gateway saw on AWS
 * Lambda; the first X-Forwarded-For hop only when the operator says a proxy in front sets it
 * (LEDGER_TRUST_PROXY=true), since clients can forge it.
 */
export function clientAddress(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = c.req.header("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  const env = c.env as HostEnv | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.requestContext?.http?.sourceIp ?? env?.requestContext?.identity?.sourceIp ?? "unknown";
}
