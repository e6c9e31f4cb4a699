/**
 * The tenant's Stripe client. The `stripe` package is loaded on the first payment, not at start,
 * so a cold serverless start doesn't pay for it; every feature that talks to Stripe (card buying,
 * receipts, invoices, auto-recharge) makes its client here.
 */
import type Stripe from "stripe";
import { checkOutboundUrl, type OutboundPolicy } from "../../core/outbound.js";

/** Where the `stripe` package sends API calls, when not to Stripe's own https://api.stripe.com. */
export interface StripeApiAddress {
  protocol: "http" | "https";
  host: string;
  port: number;
}

/**
 * LEDGER_STRIPE_API_URL as the `stripe` package's host, port and protocol. Like every outgoing
 * address it must be https and public unless the operator allows private networks; it names a
 * server only (the package adds the `/v1/…` paths itself).
 */
export function stripeApiAddress(url: string, policy: OutboundPolicy): StripeApiAddress {
  let parsed: URL;
  try {
    parsed = checkOutboundUrl(url, policy);
  } catch (error) {
    throw new Error(`LEDGER_STRIPE_API_URL ${(error as Error).message.replace(/^The URL /, "")}`, { cause: error });
  }
  if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search || parsed.hash)
    throw new Error("LEDGER_STRIPE_API_URL must be a server's address only, such as https://stripe.example.com (no path, query or fragment).");
  const protocol = parsed.protocol === "http:" ? "http" : "https";
  return { protocol, host: parsed.hostname.replace(/^\[(.*)\]$/, "$1"), port: parsed.port ? Number(parsed.port) : protocol === "http" ? 80 : 443 };
}

let stripePackage: Promise<typeof Stripe> | undefined;
export const loadStripe = (): Promise<typeof Stripe> => (stripePackage ??= import("stripe").then((m) => m.default));

export async function newStripeClient(secretKey: string, api?: StripeApiAddress): Promise<Stripe> {
  const StripeSdk = await loadStripe();
  // Stripe's fetch client: the same code on Node and serverless hosts; retries are Stripe's own,
  // with its idempotency keys.
  return new StripeSdk(secretKey, {
    httpClient: StripeSdk.createFetchHttpClient(),
    maxNetworkRetries: 2,
    timeout: 15_000,
    ...(api ? { protocol: api.protocol, host: api.host, port: api.port } : {}),
  });
}

type StripeErrorClasses = (typeof Stripe)["errors"];
type StripeErrorType = "StripeCardError" | "StripeInvalidRequestError" | "StripeIdempotencyError";

/**
 * Whether an error the `stripe` package threw is of one of its kinds, told by its documented
 * `type` field, so a caller needn't load the package to ask.
 */
export function isStripeError<K extends StripeErrorType>(error: unknown, type: K): error is InstanceType<StripeErrorClasses[K]> {
  return typeof error === "object" && error !== null && (error as { type?: unknown }).type === type;
}
