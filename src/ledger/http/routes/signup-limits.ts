/** Sign-up's path and failure allowances, apart from its route: the app's middleware reads them before the route is loaded. */
import type { RateLimit } from "../rate-limit.js";

export const SIGNUP_PATH = "/v1/signup";

/** How many failed sign-ups are allowed, and how fast they are earned back. */
export interface SignupLimits {
  /** Per client address, across every helpdesk: spent, the address is refused before any helpdesk is asked. */
  failuresPerAddress: RateLimit;
  /** Per helpdesk, from every address: spent, a failure answers 429, but the helpdesk is still asked, so its admin gets through. */
  failuresPerHelpdesk: RateLimit;
}

/**
 * A failed sign-up costs about what a wrong API key does (30 at once, then 1 a second per
 * address): enough that the few addresses of Deskpro's proxy, which every helpdesk on Deskpro Cloud
 * shares, can't be emptied by someone trying a key now and then. A helpdesk's own failures are
 * budgeted like an admin's typos: 5 at once, then 1 a minute.
 */
export const SIGNUP_LIMITS: SignupLimits = {
  failuresPerAddress: { burst: 30, perSecond: 1 },
  failuresPerHelpdesk: { burst: 5, perSecond: 1 / 60 },
};
