/**
 * The outbox: work that must happen outside the database (Deskpro write-backs, alert deliveries,
 * portal ticket jobs) is written as a row in the transaction of the change that calls for it, and
 * delivered afterwards by whoever drains: the Node server's worker, or a cron call on serverless
 * hosts. This module knows no kinds of work; features register a handler per kind where the
 * ledger is composed.
 *
 * Delivery is at least once, so every handler's effect is idempotent (a priority is read before
 * it is set, a message carries a marker that is looked for before posting, a ledger write has an
 * idempotency key). A failed attempt is retried with exponential back-off; a permanent failure,
 * or the MAX_ATTEMPTS-th, marks the row failed, readable with its last error.
 */
import type { OutboxDrainResult } from "../../contract/index.js";
import * as outbox from "../storage/outbox.js";
import { repeatInBackground, type Repeating } from "./background.js";
import type { LedgerContext } from "./context.js";

export interface DeliveryContext {
  ledger: LedgerContext;
  tenantId: string;
  now: Date;
  row: outbox.OutboxRow;
  /**
   * Something made once per tenant and drain (a client for the tenant's helpdesk), shared by the
   * rows of that tenant; a failed making is not remembered.
   */
  perTenant<T>(name: string, make: () => Promise<T>): Promise<T>;
}

export type OutboxHandler = (payload: unknown, context: DeliveryContext) => Promise<void>;

/** The handler of each kind of outbox row, registered by the features. */
export type OutboxHandlers = Readonly<Record<string, OutboxHandler>>;

/** A failure that retrying cannot fix (bad data): the row is failed at once. */
export class PermanentFailure extends Error {
  override name = "PermanentFailure";
}

/**
 * An error a handler may throw to say more than "it failed": whether retrying could help, and a
 * message safe to keep in the row (no secrets, no bodies of other systems).
 */
export interface DeliveryError extends Error {
  readonly permanent: boolean;
  readonly safeToRecord: true;
}
const isDeliveryError = (error: unknown): error is DeliveryError =>
  error instanceof Error && (error as Partial<DeliveryError>).safeToRecord === true && typeof (error as Partial<DeliveryError>).permanent === "boolean";

export const MAX_ATTEMPTS = 12;
const BASE_DELAY_MS = 5_000;
const MAX_DELAY_MS = 60 * 60 * 1000;

export function retryDelayMs(attempts: number): number {
  return Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_DELAY_MS);
}

/** A short, secret-free description of a failure for the row's last_error. */
export function describeFailure(error: unknown): string {
  if (error instanceof PermanentFailure || isDeliveryError(error)) return error.message;
  const name = (error as Error)?.name ?? "Error";
  const code = (error as { code?: unknown })?.code;
  return `${name}${typeof code === "string" ? ` (${code})` : ""}: ${String((error as Error)?.message ?? "").slice(0, 200)}`;
}

const isPermanent = (error: unknown) => error instanceof PermanentFailure || (isDeliveryError(error) && error.permanent);

export interface DrainOptions {
  tenantId?: string | null;
  maxRows?: number;
  batchSize?: number;
  leaseMs?: number;
}

/**
 * Delivers what is due, oldest first, until nothing is due or `maxRows` have been tried. Rows of
 * one batch are delivered in order, so a ticket's priority change, note and message keep theirs.
 */
export async function drainOutbox(ledger: LedgerContext, handlers: OutboxHandlers, options: DrainOptions = {}): Promise<OutboxDrainResult> {
  const result = { delivered: 0, retrying: 0, failed: 0, remaining: 0 };
  const tenantId = options.tenantId ?? null;
  const maxRows = options.maxRows ?? 500;
  const made = new Map<string, Promise<unknown>>();
  let tried = 0;
  while (tried < maxRows) {
    const now = ledger.clock();
    const batch = await ledger.db.transaction((tx) =>
      outbox.claimDue(tx, now, Math.min(options.batchSize ?? 25, maxRows - tried), options.leaseMs ?? 60_000, tenantId),
    );
    if (batch.length === 0) break;
    for (const row of batch) {
      tried++;
      const context: DeliveryContext = {
        ledger,
        tenantId: row.tenantId,
        now: ledger.clock(),
        row,
        perTenant: <T>(name: string, make: () => Promise<T>) => {
          const key = `${row.tenantId}|${name}`;
          let value = made.get(key) as Promise<T> | undefined;
          if (!value) {
            value = make();
            value.catch(() => made.delete(key));
            made.set(key, value);
          }
          return value;
        },
      };
      const handler = handlers[row.kind];
      try {
        if (!handler) throw new PermanentFailure(`no handler for ${row.kind}`);
        await handler(row.payload, context);
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
  handlers: OutboxHandlers,
  options: DrainOptions & { intervalMs?: number; onError?: (error: unknown) => void } = {},
): Repeating {
  return repeatInBackground(() => drainOutbox(ledger, handlers, options), { intervalMs: options.intervalMs ?? 500, onError: options.onError });
}
