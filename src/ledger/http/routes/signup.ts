/** Self-service sign-up from the app's settings page: the one /v1 route that takes no tenant key. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HelpdeskSignup, HelpdeskSignupRequest } from "../../../contract/index.js";
import { SignupDisabled, signUpHelpdesk } from "../../features/signup.js";
import { coreOf, newRouter } from "../env.js";
import { json, jsonBody, problem, rateLimitedProblem, unexpectedProblem } from "../openapi.js";
import { TokenBuckets, type RateLimit } from "../rate-limit.js";

export const SIGNUP_PATH = "/v1/signup";

export interface SignupRouteOptions {
  /** False when the operator turned sign-up off (LEDGER_SIGNUP=off). */
  enabled: boolean;
  /** The client's address, as the app's other rate limits read it. */
  addressOf: (c: Context) => string;
  /** Sign-ups a client address may try in a burst, and how fast it earns them back. */
  limit?: RateLimit;
}

/** Five tries at once, then one a minute per helpdesk and client address: enough for an admin's typos, little for guessing. */
export const SIGNUP_RATE_LIMIT = { burst: 5, perSecond: 1 / 60 };

export function signupRoutes(options: SignupRouteOptions) {
  const app = newRouter();
  const buckets = new TokenBuckets(options.limit ?? SIGNUP_RATE_LIMIT);
  app.openapi(
    createRoute({
      method: "post",
      path: SIGNUP_PATH,
      operationId: "signUpHelpdesk",
      tags: ["Sign-up"],
      summary: "Connect a Deskpro helpdesk: make (or re-key) its tenant after proving the caller administers it",
      description: [
        "Called by the app's settings page (**Connect this helpdesk**), without a tenant key. The ledger calls the helpdesk's own `GET /api/v2/me` with the Deskpro API key given and goes on only when the key's person has `can_admin`.",
        "The helpdesk's first sign-up makes its tenant; a later one (a reinstall, a lost key) proves admin again and replaces the tenant's keys: the answer's key is the only one that works afterwards. The tenant is found by the helpdesk's origin alone, so no sign-up reaches another helpdesk's tenant.",
        "The Deskpro API key becomes the tenant's helpdesk connection (sealed at rest). The answer's `apiKey` is shown once. Rate limited per helpdesk and client address; 403 `signup_disabled` when the operator turned sign-up off (`LEDGER_SIGNUP=off`).",
      ].join("\n\n"),
      security: [],
      request: jsonBody(HelpdeskSignupRequest),
      responses: {
        200: json(HelpdeskSignup, "The tenant and its new key (shown once)"),
        400: problem("Invalid request, or a helpdesk address that is not https"),
        403: problem("`not_helpdesk_admin`: Deskpro refused the key, or it is not an admin's; `signup_disabled`: sign-up is off"),
        429: rateLimitedProblem,
        502: problem("The helpdesk did not answer; nothing was made"),
        503: problem("The server has no key to seal secrets with; nothing was made"),
        default: unexpectedProblem,
      },
    }),
    async (c) => {
      if (!options.enabled) throw new SignupDisabled();
      const request = c.req.valid("json");
      // Sign-ups come through Deskpro's admin proxy, from a few addresses that every helpdesk on
      // Deskpro Cloud shares: each helpdesk gets its own allowance there, so one helpdesk's tries
      // (or an attacker's guesses at one helpdesk's keys) don't hold up another's. Everything
      // without a key is also limited per address, which caps the total.
      const refused = buckets.take(`${options.addressOf(c)}|${new URL(request.helpdeskUrl).origin.toLowerCase()}`);
      if (refused) return refused as never;
      const ledger = c.get("ledger");
      return c.json(await signUpHelpdesk(coreOf(c), request, { clients: ledger.deskproClients, outbound: ledger.outbound }), 200);
    },
  );
  return app;
}
