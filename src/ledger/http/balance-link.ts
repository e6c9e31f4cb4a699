/**
 * A customer's balance link, as the pages behind it read it: the signed token in the path, checked,
 * or the page a customer is shown when it has expired (410) or isn't one of ours (404). The balance
 * page and its forms (buying a pack, auto-recharge) all start here.
 */
import type { Context } from "hono";
import { verifyCustomerLink, type LinkClaims } from "../features/customer-links.js";
import { errorPage } from "./customer-page.js";
import { coreOf, type LedgerEnv } from "./env.js";

export function balanceLinkOf(c: Context<LedgerEnv>): { claims: LinkClaims; error?: undefined } | { error: Response } {
  const check = verifyCustomerLink(c.req.param("token") ?? "", coreOf(c).clock());
  if (!check.ok)
    return {
      error: c.html(
        check.reason === "expired"
          ? errorPage("This link has expired", "For your security, balance links work for a limited time. Ask your support team for a new one.")
          : errorPage("This link is not valid", "Check that the whole link was copied, or ask your support team for a new one."),
        check.reason === "expired" ? 410 : 404,
      ),
    };
  c.set("tenantId", check.claims.tenantId);
  return { claims: check.claims };
}
