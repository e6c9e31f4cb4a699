/**
 * Signed, expiring tokens for links that need no login (a customer's balance page, an overage
 * question). The token is its claims in base64url JSON and an HMAC over them under a key derived
 * for one purpose from the server's secrets key: nobody can guess one, change what it names, stretch
 * its life, or use one purpose's token for another without the signature failing.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { z } from "zod";
import { derivedKey } from "./secrets.js";

/** Longer tokens are refused before any work: the claims of every purpose fit well within it. */
const MAX_TOKEN_LENGTH = 600;

const signature = (purpose: string, payload: string) => createHmac("sha256", derivedKey(purpose)).update(payload).digest("base64url");

/** Claims carry their expiry as `e`, in whole seconds since the epoch. */
export function signToken(purpose: string, claims: { e: number } & Record<string, unknown>): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString("base64url");
  return `${payload}.${signature(purpose, payload)}`;
}

export type TokenCheck<T> = { ok: true; claims: T } | { ok: false; reason: "invalid" | "expired" };

export function verifyToken<S extends z.ZodType<{ e: number }>>(purpose: string, token: string, schema: S, now: Date): TokenCheck<z.infer<S>> {
  const [payload, given, extra] = token.split(".");
  if (!payload || !given || extra !== undefined || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: "invalid" };
  const expected = Buffer.from(signature(purpose, payload));
  const presented = Buffer.from(given);
  if (expected.length !== presented.length || !timingSafeEqual(expected, presented)) return { ok: false, reason: "invalid" };
  let claims: z.infer<S>;
  try {
    claims = schema.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8")));
  } catch {
    return { ok: false, reason: "invalid" };
  }
  if (claims.e * 1000 <= now.getTime()) return { ok: false, reason: "expired" };
  return { ok: true, claims };
}
