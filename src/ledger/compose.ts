/**
 * Where the ledger is put together: the core, and the features that hook into it. Each feature
 * registers the outbox kinds it delivers and the after-post hooks it needs here, so the core
 * knows none of them. The HTTP app, the Node server, the serverless adapters and the tests all
 * compose the ledger through `composeLedger`.
 */
import type { AllocationRun, OutboxDrainResult } from "../contract/index.js";
import type { Clock, LedgerContext } from "./core/context.js";
import { outboundFetch, outboundPolicyFromEnv, type OutboundPolicy } from "./core/outbound.js";
import { drainOutbox, type DrainOptions, type OutboxHandlers } from "./core/outbox.js";
import { allocateAll, loadConfig } from "./core/wallets.js";
import { alertHandlers, evaluateAlerts, queueExpiringNotices } from "./features/alerts.js";
import { deskproBillingHandlers, queueRecentBillingReads } from "./features/deskpro-billing.js";
import { portalTierHandlers } from "./features/portal-tiers.js";
import { defaultClientFactory, type DeskproClientFactory } from "./integrations/deskpro/connection.js";
import { deskproWriteHandlers } from "./integrations/deskpro/writes.js";
import type { Database } from "./storage/db.js";

export interface LedgerOptions {
  db: Database;
  clock?: Clock;
  /** How the ledger reaches each tenant's helpdesk (tests pass short retry timings). */
  deskproClients?: DeskproClientFactory;
  /** Where outgoing calls may go; by default public https addresses, unless LEDGER_ALLOW_PRIVATE_NETWORK=true. */
  outbound?: OutboundPolicy;
}

export interface Ledger {
  context: LedgerContext;
  /** Clients of the tenants' helpdesks, calling out under the outbound policy. */
  deskproClients: DeskproClientFactory;
  outbound: OutboundPolicy;
  /** The fetch every call to an address a tenant gave goes through (alert webhooks, helpdesks). */
  fetch: typeof fetch;
  outboxHandlers: OutboxHandlers;
  /** Delivers what is due in the outbox (every tenant's, or one's). */
  drain(options?: DrainOptions): Promise<OutboxDrainResult>;
  /** A tenant's scheduled work: every wallet's allocation for the period, then notices of credits about to expire. */
  sweep(tenantId: string): Promise<AllocationRun>;
}

export function composeLedger(options: LedgerOptions): Ledger {
  const context: LedgerContext = { db: options.db, clock: options.clock ?? (() => new Date()), afterPost: [evaluateAlerts] };
  const outbound = options.outbound ?? outboundPolicyFromEnv();
  const doFetch = outboundFetch(outbound);
  const clients = options.deskproClients ?? defaultClientFactory();
  const deskproClients: DeskproClientFactory = (connection) => clients({ ...connection, fetch: doFetch });
  const outboxHandlers: OutboxHandlers = {
    ...deskproWriteHandlers(deskproClients),
    ...portalTierHandlers(deskproClients),
    ...alertHandlers({ deskproClients, fetch: doFetch }),
    ...deskproBillingHandlers(deskproClients),
  };
  return {
    context,
    deskproClients,
    outbound,
    fetch: doFetch,
    outboxHandlers,
    drain: (drainOptions) => drainOutbox(context, outboxHandlers, drainOptions),
    sweep: async (tenantId) => {
      const run = await allocateAll(context, tenantId);
      // Tickets whose Deskpro charges changed lately are read again: an edit or delete there is counted within the hour.
      await queueRecentBillingReads(context, tenantId);
      // Expiring credits are announced after allocation, so a rollover made this run isn't
      // announced as about to lapse while the old grant it replaces is.
      const { config } = await loadConfig(context.db, tenantId);
      return { ...run, expiringNotices: await queueExpiringNotices(context.db, tenantId, config, context.clock()) };
    },
  };
}
