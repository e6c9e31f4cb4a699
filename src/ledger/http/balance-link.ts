/**
 * A customer's balance link, as the pages behind it read it: the signed token in the path, checked,
 * or the page a customer is shown when it has expired (410) or isn't one of ours (404). The balance
 * page and its forms (buying a pack, auto-recharge) all start here.
 */
import type { Context } from "hono";
import type { TokenCheck } from "../core/signed-tokens.js";
import { verifyCustomerLink, type LinkClaims } from "../features/customer-links.js";
import { errorPage } from "./customer-page.js";
import { coreOf, type LedgerEnv } from "./env.js";

export function balanceLinkOf(c: Context<LedgerEnv>): { claims: LinkClaims; error?: undefined } | { error: Response } {
  return signedLinkOf(c, verifyCustomerLink, {
    expired: "For your security, balance links work for a limited time. Ask your support team for a new one.",
    invalid: "Check that the whole link was copied, or ask your support team for a new one.",
  });
}

/**
 * A signed link in the path (`:token`), checked with `verify`: its claims, with the request's
 * tenant set from them, or the page a customer is shown, with what to do next, when it has
 * expired (410) or isn't one of ours (404). Balance links and overage questions both read theirs so.
 */
export function signedLinkOf<Claims extends { tenantId: string }>(
  c: Context<LedgerEnv>,
  verify: (token: string, now: Date) => TokenCheck<Claims>,
  whatNext: { expired: string; invalid: string },
): { claims: Claims; error?: undefined } | { error: Response } {
  const check = verify(c.req.param("token") ?? "", coreOf(c).clock());
  if (!check.ok)
    return {
      error: c.html(
        check.reason === "expired" ? errorPage("This link has expired", whatNext.expired) : errorPage("This link is not valid", whatNext.invalid),
        check.reason === "expired" ? 410 : 404,
      ),
    };
  c.set("tenantId", check.claims.tenantId);
  return { claims: check.claims };
}
