/**
 * Signed, expiring links to one wallet's customer page. The token names the tenant, the wallet and
 * the expiry, and carries an HMAC over them under a key derived from the server's secrets key:
 * nobody can guess one, point it at another wallet or stretch its life without the signature failing.
 */
import { z } from "zod";
import { Owner } from "../../contract/primitives.js";
import type { CustomerLink } from "../../contract/stripe.js";
import { signToken, verifyToken } from "../core/signed-tokens.js";

const Claims = z.strictObject({ t: z.string().regex(/^tnt_[0-9a-z]{26}$/), o: Owner, e: z.int().positive() });
export type LinkClaims = { tenantId: string; owner: string; expiresAt: Date };

const PURPOSE = "customer-link";

export function customerLinkToken(claims: LinkClaims): string {
  return signToken(PURPOSE, { t: claims.tenantId, o: claims.owner, e: Math.floor(claims.expiresAt.getTime() / 1000) });
}

export type LinkCheck = { ok: true; claims: LinkClaims } | { ok: false; reason: "invalid" | "expired" };

export function verifyCustomerLink(token: string, now: Date): LinkCheck {
  const check = verifyToken(PURPOSE, token, Claims, now);
  if (!check.ok) return check;
  const { t, o, e } = check.claims;
  return { ok: true, claims: { tenantId: t, owner: o, expiresAt: new Date(e * 1000) } };
}

/** A link to the wallet's customer page at the ledger's public address, valid for `days`. */
export function customerLink(tenantId: string, owner: string, now: Date, days: number, options: { publicUrl: string }): CustomerLink {
  const expiresAt = new Date(now.getTime() + days * 86_400_000);
  return { owner, url: `${options.publicUrl}/pay/${customerLinkToken({ tenantId, owner, expiresAt })}`, expiresAt: expiresAt.toISOString() };
}

/**
 * Where a customer buys credits: a signed link to their wallet's page when the ledger knows its
 * public address (LEDGER_PUBLIC_URL), else the portal settings' buy URL.
 */
export function buyLinkFor(tenantId: string, owner: string | null, now: Date, fallback: string | null): string | null {
  const publicUrl = process.env.LEDGER_PUBLIC_URL?.replace(/\/+$/, "");
  if (owner && publicUrl) {
    try {
      return customerLink(tenantId, owner, now, 30, { publicUrl }).url;
    } catch {
      // no secrets key to sign with: fall back to the configured URL
    }
  }
  return fallback;
}
