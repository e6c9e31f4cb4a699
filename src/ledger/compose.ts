/**
 * Where the ledger is put together: the core, and the features that hook into it. Each feature
 * registers the outbox kinds it delivers and the after-post hooks it needs here, so the core
 * knows none of them. The HTTP app, the Node server, the serverless adapters and the tests all
 * compose the ledger through `composeLedger`.
 *
 * The features are imported when first used (the first delivery, posting or sweep), not with this
 * module: a cold serverless start that answers a request which needs none of them doesn't load
 * them, nor the contract's schemas they bring.
 */
import type { AllocationRun } from "../contract/ledger.js";
import type { OutboxDrainResult } from "../contract/portal.js";
import type { Clock, LedgerContext } from "./core/context.js";
import { LedgerMetrics } from "./core/metrics.js";
import { outboundFetch, outboundPolicyFromEnv, type OutboundPolicy } from "./core/outbound.js";
import type { AfterPostHook } from "./core/context.js";
import { drainOutbox, outboxHandlers as byKind, type DrainOptions, type OutboxDelivery, type OutboxHandlers } from "./core/outbox.js";
import { defaultClientFactory, type DeskproClientFactory } from "./integrations/deskpro/connection.js";
import type { StripeApiAddress } from "./integrations/stripe/client.js";
import type { Database } from "./storage/db.js";

const wallets = () => import("./core/wallets.js");
const alerts = () => import("./features/alerts.js");
const recharge = () => import("./features/recharge.js");
const deskproBilling = () => import("./features/deskpro-billing.js");

/** An after-post hook whose feature is imported on the first posting. */
const hookFrom =
  (load: () => Promise<AfterPostHook>): AfterPostHook =>
  async (tx, posted) =>
    (await load())(tx, posted);

/** Loads once; a failed load is tried again by the next call. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

export interface LedgerOptions {
  db: Database;
  clock?: Clock;
  /** How the ledger reaches each tenant's helpdesk (tests pass short retry timings). */
  deskproClients?: DeskproClientFactory;
  /** Where outgoing calls may go; by default public https addresses, unless LEDGER_ALLOW_PRIVATE_NETWORK=true. */
  outbound?: OutboundPolicy;
  /** Another address for Stripe's API (LEDGER_STRIPE_API_URL), for the charges auto-recharge makes. */
  stripeApi?: StripeApiAddress;
}

export interface Ledger {
  context: LedgerContext;
  /** Clients of the tenants' helpdesks, calling out under the outbound policy. */
  deskproClients: DeskproClientFactory;
  outbound: OutboundPolicy;
  /** The fetch every call to an address a tenant gave goes through (alert webhooks, helpdesks). */
  fetch: typeof fetch;
  /** Every kind's handler, the features that deliver them imported on the first call. */
  outboxHandlers: () => Promise<OutboxHandlers>;
  /** The handlers, the breaker each kind counts against, and the metrics that watch deliveries. */
  outbox: OutboxDelivery;
  /** Figures for monitoring (`GET /metrics`). */
  metrics: LedgerMetrics;
  /** Delivers what is due in the outbox (every tenant's, or one's), tenants side by side. */
  drain(options?: DrainOptions): Promise<OutboxDrainResult & { rounds: number }>;
  /**
   * A tenant's scheduled work: every wallet's allocation for the period, then notices of credits
   * about to expire. `shouldStop` (a time budget) ends it early; `stoppedEarly` says so, and the
   * next run goes on.
   */
  sweep(tenantId: string, options?: { shouldStop?: () => boolean }): Promise<AllocationRun & { stoppedEarly: boolean }>;
}

export function composeLedger(options: LedgerOptions): Ledger {
  const context: LedgerContext = {
    db: options.db,
    clock: options.clock ?? (() => new Date()),
    afterPost: [hookFrom(async () => (await alerts()).evaluateAlerts), hookFrom(async () => (await recharge()).checkAutoRecharge)],
  };
  const metrics = new LedgerMetrics(options.db, context.clock);
  const outbound = options.outbound ?? outboundPolicyFromEnv();
  const doFetch = outboundFetch(outbound);
  const helpdeskFetch = metrics.timedFetch("helpdesk", doFetch);
  const webhookFetch = metrics.timedFetch("webhooks", doFetch);
  const clients = options.deskproClients ?? defaultClientFactory();
  const deskproClients: DeskproClientFactory = (connection) => clients({ ...connection, fetch: helpdeskFetch });
  // Every kind of outbox work, each declared (name, payload schema, whom it calls) beside its
  // handler, in the feature that delivers it: all of them are imported together on the first
  // delivery (or the first held breaker), which may be of any kind.
  const outboxHandlers = once(async () => {
    const [writes, portalTiers, alertFeature, billing, rechargeFeature] = await Promise.all([
      import("./integrations/deskpro/writes.js"),
      import("./features/portal-tiers.js"),
      alerts(),
      deskproBilling(),
      recharge(),
    ]);
    return byKind([
      ...writes.deskproWriteHandlers(deskproClients),
      ...portalTiers.portalTierHandlers(deskproClients),
      ...alertFeature.alertHandlers({ deskproClients, fetch: webhookFetch }),
      ...billing.deskproBillingHandlers(deskproClients),
      ...rechargeFeature.rechargeHandlers({ deskproClients, ...(options.stripeApi ? { stripeApi: options.stripeApi } : {}) }),
    ]);
  });
  const outbox: OutboxDelivery = { handlers: outboxHandlers, observer: metrics };
  return {
    context,
    deskproClients,
    outbound,
    fetch: webhookFetch,
    outboxHandlers,
    outbox,
    metrics,
    drain: (drainOptions) =>
      drainOutbox(context, outbox, {
        ...drainOptions,
        onLane: drainOptions?.onLane ?? ((tenantId, seconds) => metrics.background(tenantId, "outbox", seconds)),
      }),
    sweep: async (tenantId, sweepOptions = {}) => {
      const { allocateAll, loadConfig } = await wallets();
      const run = await allocateAll(context, tenantId, sweepOptions);
      // Out of time: notices wait for the run that finishes the allocations.
      if (run.stoppedEarly) return { ...run, expiringNotices: 0 };
      // Tickets whose Deskpro charges changed lately are read again: an edit or delete there is counted within the hour.
      await (await deskproBilling()).queueRecentBillingReads(context, tenantId);
      // Expiring credits are announced after allocation, so a rollover made this run isn't
      // announced as about to lapse while the old grant it replaces is.
      const { config } = await loadConfig(context.db, tenantId);
      return { ...run, expiringNotices: await (await alerts()).queueExpiringNotices(context.db, tenantId, config, context.clock()) };
    },
  };
}
