/**
 * The outbox: work that must happen outside the database (Deskpro write-backs, alert deliveries,
 * portal ticket jobs) is written as a row in the transaction of the change that calls for it, and
 * delivered afterwards by whoever drains: the Node server's worker, or a cron call on serverless
 * hosts. This module knows no kinds of work. Each feature declares its kinds once (`outboxKind`:
 * a name, the zod schema of the payload, whom it calls), enqueues with the kind itself
 * (`enqueueJob`) and hands a handler per kind (`handle`) to where the ledger is composed: so a kind
 * nobody declared, or a payload that isn't the kind's, doesn't compile, and a payload read back
 * from the database is parsed with the kind's schema before its handler sees it.
 *
 * Delivery is at least once, so every handler's effect is idempotent (a priority is read before
 * it is set, a message carries a marker that is looked for before posting, a ledger write has an
 * idempotency key). A failed attempt is retried with exponential back-off; a permanent failure,
 * or the MAX_ATTEMPTS-th, marks the row failed, readable with its last error.
 *
 * Tenants share the deliverer, so each gets its own lane and budget: rows are claimed tenant by
 * tenant (at most `perTenant` of one tenant at a time), several tenants' lanes run side by side
 * and a lane that finishes claims again at once without waiting for the others, each delivery has
 * a deadline, and a target (a tenant's helpdesk, its webhooks) that keeps failing for want of an
 * answer trips that tenant's circuit breaker: its rows for that target wait while the breaker is
 * open. A helpdesk that never answers therefore holds up its own tenant's lane and nobody else's.
 */
import type { z } from "zod";
import type { OutboxDrainResult } from "../../contract/portal.js";
import * as breakers from "../storage/breakers.js";
import type { Sql } from "../storage/db.js";
import * as outbox from "../storage/outbox.js";
import { repeatInBackground, type Repeating } from "./background.js";
import type { LedgerContext } from "./context.js";
import { newId } from "./ids.js";

/** Whom a kind's deliveries call: its failures count against that circuit breaker of the tenant's. */
export type OutboxTarget = "helpdesk" | "webhooks" | "stripe";

/** A kind of outbox work: the name its rows carry, the schema of its payload, and whom it calls. */
export interface OutboxKind<Name extends string = string, Payload = unknown> {
  readonly name: Name;
  readonly payload: z.ZodType<Payload>;
  readonly target: OutboxTarget;
}

/** Declares a kind of outbox work, once, beside the feature that delivers it. */
export function outboxKind<const Name extends string, Payload>(name: Name, payload: z.ZodType<Payload>, target: OutboxTarget): OutboxKind<Name, Payload> {
  return { name, payload, target };
}

export interface NewJob<Payload> {
  tenantId: string;
  /** One row per key: a second enqueue with the same key is the first one (see `coalesce`). */
  dedupeKey: string;
  payload: Payload;
  now: Date;
  /**
   * A job that coalesces: while one is pending a new request joins it (with the newer payload);
   * once it has finished, a new request makes it due again. Otherwise a key is done once, ever.
   */
  coalesce?: boolean;
}

/**
 * Writes a job of `kind` in the transaction `sql` belongs to, its payload typed by the kind.
 * Answers the id of the row that holds the dedupe key, and whether this call added it (false: a
 * job with that key was there already, and a job that doesn't coalesce is left as it was).
 */
export async function enqueueJob<Payload>(sql: Sql, kind: OutboxKind<string, Payload>, job: NewJob<NoInfer<Payload>>): Promise<{ id: string; added: boolean }> {
  const row = { id: newId("obx", job.now), tenantId: job.tenantId, kind: kind.name, dedupeKey: job.dedupeKey, payload: job.payload, now: job.now };
  const id = job.coalesce ? await outbox.enqueueCoalesced(sql, row) : await outbox.enqueue(sql, row);
  return { id, added: id === row.id };
}

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

/** What delivers one kind's rows, its payload already parsed (made by `handle`). */
export interface OutboxHandler {
  readonly kind: OutboxKind;
  deliver(payload: unknown, context: DeliveryContext): Promise<void>;
}

/** The handler of each kind of outbox row by the kind's name, as the features registered them. */
export type OutboxHandlers = ReadonlyMap<string, OutboxHandler>;

/** A failure that retrying cannot fix (bad data): the row is failed at once. */
export class PermanentFailure extends Error {
  override name = "PermanentFailure";
}

/**
 * The handler of `kind`: it gets the payload as the kind's schema parses it from the row; a row
 * whose payload doesn't parse fails at once, saying where (no values: payloads may hold messages).
 */
export function handle<Name extends string, Payload>(
  kind: OutboxKind<Name, Payload>,
  deliver: (payload: Payload, context: DeliveryContext) => Promise<void>,
): OutboxHandler {
  return {
    kind,
    deliver: async (raw, context) => {
      const parsed = kind.payload.safeParse(raw);
      if (!parsed.success) {
        const where = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(the payload)"}: ${issue.code}`).join("; ");
        throw new PermanentFailure(`the payload is not a ${kind.name} payload (${where})`);
      }
      await deliver(parsed.data, context);
    },
  };
}

/** The features' handlers by kind; a kind handled twice is a mistake in the composition. */
export function outboxHandlers(handlers: readonly OutboxHandler[]): OutboxHandlers {
  const byName = new Map<string, OutboxHandler>();
  for (const handler of handlers) {
    if (byName.has(handler.kind.name)) throw new Error(`two handlers for the outbox kind ${handler.kind.name}`);
    byName.set(handler.kind.name, handler);
  }
  return byName;
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

/** How a failed delivery failed, for the breaker and for monitoring. */
export type FailureReason = "deadline" | "unavailable" | "rejected" | "other";

/** What the deliverer reports as it works (the ledger's metrics listen). */
export interface DeliveryObserver {
  delivery(event: {
    tenantId: string;
    target: string;
    outcome: "delivered" | "retrying" | "failed" | "released";
    reason?: FailureReason;
    seconds: number;
  }): void;
}

/** The kinds of work, as the features registered them where the ledger was composed. */
export interface OutboxDelivery {
  /**
   * The handlers, asked for when first needed: a row to deliver, or a breaker held (which kinds it
   * holds). The features that deliver are loaded then, not by a process (a Lambda function's cold
   * start) that has nothing to deliver yet.
   */
  handlers: () => Promise<OutboxHandlers>;
  observer?: DeliveryObserver;
}

/** The breaker a kind's deliveries count against: the place they call (a tenant's helpdesk, its webhooks). */
const targetOf = (handlers: OutboxHandlers, kind: string): OutboxTarget => handlers.get(kind)?.kind.target ?? "helpdesk";

/** The (tenant, kind) pairs whose rows wait while these breakers are open. */
const heldKinds = (handlers: OutboxHandlers, held: readonly { tenantId: string; target: string }[]) =>
  held.flatMap((b) => [...handlers.keys()].filter((kind) => targetOf(handlers, kind) === b.target).map((kind) => [b.tenantId, kind] as const));

export interface BreakerPolicy {
  /** Failures in a row for want of an answer (time-outs, 5xx, refused connections) that open the breaker. */
  threshold: number;
  /** How long it first stays open; each further failure while it is open doubles this, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_BREAKER: BreakerPolicy = { threshold: 3, cooldownMs: 30_000, maxCooldownMs: 15 * 60_000 };

export interface DrainOptions {
  tenantId?: string | null;
  /** Rows to try in this run, at most. */
  maxRows?: number;
  /** Rows of one tenant in flight at once (and claimed at once), at most. */
  perTenant?: number;
  /** Tenants delivered to side by side, at most. */
  tenantsAtOnce?: number;
  /** How long one delivery may take before the deliverer stops waiting for it and retries it later. */
  callDeadlineMs?: number;
  /** How long a claim holds its rows from other deliverers; at least what the lane can take. */
  leaseMs?: number;
  /** Stop claiming after this time (a function's timeout): what is left waits for the next run. */
  deadline?: Date;
  breaker?: BreakerPolicy;
  /** For each lane that ends: how long it took, for the tenant's background figures. */
  onLane?: (tenantId: string, seconds: number) => void;
  /** Where a running deliverer reports a failed claim or lane (a one-off drain throws it instead). */
  onError?: (error: unknown) => void;
}

export const DEFAULT_PER_TENANT = 2;
export const DEFAULT_TENANTS_AT_ONCE = 8;
export const DEFAULT_CALL_DEADLINE_MS = 15_000;
/**
 * A delivery past its deadline may still be running (the deliverer stops waiting, it can't stop
 * the call): its row is not tried again before this, so two deliveries of a row never overlap.
 */
const ABANDONED_HOLD_MS = 60_000;

/** The deliverer gave up waiting for a delivery. */
export class DeliveryDeadline extends Error implements DeliveryError {
  override name = "DeliveryDeadline";
  readonly permanent = false;
  readonly safeToRecord = true;
  constructor(ms: number) {
    super(`no answer within ${Math.round(ms / 1000)} s (the delivery's deadline); tried again later`);
  }
}

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "EAI_AGAIN", "UND_ERR_SOCKET"]);

/** Whether the failure says the other side is not answering (rather than answering no). */
function classify(error: unknown): FailureReason {
  if (error instanceof DeliveryDeadline) return "deadline";
  if (isPermanent(error)) return "rejected";
  const e = error as { name?: unknown; code?: unknown; retryable?: unknown; cause?: { code?: unknown } } | null;
  if (e?.retryable === true || e?.name === "TimeoutError" || e?.name === "AbortError") return "unavailable";
  if (UNAVAILABLE_CODES.has(String(e?.code)) || UNAVAILABLE_CODES.has(String(e?.cause?.code))) return "unavailable";
  return "other";
}

const countsAgainstBreaker = (reason: FailureReason) => reason === "deadline" || reason === "unavailable";

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeliveryDeadline(ms)), ms);
    timer.unref?.();
  });
  work.catch(() => undefined); // an abandoned delivery's later failure is nobody's to handle
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Rows that must keep their order (a ticket's priority change, note and message) share a chain. */
function orderKeyOf(row: outbox.OutboxRow): string {
  const ticketId = (row.payload as { ticketId?: unknown } | null)?.ticketId;
  return typeof ticketId === "string" || typeof ticketId === "number" ? `ticket:${ticketId}` : `row:${row.id}`;
}

export interface Deliverer {
  /** Claims for the tenants not already in flight, and starts their lanes; resolves once claimed. */
  fill(): Promise<void>;
  /** Resolves once no lane is running and nothing is being claimed. */
  settled(): Promise<void>;
  /** Stops claiming and releases rows not yet started; resolves once running deliveries ended. */
  stop(): Promise<void>;
  readonly result: { delivered: number; retrying: number; failed: number; claims: number };
}

/**
 * A deliverer that keeps going: each tenant with due rows gets a lane of its own (at most
 * `tenantsAtOnce` at once), and a lane that ends claims again for whoever is due.
 */
export function createDeliverer(ledger: LedgerContext, delivery: OutboxDelivery, options: DrainOptions = {}): Deliverer {
  const perTenant = Math.max(1, options.perTenant ?? DEFAULT_PER_TENANT);
  const tenantsAtOnce = Math.max(1, options.tenantsAtOnce ?? DEFAULT_TENANTS_AT_ONCE);
  const callDeadlineMs = options.callDeadlineMs ?? DEFAULT_CALL_DEADLINE_MS;
  // A lane's rows are delivered within perTenant deadlines (its longest chain): the lease outlasts that.
  const leaseMs = Math.max(options.leaseMs ?? 60_000, perTenant * callDeadlineMs + 5_000);
  const maxRows = options.maxRows ?? 500;
  const policy = options.breaker ?? DEFAULT_BREAKER;
  let handlers: OutboxHandlers | undefined;
  const loadHandlers = async () => (handlers ??= await delivery.handlers());
  const result = { delivered: 0, retrying: 0, failed: 0, claims: 0 };
  const lanes = new Map<string, Promise<void>>();
  let tried = 0;
  let stopped = false;
  let filling: Promise<void> | null = null;
  let fillAgain = false;
  let laneError: unknown = null;
  const report = (error: unknown) => {
    if (options.onError) options.onError(error);
    else laneError ??= error;
  };

  const pastDeadline = () => options.deadline !== undefined && Date.now() >= options.deadline.getTime();
  const closing = () => stopped || pastDeadline();

  async function claim(): Promise<void> {
    const room = tenantsAtOnce - lanes.size;
    const left = maxRows - tried;
    if (closing() || room <= 0 || left <= 0) return;
    const now = ledger.clock();
    const troubled = await breakers.listTroubled(ledger.db, options.tenantId ?? null);
    const held = troubled.filter((b) => b.nextTryAt !== null && b.nextTryAt > now);
    const heldPairs = held.length === 0 ? [] : heldKinds(await loadHandlers(), held);
    const rows = await ledger.db.transaction((tx) =>
      outbox.claimFair(tx, now, {
        tenants: Math.min(room, Math.max(1, Math.floor(left / perTenant))),
        perTenant: Math.min(perTenant, left),
        leaseMs,
        tenantId: options.tenantId ?? null,
        busyTenants: [...lanes.keys()],
        heldTenants: heldPairs.map(([tenant]) => tenant),
        heldKinds: heldPairs.map(([, kind]) => kind),
      }),
    );
    if (rows.length === 0) return;
    const table = await loadHandlers();
    result.claims++;
    tried += rows.length;
    const byTenant = new Map<string, outbox.OutboxRow[]>();
    for (const row of rows) byTenant.set(row.tenantId, [...(byTenant.get(row.tenantId) ?? []), row]);
    for (const [tenantId, tenantRows] of byTenant) {
      const failures = new Map(troubled.filter((b) => b.tenantId === tenantId).map((b) => [b.target, b.failures]));
      const started = performance.now();
      const lane = runLane(table, tenantId, tenantRows, failures)
        .catch(report)
        .finally(() => {
          lanes.delete(tenantId);
          options.onLane?.(tenantId, (performance.now() - started) / 1000);
          // The tenant (or another) may have more due: claim again without waiting for the other lanes.
          void fill().catch(report);
        });
      lanes.set(tenantId, lane);
    }
  }

  function fill(): Promise<void> {
    if (filling) {
      fillAgain = true;
      return filling;
    }
    filling = (async () => {
      do {
        fillAgain = false;
        await claim();
      } while (fillAgain && !closing());
    })().finally(() => {
      filling = null;
    });
    return filling;
  }

  async function runLane(handlers: OutboxHandlers, tenantId: string, rows: outbox.OutboxRow[], failures: Map<string, number>): Promise<void> {
    const made = new Map<string, Promise<unknown>>();
    const opened = new Set<string>();
    const chains = new Map<string, outbox.OutboxRow[]>();
    for (const row of rows) chains.set(orderKeyOf(row), [...(chains.get(orderKeyOf(row)) ?? []), row]);

    const deliverOne = async (row: outbox.OutboxRow) => {
      const target = targetOf(handlers, row.kind);
      if (opened.has(target) || closing()) {
        await outbox.release(ledger.db, row.tenantId, row.id, ledger.clock());
        delivery.observer?.delivery({ tenantId, target, outcome: "released", seconds: 0 });
        return;
      }
      const context: DeliveryContext = {
        ledger,
        tenantId,
        now: ledger.clock(),
        row,
        perTenant: <T>(name: string, make: () => Promise<T>) => {
          let value = made.get(name) as Promise<T> | undefined;
          if (!value) {
            value = make();
            value.catch(() => made.delete(name));
            made.set(name, value);
          }
          return value;
        },
      };
      const handler = handlers.get(row.kind);
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        if (!handler) throw new PermanentFailure(`no handler for ${row.kind}`);
        await withDeadline(
          Promise.resolve().then(() => handler.deliver(row.payload, context)),
          callDeadlineMs,
        );
        await outbox.markDone(ledger.db, row.tenantId, row.id, row.generation, ledger.clock());
        result.delivered++;
        delivery.observer?.delivery({ tenantId, target, outcome: "delivered", seconds: seconds() });
        if ((failures.get(target) ?? 0) > 0) {
          failures.set(target, 0);
          await breakers.recordSuccess(ledger.db, tenantId, target, ledger.clock());
        }
      } catch (error) {
        const message = describeFailure(error);
        const reason = classify(error);
        const at = ledger.clock();
        if (isPermanent(error) || row.attempts >= MAX_ATTEMPTS) {
          await outbox.markFailed(ledger.db, row.tenantId, row.id, row.generation, message, at);
          result.failed++;
          delivery.observer?.delivery({ tenantId, target, outcome: "failed", reason, seconds: seconds() });
        } else {
          const delay = Math.max(retryDelayMs(row.attempts), reason === "deadline" ? ABANDONED_HOLD_MS : 0);
          await outbox.markRetry(ledger.db, row.tenantId, row.id, new Date(at.getTime() + delay), message, at);
          result.retrying++;
          delivery.observer?.delivery({ tenantId, target, outcome: "retrying", reason, seconds: seconds() });
        }
        if (countsAgainstBreaker(reason)) {
          const count = await breakers.recordFailure(ledger.db, tenantId, target, message, at);
          failures.set(target, count);
          if (count >= policy.threshold) {
            const cooldown = Math.min(policy.cooldownMs * 2 ** (count - policy.threshold), policy.maxCooldownMs);
            await breakers.open(ledger.db, tenantId, target, new Date(at.getTime() + cooldown), at);
            opened.add(target);
          }
        }
      }
    };
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const row of chain) await deliverOne(row);
      }),
    );
  }

  async function settled(): Promise<void> {
    for (;;) {
      if (filling) await filling;
      if (lanes.size === 0 && !filling) break;
      await Promise.race([...lanes.values(), ...(filling ? [filling] : [])]);
    }
    if (laneError !== null) {
      const error = laneError;
      laneError = null;
      throw error;
    }
  }

  return {
    fill,
    settled,
    stop: async () => {
      stopped = true;
      await settled().catch(() => undefined);
    },
    result,
  };
}

/**
 * Delivers what is due until nothing more can be claimed, `maxRows` have been tried or the
 * deadline comes: every tenant's lane side by side, each tenant's rows of one ticket in order.
 */
export async function drainOutbox(
  ledger: LedgerContext,
  delivery: OutboxDelivery,
  options: DrainOptions = {},
): Promise<OutboxDrainResult & { rounds: number }> {
  const deliverer = createDeliverer(ledger, delivery, options);
  await deliverer.fill();
  await deliverer.settled();
  const { delivered, retrying, failed, claims } = deliverer.result;
  const remaining = await outbox.countDue(ledger.db, ledger.clock(), options.tenantId ?? null);
  return { delivered, retrying, failed, remaining, rounds: claims };
}

/**
 * Delivers in the background until stopped: every `intervalMs` (and at once when poked) it claims
 * for the tenants that have no lane running, so alerts and write-backs go out within about a second
 * of their transaction, whatever another tenant's helpdesk is doing.
 */
export function startOutboxWorker(ledger: LedgerContext, delivery: OutboxDelivery, options: DrainOptions & { intervalMs?: number } = {}): Repeating {
  const onError = options.onError ?? (() => undefined);
  const deliverer = createDeliverer(ledger, delivery, { ...options, maxRows: Number.POSITIVE_INFINITY, onError });
  const repeating = repeatInBackground(() => deliverer.fill(), { intervalMs: options.intervalMs ?? 500, onError: options.onError });
  return {
    poke: () => repeating.poke(),
    stop: async () => {
      await repeating.stop();
      await deliverer.stop();
    },
  };
}
