import type { Context } from "hono";
import { problemResponse } from "./problems.js";

export interface RateLimit {
  /** Requests a client may make in a burst. */
  burst: number;
  /** Requests per second a client earns back. */
  perSecond: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const MAX_BUCKETS = 50_000;

/**
 * A token bucket per client, in process memory: each process protects itself (N processes allow
 * N times as much; a proxy in front sets the overall limit), and a flood from one client is
 * refused with 429 while every other client keeps its own allowance.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one token from the client's bucket: null when it had one, else the 429 to answer. */
  take(client: string): Response | null {
    const t = this.now();
    const bucket = this.buckets.get(client) ?? { tokens: this.limit.burst, at: t };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = t;
    if (bucket.tokens < 1) {
      const wait = Math.ceil((1 - bucket.tokens) / this.limit.perSecond);
      return problemResponse("rate_limited", `Too many requests from this client; retry in ${wait} s.`, {}, { "retry-after": String(wait) });
    }
    bucket.tokens -= 1;
    if (!this.buckets.has(client) && this.buckets.size >= MAX_BUCKETS) {
      // Forget the oldest half rather than grow without bound under a spray of addresses.
      for (const k of [...this.buckets.keys()].slice(0, MAX_BUCKETS / 2)) this.buckets.delete(k);
    }
    this.buckets.set(client, bucket);
    return null;
  }

  /** Returns a token taken for something that turned out not to count (a sign-up that succeeded). */
  giveBack(client: string): void {
    const bucket = this.buckets.get(client);
    if (bucket) bucket.tokens = Math.min(this.limit.burst, bucket.tokens + 1);
  }
}

/**
 * API keys the database said are wrong, remembered for a while so that repeating one costs no
 * lookup. Safe to remember: keys are 256-bit random, so nobody sends a key before it is issued,
 * and a revoked key stays wrong. Bounded: past the limit, the oldest are forgotten.
 */
export class RecentlyRefusedKeys {
  private readonly keys = new Map<string, number>();
  constructor(
    private readonly forMs = 60_000,
    private readonly limit = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  has(key: string): boolean {
    const until = this.keys.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.keys.delete(key);
    return false;
  }

  add(key: string): void {
    if (this.keys.size >= this.limit) for (const old of [...this.keys.keys()].slice(0, this.limit / 2)) this.keys.delete(old);
    this.keys.set(key, this.now() + this.forMs);
  }
}

/** The address of the peer that connected: the socket's on Node (hosts without one pass their own reader). */
export const socketAddress = (c: Context): string | undefined =>
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;

/**
 * The client's address. Behind `trustedProxies` proxies, each of which appends the address it saw
 * to X-Forwarded-For, the client is that many entries from the right; whatever is further left was
 * written by the client and can't be believed. With no proxy (0) it is the connecting peer.
 */
export function clientAddress(c: Context, trustedProxies: number, peer: (c: Context) => string | undefined = socketAddress): string {
  const hops = [peer(c) ?? "unknown"];
  if (trustedProxies > 0) {
    const forwarded = (c.req.header("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter((hop) => hop !== "");
    hops.push(...forwarded.reverse());
  }
  return hops[Math.min(trustedProxies, hops.length - 1)]!;
}
