/**
 * The tenant's Stripe client. The `stripe` package is loaded on the first payment, not at start,
 * so a cold serverless start doesn't pay for it; every feature that talks to Stripe (card buying,
 * receipts, invoices, auto-recharge) makes its client here.
 */
import type Stripe from "stripe";

/** Where the `stripe` package sends API calls, when not to Stripe's own https://api.stripe.com. */
export interface StripeApiAddress {
  protocol: "http" | "https";
  host: string;
  port: number;
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
