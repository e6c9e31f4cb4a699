/** Self-service sign-up from the app's settings page: the one /v1 route that takes no tenant key. */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { HelpdeskSignup, HelpdeskSignupRequest } from "../../../contract/setup.js";
import { HelpdeskUnreachable, NotHelpdeskAdmin, SignupDisabled, signupOrigin, signUpHelpdesk } from "../../features/signup.js";
import { DeskproAnswerOverLimit, DeskproUnavailable } from "../../features/wallet-facts.js";
import { coreOf, newRouter } from "../env.js";
import { json, jsonBody, problem, rateLimitedProblem, unexpectedProblem } from "../openapi.js";
import { problemResponse } from "../problems.js";
import { TokenBuckets } from "../rate-limit.js";
import { SIGNUP_LIMITS, SIGNUP_PATH, type SignupLimits } from "./signup-limits.js";

export interface SignupRouteOptions {
  /** False when the operator turned sign-up off (LEDGER_SIGNUP=off). */
  enabled: boolean;
  /** The client's address, as the app's other rate limits read it. */
  addressOf: (c: Context) => string;
  /** Failed sign-ups allowed (tests lower them). */
  limits?: Partial<SignupLimits>;
}

const retryAfter = (refused: Response) => refused.headers.get("retry-after") ?? "60";

export function signupRoutes(options: SignupRouteOptions) {
  const app = newRouter();
  if (!options.enabled) {
    // Off: left out of the OpenAPI document, and a call is told why (the Connect page says so).
    app.post(SIGNUP_PATH, () => {
      throw new SignupDisabled();
    });
    return app;
  }
  const limits = { ...SIGNUP_LIMITS, ...options.limits };
  const byAddress = new TokenBuckets(limits.failuresPerAddress);
  const byHelpdesk = new TokenBuckets(limits.failuresPerHelpdesk);
  app.openapi(
    createRoute({
      method: "post",
      path: SIGNUP_PATH,
      operationId: "signUpHelpdesk",
      tags: ["Sign-up"],
      summary: "Connect a Deskpro helpdesk: make (or re-key) its tenant after proving the caller administers it",
      description: [
        "Called by the app's settings page (**Connect this helpdesk**), without a tenant key. The ledger calls the helpdesk's own `GET /api/v2/me` with the Deskpro API key given and goes on only when the key's person has `can_admin`.",
        "The helpdesk's first sign-up makes its tenant; a later one (a reinstall, a lost key) proves admin again and replaces the tenant's keys: the answer's key is the only one that works afterwards. The tenant is found by the helpdesk's origin alone (`https://support.example.com.` is `https://support.example.com`), so no sign-up reaches another helpdesk's tenant.",
        "The Deskpro API key becomes the tenant's helpdesk connection (sealed at rest). The answer's `apiKey` is shown once.",
        "Only failures count against the limits: a key the helpdesk refuses or that is not an admin's, or a helpdesk that did not answer or answered more than the ledger reads. A client address may fail 30 times at once, then once a second; beyond that it gets 429 before any helpdesk is asked. A helpdesk may see 5 failures at once, then one a minute, from all addresses together; beyond that failures answer 429, but the helpdesk is still asked, so its admin's key always connects. Addresses refused without asking anyone (not https, credentials in the address, an address that is not public) cost nothing.",
      ].join("\n\n"),
      security: [],
      request: jsonBody(HelpdeskSignupRequest),
      responses: {
        200: json(HelpdeskSignup, "The tenant and its new key (shown once)"),
        400: problem("Invalid request, or a helpdesk address that is not https (`invalid_request`) or not a public address (`url_not_allowed`)"),
        403: problem("`not_helpdesk_admin`: Deskpro refused the key, or it is not an admin's; `signup_disabled`: sign-up is off"),
        429: rateLimitedProblem,
        502: problem(
          "`deskpro_unavailable`: no Deskpro answered at the address (it doesn't resolve, resolves to an address the ledger may not call, or nothing answered), or it answered with an error; `deskpro_over_limit`: it answered more than the ledger reads (with `limit`); nothing was made",
        ),
        503: problem("The server has no key to seal secrets with; nothing was made"),
        default: unexpectedProblem,
      },
    }),
    async (c) => {
      const request = c.req.valid("json");
      const ledger = c.get("ledger");
      // Refusals that need nothing but the address as written cost nothing.
      const origin = signupOrigin(request.helpdeskUrl, ledger.outbound);
      const address = options.addressOf(c);
      // A try takes its tokens before the helpdesk is asked (so concurrent tries can't all slip
      // past an allowance) and gets them back unless the helpdesk was asked and gave no proof.
      const addressRefused = byAddress.take(address);
      if (addressRefused) {
        const wait = retryAfter(addressRefused);
        return problemResponse("rate_limited", `Too many failed sign-ups from this address; retry in ${wait} s.`, {}, { "retry-after": wait }) as never;
      }
      // Strangers can spend a helpdesk's failures, so spending them never keeps the helpdesk from
      // being asked: its `GET /api/v2/me` proving an admin is worth more than any allowance.
      const helpdeskRefused = byHelpdesk.take(origin);
      try {
        const signup = await signUpHelpdesk(coreOf(c), request, { clients: ledger.deskproClients, outbound: ledger.outbound });
        byAddress.giveBack(address);
        if (!helpdeskRefused) byHelpdesk.giveBack(origin);
        return c.json(signup, 200);
      } catch (error) {
        const failed =
          error instanceof NotHelpdeskAdmin ||
          error instanceof HelpdeskUnreachable ||
          error instanceof DeskproUnavailable ||
          error instanceof DeskproAnswerOverLimit;
        if (!failed) {
          byAddress.giveBack(address);
          if (!helpdeskRefused) byHelpdesk.giveBack(origin);
        } else if (helpdeskRefused) {
          const wait = retryAfter(helpdeskRefused);
          return problemResponse(
            "rate_limited",
            `This helpdesk has had too many failed sign-ups lately, and this one failed too (the key was not accepted, or no Deskpro answered). An admin's Deskpro API key still connects at once; try others again in ${wait} s.`,
            {},
            { "retry-after": wait },
          ) as never;
        }
        throw error;
      }
    },
  );
  return app;
}
