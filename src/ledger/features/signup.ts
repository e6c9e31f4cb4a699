/**
 * Self-service sign-up: a helpdesk admin connects their Deskpro to this ledger from the app's
 * settings page. The ledger asks the helpdesk itself who the given Deskpro API key belongs to
 * (`GET /api/v2/me`, under the path Deskpro's `helpdesk/discover` names when the helpdesk is
 * served under one) and goes on only if that person is an admin there; it then makes (or, for a
 * helpdesk it knows, re-keys) the helpdesk's one tenant and keeps the Deskpro key as the tenant's
 * helpdesk connection, in one transaction. The tenant is found by the helpdesk's origin and by
 * nothing the caller can choose, so no sign-up can reach another helpdesk's tenant.
 */
import type { HelpdeskSignup, HelpdeskSignupRequest } from "../../contract/setup.js";
import type { LedgerContext } from "../core/context.js";
import { InvalidRequest, LedgerError } from "../core/errors.js";
import { canonicalOrigin, checkOutboundUrl, UrlNotAllowed, type OutboundPolicy } from "../core/outbound.js";
import { signUpHelpdeskTenant } from "../core/tenants.js";
import { DeskproError, DeskproOverLimit } from "../integrations/deskpro/client.js";
import { putConnection, type DeskproClientFactory } from "../integrations/deskpro/connection.js";
import { deskproProblem } from "./wallet-facts.js";

/** The operator turned self-service sign-up off (LEDGER_SIGNUP=off): tenants are made with the CLI. */
export class SignupDisabled extends LedgerError {
  readonly code = "signup_disabled";
  constructor() {
    super("This ledger does not take sign-ups: its operator makes tenants (npm run ledger -- tenant create) and gives you the key to paste.");
  }
}

/** The Deskpro API key does not prove that its holder administers the helpdesk. */
export class NotHelpdeskAdmin extends LedgerError {
  readonly code = "not_helpdesk_admin";
}

/**
 * The helpdesk did not answer: its name doesn't resolve, resolves to an address the ledger may not
 * call, or nothing answered there. One answer for all of these, so that sign-up, which anyone may
 * call, tells no one which internal names exist (the settings page's connection test, which needs
 * a tenant key, names the rule that refused an address).
 */
export class HelpdeskUnreachable extends LedgerError {
  readonly code = "deskpro_unavailable";
  constructor() {
    super("No Deskpro answered at this address. Check the helpdesk's address (as in your browser's address bar) and try again. Nothing was made.");
  }
}

/**
 * The helpdesk's origin (scheme, host, port; lower case, no trailing dot, default port left out),
 * the one thing a tenant is bound to. https only, unless the operator allows private networks
 * (development hosts and tests with a stand-in on this machine).
 */
export function helpdeskOrigin(url: string, allowHttp: boolean): string {
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && !(allowHttp && parsed.protocol === "http:")) {
    throw new InvalidRequest("The helpdesk's address must start with https://", [{ path: "body.helpdeskUrl", message: "must be https" }]);
  }
  if (parsed.username || parsed.password) {
    throw new InvalidRequest("Leave credentials out of the helpdesk's address.", [{ path: "body.helpdeskUrl", message: "no credentials" }]);
  }
  const origin = canonicalOrigin(parsed);
  if (!origin) throw new InvalidRequest("The helpdesk's address has no host name.", [{ path: "body.helpdeskUrl", message: "needs a host name" }]);
  return origin;
}

/**
 * The origin a sign-up would ask, after every check that needs nothing but the address as
 * written (scheme, credentials, a literal address that is not public). These refusals cost the
 * caller nothing: no call leaves the ledger for them.
 */
export function signupOrigin(url: string, outbound: OutboundPolicy): string {
  const origin = helpdeskOrigin(url, outbound.allowPrivateNetwork);
  checkOutboundUrl(origin, outbound, "body.helpdeskUrl");
  return origin;
}

/**
 * The tenant's name, from the helpdesk's host (and port): letters, digits, '.', '_' and '-' as
 * `TenantName` wants them, whatever the host is (an IPv6 address is all colons and brackets).
 */
export function helpdeskTenantName(origin: string): string {
  const { hostname, port } = new URL(origin);
  const name = `${hostname.replace(/^\[|\]$/g, "")}${port ? `-${port}` : ""}`
    .replace(/[^\p{L}\p{N}._-]/gu, "-")
    .replace(/^[^\p{L}\p{N}]+/u, "")
    .slice(0, 80);
  return name === "" ? "helpdesk" : name;
}

/** The most sub-paths of the address given that are asked where the helpdesk's API is. */
const DISCOVER_TRIES = 3;

/**
 * Where the helpdesk answers its API: the origin itself, unless the address given has a path and
 * Deskpro's public `helpdesk/discover`, asked under that path (then under each shorter one), names
 * a `base_api_url` on the same origin (a helpdesk served under a sub-path, `/support/api/v2/`).
 * Anything else (no answer, another origin, not Deskpro's shape) leaves the origin, as before.
 */
export async function helpdeskBase(origin: string, helpdeskUrl: string, deskproApiKey: string, options: SignupOptions): Promise<string> {
  const segments = new URL(helpdeskUrl).pathname.split("/").filter((s) => s !== "");
  for (let depth = segments.length; depth > 0 && segments.length - depth < DISCOVER_TRIES; depth--) {
    const candidate = `${origin}/${segments.slice(0, depth).join("/")}`;
    try {
      const found = await options.clients({ baseUrl: candidate, apiKey: deskproApiKey, retries: 0 }).discover();
      const api = found.base_api_url ? new URL(found.base_api_url) : null;
      if (api && canonicalOrigin(api) === origin && /\/api\/v2\/?$/.test(api.pathname)) {
        return `${origin}${api.pathname.replace(/\/api\/v2\/?$/, "")}`;
      }
    } catch {
      // Not the helpdesk's API here (a page of the agent interface, a 404): try a shorter path.
    }
  }
  return origin;
}

export interface SignupOptions {
  clients: DeskproClientFactory;
  /** Where outgoing calls may go: http:// and private helpdesks only with LEDGER_ALLOW_PRIVATE_NETWORK=true. */
  outbound: OutboundPolicy;
}

export async function signUpHelpdesk(ledger: LedgerContext, request: HelpdeskSignupRequest, options: SignupOptions): Promise<HelpdeskSignup> {
  const origin = signupOrigin(request.helpdeskUrl, options.outbound);
  // Through the ledger's one Deskpro client, so every rule for outgoing calls applies here too. An
  // admin is waiting, and a retry would make a name that doesn't resolve slower to answer than one
  // refused for resolving to an internal address: one try.
  const base = await helpdeskBase(origin, request.helpdeskUrl, request.deskproApiKey, options);
  const client = options.clients({ baseUrl: base, apiKey: request.deskproApiKey, retries: 0 });
  let me;
  try {
    me = await client.getMe();
  } catch (error) {
    if (error instanceof DeskproError && (error.status === 401 || error.status === 403)) {
      throw new NotHelpdeskAdmin(`${origin} refused the Deskpro API key (${error.status}). Check its id and code, and that it is enabled.`);
    }
    // Refused and unreachable get one answer. An over-limit answer (no status either) came from an
    // address the ledger may call and did reach, so saying so maps nothing internal: it gets the
    // answer it gets everywhere else (deskpro_over_limit).
    if (error instanceof UrlNotAllowed || (error instanceof DeskproError && error.status === null && !(error instanceof DeskproOverLimit))) {
      throw new HelpdeskUnreachable();
    }
    if (error instanceof DeskproError) throw deskproProblem(error);
    throw error;
  }
  const person = me.person ?? null;
  if (person?.can_admin !== true && person?.can_admin !== 1) {
    throw new NotHelpdeskAdmin(
      `The Deskpro API key acts as ${person?.name ?? person?.display_name ?? "someone"} who is not an admin of ${origin}. Use a key bound to an admin.`,
    );
  }
  const adminName = person.name ?? person.display_name ?? null;
  const now = ledger.clock();
  return signUpHelpdeskTenant(
    ledger.db,
    { helpdeskOrigin: origin, name: helpdeskTenantName(origin) },
    async (tx, tenant) => {
      // The same key is the ledger's helpdesk connection (what `deskpro connect` does by hand).
      await putConnection(tx, tenant.tenantId, { url: base, apiKey: request.deskproApiKey }, now, options.outbound);
      return { tenantId: tenant.tenantId, apiKey: tenant.apiKey, helpdeskUrl: base, created: tenant.created, adminName };
    },
    now,
  );
}
