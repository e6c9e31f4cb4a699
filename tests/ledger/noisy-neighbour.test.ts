/**
 * Noisy neighbours: two tenants on one ledger, one of them with a hostile helpdesk. The ledger runs
 * as its own process (`serve`, as in production) at a small heap, on PostgreSQL and on PGlite. The
 * hostile tenant's helpdesk accepts connections and never answers, answers 6 MB pages, trickles a
 * byte a second and lists charges twice; its tenant reads Billing tabs from it and logs time whose
 * write-backs go there. Meanwhile the quiet tenant, whose helpdesk answers as Deskpro does, opens
 * its sidebars (wallet, ticket payer and charges, the time log read), debits time and credits, and
 * has its time written back to its own helpdesk through the outbox. Every quiet answer must be a
 * 2xx with the right balance, each quiet write-back must reach its helpdesk while the hostile
 * helpdesk still holds calls unanswered and before any hostile read is answered, and the process
 * must stay up and go on answering.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OutboxPage } from "../../src/contract/index.js";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { openDatabase } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { callLedger, residentMb, startLedgerProcess, type LedgerProcess } from "../helpers/ledger-process.js";
import { backendName, backends, createScratchDatabase, type Backend, type ScratchDatabase } from "../helpers/ledger.js";
import { deskproDate, hang, json, listenStandIn, page, record, trickle, type StandIn } from "../helpers/stand-in-helpdesk.js";

const HEAP_MB = 128;
const API_KEY = "3:noisy-neighbour-key";
/** Rounds of the quiet tenant's sidebar work, each on a ticket of its own. */
const ROUNDS = 4;
/** The default time rate: 1 credit a minute, billed on each ticket's total in steps of 15 minutes. */
const STEP_CREDITS = 15;
const MANUAL_CREDITS = 7;

/** The hostile helpdesk's tickets, each answering its own bad way. */
const HOSTILE = { hangingRead: 10, hangingWrites: 11, bigPages: 12, trickle: 13, twice: 14 } as const;

/** What happened, in the order it happened (the suite asserts orders, never durations). */
class Timeline {
  private readonly start = performance.now();
  readonly events: { at: number; what: string }[] = [];
  add(what: string): number {
    this.events.push({ at: (performance.now() - this.start) / 1000, what });
    return this.events.length - 1;
  }
  index(what: string): number {
    return this.events.findIndex((e) => e.what === what);
  }
  at(what: string): number {
    return this.events[this.index(what)]?.at ?? NaN;
  }
}

const farFuture = () => deskproDate(new Date(Date.now() + 3_600_000));
const deskproCharge = (id: number, seconds: number, comment: string, dateCreated: string) => ({
  id,
  ticket: 1,
  person: 1,
  agent: 5,
  organization: 1,
  amount: null,
  charge_time: seconds,
  date_created: dateCreated,
  comment,
});

/** Hangs, 6 MB pages, a byte a second, and charges listed twice: every ticket its own way. */
function hostileHelpdesk(timeline: Timeline): Promise<StandIn> {
  return listenStandIn(
    API_KEY,
    (request, response, url) => {
      const ticketId = Number(/^\/api\/v2\/tickets\/(\d+)/.exec(url.pathname)?.[1]);
      if (ticketId === HOSTILE.hangingRead || ticketId === HOSTILE.hangingWrites) return hang(request);
      if (url.pathname === `/api/v2/tickets/${ticketId}`) return json(response, record({ id: ticketId, status: "awaiting_agent", person: 1, organization: 1 }));
      if (url.pathname !== `/api/v2/tickets/${ticketId}/charges`) return void response.writeHead(404).end();
      const pageNo = Number(url.searchParams.get("page") ?? 1);
      switch (ticketId) {
        case HOSTILE.bigPages:
          return json(
            response,
            page(
              Array.from({ length: 100 }, (_, i) => deskproCharge(pageNo * 1000 + i, 600, "é".repeat(30_000), farFuture())),
              pageNo,
              50,
            ),
          );
        case HOSTILE.trickle:
          return trickle(response);
        case HOSTILE.twice: {
          const [a, b] = [deskproCharge(701, 600, "call", farFuture()), deskproCharge(702, 600, "follow-up", farFuture())];
          return json(response, page([a, a, b, b], 1, 1));
        }
        default:
          return json(response, page([], 1, 1));
      }
    },
    {
      onRequest: (request, url) => void timeline.add(`hostile:${request.method} ${url.pathname}`),
      onAbandoned: (request, url) => void timeline.add(`hostile:abandoned ${request.method} ${url.pathname}`),
    },
  );
}

interface QuietDelivery {
  ticketId: number;
  /** Its place in the timeline. */
  event: number;
  /** The hostile helpdesk's calls received and not answered when it arrived. */
  hostileUnanswered: number;
}

/**
 * Answers as Deskpro does: tickets of person 2001 in organisation 3001, each with the charges made
 * on it (ticket 100 has one of its own, 10 minutes), and a new charge for each POST.
 */
async function quietHelpdesk(timeline: Timeline, hostile: () => StandIn) {
  const charges = new Map<number, ReturnType<typeof deskproCharge>[]>([[100, [deskproCharge(501, 600, "Phone call", farFuture())]]]);
  const deliveries: QuietDelivery[] = [];
  let nextId = 900;
  const handle = (request: IncomingMessage, response: ServerResponse, url: URL) => {
    const ticketId = Number(/^\/api\/v2\/tickets\/(\d+)/.exec(url.pathname)?.[1]);
    if (url.pathname === `/api/v2/tickets/${ticketId}`) {
      return json(response, record({ id: ticketId, status: "awaiting_agent", person: 2001, organization: 3001 }));
    }
    if (url.pathname !== `/api/v2/tickets/${ticketId}/charges`) return void response.writeHead(404).end();
    if (request.method === "GET") return json(response, page(Number(url.searchParams.get("page") ?? 1) === 1 ? (charges.get(ticketId) ?? []) : [], 1, 1));
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const { charge_time, comment } = JSON.parse(body) as { charge_time: number; comment: string };
      const made = deskproCharge(nextId++, charge_time, comment, deskproDate(new Date()));
      charges.set(ticketId, [...(charges.get(ticketId) ?? []), made]);
      deliveries.push({ ticketId, event: timeline.add(`quiet:delivered ${ticketId}`), hostileUnanswered: hostile().unanswered() });
      json(response, record(made), 201);
    });
  };
  return { standIn: await listenStandIn(API_KEY, handle), deliveries };
}

/** A ledger's database made and given two tenants, before the ledger process opens it. */
async function prepareDatabase(backend: Backend) {
  let scratch: ScratchDatabase | null = null;
  let dataDir: string | null = null;
  if (backend === "pglite") dataDir = mkdtempSync(join(tmpdir(), "noisy-neighbour-"));
  else scratch = await createScratchDatabase("noisy");
  const db = await openDatabase(scratch ? { databaseUrl: scratch.url, poolSize: 2 } : { dataDir: dataDir! });
  try {
    await migrate(db);
    const hostile = await createTenant(db, { name: `hostile-${randomUUID()}` });
    const quiet = await createTenant(db, { name: `quiet-${randomUUID()}` });
    return {
      keys: { hostile: hostile.apiKey, quiet: quiet.apiKey },
      env: scratch ? { DATABASE_URL: scratch.url, LEDGER_DATA_DIR: "" } : { DATABASE_URL: "", LEDGER_DATA_DIR: dataDir! },
      drop: async () => {
        await scratch?.drop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } finally {
    await db.close();
  }
}

describe.each(backends())("noisy neighbours (%s)", (backend: Backend) => {
  const timeline = new Timeline();
  let prepared: Awaited<ReturnType<typeof prepareDatabase>>;
  let ledger: LedgerProcess;
  let hostile: StandIn;
  let quiet: Awaited<ReturnType<typeof quietHelpdesk>>;

  const call = (key: string, method: string, path: string, body?: unknown) => callLedger(ledger, key, method, path, body);

  beforeAll(async () => {
    prepared = await prepareDatabase(backend);
    hostile = await hostileHelpdesk(timeline);
    quiet = await quietHelpdesk(timeline, () => hostile);
    ledger = await startLedgerProcess({
      ...prepared.env,
      LEDGER_POOLER: "",
      LEDGER_SCHEDULER: "off",
      LEDGER_ALLOW_PRIVATE_NETWORK: "true",
      LEDGER_SECRETS_KEY: randomBytes(32).toString("base64"),
      NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
    });
    for (const [key, helpdesk] of [
      [prepared.keys.hostile, hostile],
      [prepared.keys.quiet, quiet.standIn],
    ] as const) {
      const connected = await call(key, "PUT", "/v1/integrations/deskpro", { url: helpdesk.url, apiKey: API_KEY });
      expect(connected.status, JSON.stringify(connected.body)).toBe(200);
    }
    expect((await call(prepared.keys.hostile, "POST", "/v1/wallets/org:1/grants", { amount: 100, reason: "top-up" })).status).toBe(201);
    expect((await call(prepared.keys.quiet, "POST", "/v1/wallets/org:3001/grants", { amount: 1000, reason: "top-up" })).status).toBe(201);
    // The quiet tenant's Billing tab link starts at its first read (charges are counted from then on); the hostile one's below.
    expect((await call(prepared.keys.quiet, "POST", "/v1/tickets/99/deskpro-billing/read", {})).status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    // The hostile helpdesk goes first: its hanging calls fail at once and the ledger stops promptly.
    await Promise.all([hostile?.close(), quiet?.standIn.close()]);
    await ledger?.stop();
    await prepared?.drop();
  });

  it(`${backendName(backend)}: the quiet tenant's sidebars, debits and write-backs go on while the other tenant's helpdesk hangs, at a ${HEAP_MB} MB heap`, async () => {
    const { keys } = prepared;

    // The hostile tenant's helpdesk lists each charge twice: each is charged once (20 minutes: 30 credits).
    const twice = await call(keys.hostile, "POST", `/v1/tickets/${HOSTILE.twice}/deskpro-billing/read`, {});
    expect(twice.status, JSON.stringify(twice.body)).toBe(200);
    expect(twice.body.charges.map((c: { chargeId: string; state: string }) => `${c.chargeId}:${c.state}`)).toEqual(["701:charged", "702:charged"]);

    // Its time goes to its helpdesk through the outbox, where every call hangs; its reads hang,
    // get 6 MB pages or a byte a second.
    for (let i = 0; i < 3; i++) {
      const logged = await call(keys.hostile, "POST", "/v1/wallets/org:1/debits", { kind: "time", minutes: 15, ticketId: String(HOSTILE.hangingWrites) });
      expect(logged.status, JSON.stringify(logged.body)).toBe(201);
    }
    const hostileReads = [HOSTILE.hangingRead, HOSTILE.bigPages, HOSTILE.trickle].map(async (ticket) => {
      const answer = await call(keys.hostile, "POST", `/v1/tickets/${ticket}/deskpro-billing/read`, {});
      timeline.add(`hostile read answered ${ticket}`);
      return { ticket, ...answer };
    });
    const hangingRead = `hostile:GET /api/v2/tickets/${HOSTILE.hangingRead}/charges`;
    const hangingWrite = `hostile:GET /api/v2/tickets/${HOSTILE.hangingWrites}/charges`;
    await expect.poll(() => [timeline.index(hangingRead) >= 0, timeline.index(hangingWrite) >= 0], { timeout: 20_000 }).toEqual([true, true]);
    const hangBegan = Math.min(timeline.index(hangingRead), timeline.index(hangingWrite));

    // The quiet tenant works on, ticket after ticket.
    const quietStatuses: number[] = [];
    const quietCall = async (method: string, path: string, body?: unknown) => {
      const answer = await call(keys.quiet, method, path, body);
      quietStatuses.push(answer.status);
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeGreaterThanOrEqual(200);
      expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
      return answer.body;
    };
    let balance = 1000;
    for (let round = 0; round < ROUNDS; round++) {
      const ticketId = String(100 + round);
      expect((await quietCall("GET", "/v1/wallets/org:3001")).balance).toBe(balance);
      expect((await quietCall("GET", `/v1/tickets/${ticketId}/payer?person=2001&org=3001`)).owner).toBe("org:3001");
      // The time log read: ticket 100 has 10 minutes logged in Deskpro (one step, 15 credits).
      const read = await quietCall("POST", `/v1/tickets/${ticketId}/deskpro-billing/read`, {});
      if (round === 0) {
        expect(read.charges).toMatchObject([{ chargeId: "501", state: "charged", seconds: 600 }]);
        balance -= STEP_CREDITS;
      } else expect(read.charges).toEqual([]);
      // 15 minutes logged in the sidebar (one step more on the ticket's total), and credits by hand.
      const timeDebit = await quietCall("POST", "/v1/wallets/org:3001/debits", { kind: "time", minutes: 15, ticketId });
      expect(timeDebit.balance).toBe((balance -= STEP_CREDITS));
      const manual = await quietCall("POST", "/v1/wallets/org:3001/debits", { kind: "manual", amount: MANUAL_CREDITS, reason: "Remote session", ticketId });
      expect(manual.balance).toBe((balance -= MANUAL_CREDITS));
      expect((await quietCall("GET", `/v1/tickets/${ticketId}/entries`)).totals).toMatchObject({
        net: (round === 0 ? STEP_CREDITS : 0) + STEP_CREDITS + MANUAL_CREDITS,
        minutes: (round === 0 ? 10 : 0) + 15,
      });
      // The sidebar's time reaches the quiet helpdesk's Billing tab…
      await expect.poll(() => quiet.deliveries.filter((d) => d.ticketId === 100 + round).length, { timeout: 20_000 }).toBe(1);
      // …and reading the tab again finds it as the ledger's own, not counted twice.
      const again = await quietCall("POST", `/v1/tickets/${ticketId}/deskpro-billing/read`, {});
      expect(again.charges.filter((c: { state: string }) => c.state === "logged_here")).toHaveLength(1);
    }
    const quietDone = timeline.add("quiet work done");
    const outbox = OutboxPage.parse(await quietCall("GET", "/v1/outbox?limit=20"));
    expect(outbox.items.filter((item) => item.kind === "deskpro.time_log_write").map((item) => item.state)).toEqual(Array(ROUNDS).fill("done"));
    expect(outbox.breakers).toEqual([]);
    expect((await quietCall("GET", "/v1/wallets/org:3001")).balance).toBe(1000 - STEP_CREDITS - ROUNDS * (STEP_CREDITS + MANUAL_CREDITS));

    // Every quiet write-back arrived after the hostile helpdesk began to hang, while calls to it
    // were held unanswered, and the quiet tenant was done before the hostile tenant's hanging and
    // trickled reads were answered (the 6 MB pages are refused at the first page, at once).
    expect(quiet.deliveries.map((d) => d.ticketId)).toEqual(Array.from({ length: ROUNDS }, (_, r) => 100 + r));
    for (const delivery of quiet.deliveries) {
      expect(delivery.event).toBeGreaterThan(hangBegan);
      expect(delivery.hostileUnanswered).toBeGreaterThan(0);
    }
    for (const held of [HOSTILE.hangingRead, HOSTILE.trickle]) {
      const answered = timeline.index(`hostile read answered ${held}`);
      expect(answered === -1 || answered > quietDone, `the hostile read of ticket ${held} was answered before the quiet tenant was done`).toBe(true);
    }

    // The hostile reads are refused whole, and nothing of them was written.
    const refused = await Promise.all(hostileReads);
    for (const read of refused) {
      expect(read.status, JSON.stringify(read.body)).toBe(502);
      expect(["deskpro_over_limit", "deskpro_unavailable"]).toContain(read.body.code);
      expect((await call(keys.hostile, "GET", `/v1/tickets/${read.ticket}/entries`)).body.entries).toEqual([]);
    }
    // 100 credits, 30 for the charges listed twice, 3 × 15 for the hostile tenant's own time.
    expect((await call(keys.hostile, "GET", "/v1/wallets/org:1")).body.balance).toBe(100 - 30 - 3 * STEP_CREDITS);

    // Still up, and still answering the quiet tenant.
    expect(ledger.child.exitCode).toBeNull();
    expect(ledger.output()).not.toMatch(/heap out of memory|FATAL ERROR/);
    expect((await quietCall("GET", "/v1/wallets/org:3001")).balance).toBe(1000 - STEP_CREDITS - ROUNDS * (STEP_CREDITS + MANUAL_CREDITS));

    // The figures the README quotes: reported, never asserted.
    const byStatus = Object.entries(quietStatuses.reduce<Record<number, number>>((counts, status) => ({ ...counts, [status]: (counts[status] ?? 0) + 1 }), {}))
      .map(([status, count]) => `${count}×${status}`)
      .join(" ");
    const hangAt = timeline.events[hangBegan]!.at;
    const since = (at: number) => `${(at - hangAt).toFixed(1)} s`;
    const unanswered = [...new Set(quiet.deliveries.map((d) => d.hostileUnanswered))].sort().join("–");
    const givenUp = timeline.events.find((e) => e.what.startsWith("hostile:abandoned"));
    const names: Record<number, string> = { [HOSTILE.hangingRead]: "hanging", [HOSTILE.bigPages]: "6 MB pages", [HOSTILE.trickle]: "a byte a second" };
    console.info(
      `noisy neighbours on ${backendName(backend)} at --max-old-space-size=${HEAP_MB}: quiet tenant ${quietStatuses.length} requests, ${byStatus}; ` +
        `${quiet.deliveries.length}/${ROUNDS} write-backs delivered ${quiet.deliveries.map((d) => since(timeline.events[d.event]!.at)).join(", ")} after the hostile helpdesk began to hang, ` +
        `${unanswered} of its calls unanswered each time (the first given up by the ledger at ${givenUp ? since(givenUp.at) : "—"}); ` +
        `hostile reads 502: ${refused.map((r) => `${names[r.ticket]} ${r.body.limit ?? r.body.code} at ${since(timeline.at(`hostile read answered ${r.ticket}`))}`).join(", ")}; ` +
        `${residentMb(ledger.child.pid, "VmHWM").toFixed(0)} MB resident at the peak`,
    );
  }, 120_000);
});
