/**
 * Delivers the outbox: claims due rows, runs each row's handler and records the outcome. Delivery
 * is at least once, so every handler's effect is idempotent: a priority is read before it is set,
 * a message carries a marker that is looked for before posting, a ledger write has an
 * idempotency key. A failed attempt is retried with exponential back-off; after MAX_ATTEMPTS the
 * row is marked failed and stays readable with its last error.
 */
import type { OutboxDrainResult } from "../contract/index.js";
import { repeatInBackground, type Repeating } from "./background.js";
import { DeskproError } from "./integrations/deskpro/client.js";
import { clientFor, defaultClientFactory, DeskproNotConnected, type DeskproClientFactory } from "./integrations/deskpro/connection.js";
import type { DeskproClient } from "./integrations/deskpro/client.js";
import { deliverDeskproMessage, deliverPriority, type MessagePayload, type PriorityPayload } from "./integrations/deskpro/writes.js";
import { processPortalJob, type PortalJobPayload } from "./portal.js";
import { alertHandlers } from "./alerts.js";
import type { LedgerContext } from "./service.js";
import * as outbox from "./storage/outbox.js";

export interface OutboxOptions {
  /** Makes Deskpro clients (tests pass retry timings; the default talks to the tenant's helpdesk). */
  deskproClients?: DeskproClientFactory;
  /** Outgoing alert webhooks' fetch (tests intercept it). */
  fetch?: typeof fetch;
  batchSize?: number;
  leaseMs?: number;
}

export interface DeliveryContext {
  ledger: LedgerContext;
  tenantId: string;
  now: Date;
  deskpro(): Promise<DeskproClient>;
  options: OutboxOptions;
}

export type OutboxHandler = (payload: unknown, context: DeliveryContext, row: outbox.OutboxRow) => Promise<void>;

/** A failure that retrying cannot fix (bad data): the row is failed at once. */
export class PermanentFailure extends Error {
  override name = "PermanentFailure";
}

const handlers: Record<string, OutboxHandler> = {
  "deskpro.set_priority": (payload, context) => deliverPriority(payload as PriorityPayload, context),
  "deskpro.message": (payload, context) => deliverDeskproMessage(payload as MessagePayload, context),
  "portal.job": (payload, context) => processPortalJob(payload as PortalJobPayload, context),
  ...alertHandlers,
};

export const MAX_ATTEMPTS = 12;
const BASE_DELAY_MS = 5_000;
const MAX_DELAY_MS = 60 * 60 * 1000;

export function retryDelayMs(attempts: number): number {
  return Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/** A short, secret-free description of a failure for the row's last_error. */
export function describeFailure(error: unknown): string {
  if (error instanceof DeskproError) return error.message;
  if (error instanceof DeskproNotConnected || error instanceof PermanentFailure) return error.message;
  const name = (error as Error)?.name ?? "Error";
  const code = (error as { code?: unknown })?.code;
  return `${name}${typeof code === "string" ? ` (${code})` : ""}: ${String((error as Error)?.message ?? "").slice(0, 200)}`;
}

function isPermanent(error: unknown): boolean {
  if (error instanceof PermanentFailure) return true;
  // 4xx other than 429 will answer the same next time (a deleted ticket, a bad priority id).
  return error instanceof DeskproError && !error.retryable && error.status !== null && error.status >= 400 && error.status < 500;
}

/**
 * Delivers what is due, oldest first, until nothing is due or `maxRows` have been tried. Rows of
 * one batch are delivered in order, so a ticket's priority change, note and message keep theirs.
 */
export async function drainOutbox(
  ledger: LedgerContext,
  options: OutboxOptions & { tenantId?: string | null; maxRows?: number } = {},
): Promise<OutboxDrainResult> {
  const result = { delivered: 0, retrying: 0, failed: 0, remaining: 0 };
  const factory = options.deskproClients ?? defaultClientFactory();
  const tenantId = options.tenantId ?? null;
  const maxRows = options.maxRows ?? 500;
  const clients = new Map<string, Promise<DeskproClient>>();
  let tried = 0;
  while (tried < maxRows) {
    const now = ledger.clock();
    const batch = await ledger.db.transaction((tx) => outbox.claimDue(tx, now, Math.min(options.batchSize ?? 25, maxRows - tried), options.leaseMs ?? 60_000, tenantId));
    if (batch.length === 0) break;
    for (const row of batch) {
      tried++;
      const context: DeliveryContext = {
        ledger,
        tenantId: row.tenantId,
        now: ledger.clock(),
        options,
        deskpro: () => {
          let client = clients.get(row.tenantId);
          if (!client) {
            client = clientFor(ledger.db, row.tenantId, factory);
            client.catch(() => clients.delete(row.tenantId));
            clients.set(row.tenantId, client);
          }
          return client;
        },
      };
      const handler = handlers[row.kind];
      try {
        if (!handler) throw new PermanentFailure(`no handler for ${row.kind}`);
        await handler(row.payload, context, row);
        await outbox.markDone(ledger.db, row.id, row.generation, ledger.clock());
        result.delivered++;
      } catch (error) {
        const message = describeFailure(error);
        if (isPermanent(error) || row.attempts >= MAX_ATTEMPTS) {
          await outbox.markFailed(ledger.db, row.id, row.generation, message, ledger.clock());
          result.failed++;
        } else {
          const at = ledger.clock();
          await outbox.markRetry(ledger.db, row.id, new Date(at.getTime() + retryDelayMs(row.attempts)), message, at);
          result.retrying++;
        }
      }
    }
  }
  result.remaining = await outbox.countDue(ledger.db, ledger.clock(), tenantId);
  return result;
}

/**
 * Drains in the background every `intervalMs` (and at once when poked) until stopped: alerts and
 * write-backs go out within about a second of their transaction.
 */
export function startOutboxWorker(
  ledger: LedgerContext,
  options: OutboxOptions & { intervalMs?: number; onError?: (error: unknown) => void } = {},
): Repeating {
  return repeatInBackground(() => drainOutbox(ledger, options), { intervalMs: options.intervalMs ?? 500, onError: options.onError });
}
