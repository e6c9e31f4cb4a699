/**
 * One deliverer serves every tenant: a helpdesk that accepts connections and never answers must
 * hold up only its own tenant. Two tenants, each with a loopback stand-in for its helpdesk: the
 * hostile one accepts and never answers, the quiet one answers at once. The quiet tenant's
 * write-back must arrive while the hostile one's calls are still hanging, in the Node process's
 * worker and in the one-off run a Lambda's schedule makes (`runCron`); after a few failures in a
 * row the hostile tenant's breaker opens, is stored and shown, and its helpdesk is left alone.
 * Each backend on a database of its own: the deliverer claims every tenant's rows.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutboxPage } from "../../src/contract/index.js";
import { composeLedger, type Ledger } from "../../src/ledger/compose.js";
import { startOutboxWorker } from "../../src/ledger/core/outbox.js";
import { createTenant, suspendTenant, resumeTenant } from "../../src/ledger/core/tenants.js";
import { runCron } from "../../src/ledger/cron.js";
import { createLedgerApp } from "../../src/ledger/http/app.js";
import { putConnection } from "../../src/ledger/integrations/deskpro/connection.js";
import { enqueuePriority } from "../../src/ledger/integrations/deskpro/writes.js";
import * as breakers from "../../src/ledger/storage/breakers.js";
import { openDatabase, type Database } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import * as outbox from "../../src/ledger/storage/outbox.js";
import { backendName, backends, createScratchDatabase, type Backend, type ScratchDatabase } from "../helpers/ledger.js";
import { hang, listenStandIn } from "../helpers/stand-in-helpdesk.js";

process.env.LEDGER_SECRETS_KEY ??= randomBytes(32).toString("base64");

const LOOPBACK = { allowPrivateNetwork: true };
const DESKPRO_KEY = "3:Qw7Er9Ty2Ui4Op6A";

/** What the stand-ins saw, in the order they saw it. */
class Timeline {
  readonly events: string[] = [];
  hanging = 0;
  /** How many hostile calls were hanging when each quiet write-back arrived. */
  readonly hangingAtQuietPut: number[] = [];
}

interface StandIn {
  url: string;
  requests: number;
  /** The paths asked for, in order. */
  paths: string[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A helpdesk that accepts every connection and reads every request, and never answers. */
async function hangingHelpdesk(timeline: Timeline, name: string): Promise<StandIn> {
  const paths: string[] = [];
  const standIn = await listenStandIn(DESKPRO_KEY, hang, {
    onRequest: (request) => {
      paths.push(request.url ?? "");
      timeline.hanging++;
      timeline.events.push(`${name}:request`);
    },
    onAbandoned: () => {
      timeline.hanging--;
      timeline.events.push(`${name}:closed`);
    },
  });
  return {
    url: standIn.url,
    get requests() {
      return standIn.requests();
    },
    paths,
    close: standIn.close,
  };
}

/**
 * A helpdesk that answers: a ticket with no priority, and 204 to setting one. `firstWait` holds its
 * answers until something has happened elsewhere (the hostile helpdesk has a call hanging).
 */
async function quietHelpdesk(timeline: Timeline, name: string, firstWait?: () => Promise<void>): Promise<StandIn> {
  const standIn: StandIn = { url: "", requests: 0, paths: [], close: async () => undefined };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    standIn.requests++;
    standIn.paths.push(request.url ?? "");
    request.resume();
    await firstWait?.();
    const id = Number(/\/api\/v2\/tickets\/(\d+)/.exec(request.url ?? "")?.[1]);
    if (request.method === "PUT") {
      timeline.hangingAtQuietPut.push(timeline.hanging);
      timeline.events.push(`${name}:put:${id}`);
      response.writeHead(204).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: { id, status: "awaiting_agent", priority: null } }));
  });
  standIn.url = await listen(server);
  standIn.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return standIn;
}

async function tenantWithHelpdesk(db: Database, url: string): Promise<{ tenantId: string; apiKey: string }> {
  const tenant = await createTenant(db, { name: `fair-${randomUUID()}` });
  await putConnection(db, tenant.tenantId, { url, apiKey: DESKPRO_KEY }, new Date(), LOOPBACK);
  return tenant;
}

const writeBack = (db: Database, tenantId: string, ticketId: number) =>
  enqueuePriority(db, tenantId, `priority-${ticketId}-${randomUUID()}`, { ticketId: String(ticketId), priorityId: 4 }, new Date());

describe.each(backends())("fair background work (%s)", (backend: Backend) => {
  let db: Database;
  let scratch: ScratchDatabase | null = null;
  let ledger: Ledger;
  const standIns: StandIn[] = [];

  beforeAll(async () => {
    if (backend === "pglite") db = await openDatabase();
    else {
      scratch = await createScratchDatabase("fair");
      db = await openDatabase({ databaseUrl: scratch.url, poolSize: 6 });
    }
    await migrate(db);
    ledger = composeLedger({ db, outbound: LOOPBACK });
  });
  afterAll(async () => {
    await Promise.all(standIns.map((s) => s.close()));
    await db?.close();
    await scratch?.drop();
  });

  const track = async (standIn: Promise<StandIn>) => {
    const made = await standIn;
    standIns.push(made);
    return made;
  };

  it(`${backendName(backend)}: the worker delivers a quiet tenant's write-back while another tenant's helpdesk hangs`, async () => {
    const timeline = new Timeline();
    const hostile = await track(hangingHelpdesk(timeline, "hostile"));
    const quiet = await track(quietHelpdesk(timeline, "quiet"));
    const h = await tenantWithHelpdesk(db, hostile.url);
    const q = await tenantWithHelpdesk(db, quiet.url);
    // The hostile tenant has more work queued than one claim takes.
    for (const ticket of [1, 2, 3, 4, 5]) await writeBack(db, h.tenantId, ticket);

    const worker = startOutboxWorker(ledger.context, ledger.outbox, { intervalMs: 100 });
    try {
      await expect.poll(() => timeline.hanging, { timeout: 20_000 }).toBeGreaterThan(0);
      // Queued while the hostile helpdesk holds the worker's calls.
      const quietRow = await writeBack(db, q.tenantId, 77);
      worker.poke();
      await expect.poll(() => timeline.events.filter((e) => e === "quiet:put:77"), { timeout: 20_000 }).toHaveLength(1);
      // It arrived while the hostile tenant's calls were still hanging, none of them finished before it.
      expect(timeline.hangingAtQuietPut[0]).toBeGreaterThan(0);
      expect(timeline.events.slice(0, timeline.events.indexOf("quiet:put:77"))).not.toContain("hostile:closed");
      await expect.poll(async () => (await outbox.findRow(db, q.tenantId, quietRow))?.state, { timeout: 10_000 }).toBe("done");
      // The hostile tenant's rows are not done, and at most two of its calls were in flight at once.
      expect(timeline.hanging).toBeLessThanOrEqual(2);
      const hostileRows = await outbox.listRows(db, h.tenantId, { limit: 10 });
      expect(hostileRows.every((r) => r.state === "pending")).toBe(true);
    } finally {
      await hostile.close(); // the hanging calls fail now, and the worker stops promptly
      await worker.stop();
    }
  }, 60_000);

  it(`${backendName(backend)}: a Lambda's scheduled run delivers the quiet tenant while the hostile one hangs, then its breaker holds the hostile one back`, async () => {
    const timeline = new Timeline();
    const hostile = await track(hangingHelpdesk(timeline, "hostile"));
    // The quiet helpdesk answers once the hostile one holds a call (within seconds; at worst it answers anyway).
    const hostileHangs = () =>
      expect
        .poll(() => timeline.hanging, { timeout: 10_000 })
        .toBeGreaterThan(0)
        .catch(() => undefined);
    const quiet = await track(quietHelpdesk(timeline, "quiet", hostileHangs));
    const h = await tenantWithHelpdesk(db, hostile.url);
    const q = await tenantWithHelpdesk(db, quiet.url);
    // The hostile tenant's rows are older: a one-at-a-time deliverer would take them first.
    for (const ticket of [1, 2, 3, 4]) await writeBack(db, h.tenantId, ticket);
    await writeBack(db, q.tenantId, 5);
    await writeBack(db, q.tenantId, 6);

    const report = await runCron(ledger, ["outbox"], { outbox: { callDeadlineMs: 1_500 } });
    expect(timeline.events.filter((e) => e.startsWith("quiet:put")).sort()).toEqual(["quiet:put:5", "quiet:put:6"]);
    expect(timeline.hangingAtQuietPut.every((n) => n > 0)).toBe(true);
    expect(report.outbox).toMatchObject({ delivered: 2 });
    expect(report.outbox!.retrying).toBeGreaterThanOrEqual(3);

    // Three deliveries in a row got no answer: the hostile tenant's helpdesk breaker is open.
    const [breaker] = await breakers.listTroubled(db, h.tenantId);
    expect(breaker).toMatchObject({ target: "helpdesk" });
    expect(breaker!.failures).toBeGreaterThanOrEqual(3);
    expect(breaker!.nextTryAt!.getTime()).toBeGreaterThan(Date.now());
    expect(await breakers.listTroubled(db, q.tenantId)).toEqual([]);

    // The next run leaves the hostile helpdesk alone while the breaker is open…
    await writeBack(db, h.tenantId, 9);
    await writeBack(db, q.tenantId, 10);
    const again = await runCron(ledger, ["outbox"], { outbox: { callDeadlineMs: 1_500 } });
    expect(again.outbox).toMatchObject({ delivered: 1 });
    expect(hostile.paths.filter((path) => path.includes("/tickets/9"))).toEqual([]);
    expect(timeline.events).toContain("quiet:put:10");

    // …and the settings page's delivery log says so.
    const app = createLedgerApp({ db, ledger, log: () => undefined });
    const page = OutboxPage.parse(
      await (await app.fetch(new Request("http://ledger.test/v1/outbox?limit=5", { headers: { authorization: `Bearer ${h.apiKey}` } }))).json(),
    );
    expect(page.breakers).toEqual([expect.objectContaining({ target: "helpdesk", state: "open", failures: breaker!.failures, lastError: expect.any(String) })]);
    const quietPage = OutboxPage.parse(
      await (await app.fetch(new Request("http://ledger.test/v1/outbox?limit=5", { headers: { authorization: `Bearer ${q.apiKey}` } }))).json(),
    );
    expect(quietPage.breakers).toEqual([]);
  }, 60_000);

  it(`${backendName(backend)}: a breaker closes again once its helpdesk answers`, async () => {
    const timeline = new Timeline();
    const quiet = await track(quietHelpdesk(timeline, "quiet"));
    const t = await tenantWithHelpdesk(db, quiet.url);
    const past = new Date(Date.now() - 1_000);
    // Open until a moment ago: half-open, so the next delivery is a trial.
    await breakers.recordFailure(db, t.tenantId, "helpdesk", "no answer", past);
    await breakers.recordFailure(db, t.tenantId, "helpdesk", "no answer", past);
    await breakers.recordFailure(db, t.tenantId, "helpdesk", "no answer", past);
    await breakers.open(db, t.tenantId, "helpdesk", past, past);
    await writeBack(db, t.tenantId, 31);
    const result = await ledger.drain({ tenantId: t.tenantId });
    expect(result).toMatchObject({ delivered: 1 });
    expect(await breakers.listTroubled(db, t.tenantId)).toEqual([]);
  });

  it(`${backendName(backend)}: a suspended tenant's work waits, untouched, and goes out once it is resumed`, async () => {
    const timeline = new Timeline();
    const quiet = await track(quietHelpdesk(timeline, "quiet"));
    const t = await tenantWithHelpdesk(db, quiet.url);
    const row = await writeBack(db, t.tenantId, 41);
    await suspendTenant(db, t.tenantId);
    expect(await ledger.drain({ tenantId: t.tenantId })).toMatchObject({ delivered: 0, remaining: 0 });
    await runCron(ledger, ["outbox"]);
    expect(quiet.requests).toBe(0);
    expect(await outbox.findRow(db, t.tenantId, row)).toMatchObject({ state: "pending", attempts: 0 });

    await resumeTenant(db, t.tenantId);
    expect(await ledger.drain({ tenantId: t.tenantId })).toMatchObject({ delivered: 1 });
    expect(timeline.events).toEqual(["quiet:put:41"]);
  });
});
