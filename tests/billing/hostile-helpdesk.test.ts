/**
 * One tenant's helpdesk can't take the ledger down, whatever it answers. The ledger runs as its
 * own process (`serve`, as in production) at a small heap (--max-old-space-size=96) on
 * PostgreSQL; a stand-in helpdesk on loopback answers its Billing & Time Log reads with endless
 * bodies, 6 MB pages, pages of tiny objects, page after page of long comments and bytes trickled
 * slowly, several reads at once. Each read is refused with 502 `deskpro_over_limit` and writes
 * nothing, the process stays up, and another tenant's helpdesk is read and charged meanwhile.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTenant } from "../../src/ledger/core/tenants.js";
import { openDatabase } from "../../src/ledger/storage/db.js";
import { migrate } from "../../src/ledger/storage/migrations.js";
import { callLedger, residentMb, startLedgerProcess, type LedgerProcess } from "../helpers/ledger-process.js";
import { createScratchDatabase, type ScratchDatabase } from "../helpers/ledger.js";
import { deskproDate, endless, json, listenStandIn, page, record, trickle, type StandIn } from "../helpers/stand-in-helpdesk.js";

const HEAP_MB = 96;
const API_KEY = "3:hostile-test-key";

/** Ticket ids of the stand-in helpdesk, each answering its charges in its own bad way. */
const TICKET = { endless: 11, bigPages: 12, tinyValues: 13, manyPages: 14, trickle: 15 } as const;

const listen = (handle: Parameters<typeof listenStandIn>[1]) => listenStandIn(API_KEY, handle);

/** A charge with a comment of `size` characters (Deskpro keeps 255; a stand-in may send anything). */
const charge = (id: number, size: number) => ({
  id,
  ticket: 1,
  person: 1,
  agent: 5,
  organization: 1,
  amount: null,
  charge_time: 600,
  date_created: deskproDate(new Date(Date.now() + 3_600_000)),
  comment: "é".repeat(size),
});

/** The hostile helpdesk: a plain ticket, and charges answered in every bad way at once. */
const hostile = () =>
  listen((_request, response, url) => {
    const ticket = /^\/api\/v2\/tickets\/(\d+)$/.exec(url.pathname);
    if (ticket) return json(response, record({ id: Number(ticket[1]), status: "awaiting_agent", person: 1, organization: 1 }));
    const charges = /^\/api\/v2\/tickets\/(\d+)\/charges$/.exec(url.pathname);
    if (!charges) return void response.writeHead(404).end();
    const pageNo = Number(url.searchParams.get("page") ?? 1);
    switch (Number(charges[1])) {
      case TICKET.endless:
        // No length, no end: bytes for as long as anyone reads.
        return endless(response, '{"data":[', JSON.stringify(charge(1, 200)) + ",");
      case TICKET.bigPages: {
        // 6 MB a page, 50 pages: what took a 192 MB ledger down after 26 pages.
        const data = Array.from({ length: 100 }, (_, i) => charge(pageNo * 1000 + i, 30_000));
        return json(response, page(data, pageNo, 50));
      }
      case TICKET.tinyValues:
        // Under 1 MiB of text, but 300,000 objects once parsed.
        return json(response, { data: [Array.from({ length: 100 }, (_, i) => charge(i + 1, 10)), Array(300_000).fill({})].flat(), meta: {} });
      case TICKET.manyPages: {
        // Pages within every limit (about 0.9 MiB each), and more of them than one read takes.
        const data = Array.from({ length: 100 }, (_, i) => charge(pageNo * 1000 + i, 4_500));
        return json(response, page(data, pageNo, 1000));
      }
      case TICKET.trickle:
        // A byte a second: every answer times out, and the read's budget runs out.
        return trickle(response);
      default:
        return json(response, page([], 1, 1));
    }
  });

/** A helpdesk that answers as Deskpro does: one ticket with one charge of 10 minutes once `charged` is set. */
function fair(state: { charged: boolean }) {
  return listen((_request, response, url) => {
    if (url.pathname === "/api/v2/tickets/21") {
      return json(response, record({ id: 21, status: "awaiting_agent", person: 2001, organization: 3001 }));
    }
    if (url.pathname === "/api/v2/tickets/21/charges") {
      const data = state.charged ? [{ ...charge(901, 20), date_created: deskproDate(new Date(Date.now() + 3_600_000)) }] : [];
      return json(response, page(data, 1, 1));
    }
    response.writeHead(404).end();
  });
}

let database: ScratchDatabase;
let ledger: LedgerProcess;
let evil: StandIn;
let good: StandIn;
const fairState = { charged: false };
const keys = { hostile: "", fair: "" };

const call = (key: string, method: string, path: string, body?: unknown) => callLedger(ledger, key, method, path, body);
const readBilling = (key: string, ticket: number) => call(key, "POST", `/v1/tickets/${ticket}/deskpro-billing/read`, {});

/** The ledger's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB: reported, never asserted. */
const rssMb = (field: "VmRSS" | "VmHWM") => residentMb(ledger.child.pid, field);

beforeAll(async () => {
  database = await createScratchDatabase("hostile");
  const db = await openDatabase({ databaseUrl: database.url, poolSize: 2 });
  try {
    await migrate(db);
    keys.hostile = (await createTenant(db, { name: `hostile-${randomUUID()}` })).apiKey;
    keys.fair = (await createTenant(db, { name: `fair-${randomUUID()}` })).apiKey;
  } finally {
    await db.close();
  }
  [evil, good] = await Promise.all([hostile(), fair(fairState)]);
  ledger = await startLedgerProcess({
    DATABASE_URL: database.url,
    LEDGER_DATA_DIR: "",
    LEDGER_POOLER: "",
    LEDGER_SCHEDULER: "off",
    LEDGER_ALLOW_PRIVATE_NETWORK: "true",
    LEDGER_SECRETS_KEY: randomBytes(32).toString("base64"),
    NODE_OPTIONS: `--max-old-space-size=${HEAP_MB}`,
  });
  for (const [key, helpdesk] of [
    [keys.hostile, evil],
    [keys.fair, good],
  ] as const) {
    const connected = await call(key, "PUT", "/v1/integrations/deskpro", { url: helpdesk.url, apiKey: API_KEY });
    expect(connected.status, JSON.stringify(connected.body)).toBe(200);
  }
  expect((await call(keys.fair, "POST", "/v1/wallets/org:3001/grants", { amount: 100, reason: "top-up" })).status).toBe(201);
}, 120_000);

afterAll(async () => {
  await ledger?.stop();
  await Promise.all([evil?.close(), good?.close()]);
  await database?.drop();
});

it(`stays up at a ${HEAP_MB} MB heap whatever one helpdesk answers, refuses each bad read whole, and keeps serving another tenant`, async () => {
  // The fair helpdesk's link starts (its charges are counted from now on).
  expect((await readBilling(keys.fair, 21)).status).toBe(200);
  const before = rssMb("VmRSS");

  // Every kind of bad answer at once, the big ones twice over.
  const hostileReads = Promise.all(
    [TICKET.endless, TICKET.endless, TICKET.bigPages, TICKET.bigPages, TICKET.tinyValues, TICKET.manyPages, TICKET.manyPages, TICKET.trickle].map(
      async (ticket) => ({ ticket, ...(await readBilling(keys.hostile, ticket)) }),
    ),
  );

  // Meanwhile the other tenant is read and charged, and its bank answers.
  await expect.poll(() => evil.chargeReads.get(TICKET.manyPages) ?? 0, { timeout: 20_000 }).toBeGreaterThan(3);
  fairState.charged = true;
  const fairRead = await readBilling(keys.fair, 21);
  expect(fairRead.status, JSON.stringify(fairRead.body)).toBe(200);
  expect(fairRead.body.charges).toMatchObject([{ chargeId: "901", state: "charged", seconds: 600 }]);
  expect((await call(keys.fair, "GET", "/v1/wallets/org:3001")).body.balance).toBe(85);

  const refused = await hostileReads;
  const limits = Object.fromEntries(refused.map((r) => [r.ticket, r.body.limit]));
  for (const read of refused) {
    expect(read.status, JSON.stringify(read.body)).toBe(502);
    expect(read.body.code).toBe("deskpro_over_limit");
    expect(read.body.detail).toMatch(/Nothing was changed\.$/);
  }
  expect(limits).toEqual({
    [TICKET.endless]: "answer_bytes",
    [TICKET.bigPages]: "answer_bytes",
    [TICKET.tinyValues]: "answer_values",
    [TICKET.manyPages]: "pages",
    [TICKET.trickle]: "read_seconds",
  });
  // A 6 MB page is refused at its first page, not read 50 times; the long list is read to its limit and no further.
  expect(evil.chargeReads.get(TICKET.bigPages)).toBe(2);
  expect(evil.chargeReads.get(TICKET.manyPages)).toBe(2 * 50);

  // Nothing of the hostile reads was written: no entry, no charge, and the settings page says why.
  expect((await call(keys.hostile, "GET", `/v1/tickets/${TICKET.manyPages}/entries`)).body.entries).toEqual([]);
  const status = await call(keys.hostile, "GET", "/v1/integrations/deskpro/billing");
  expect(status.body).toMatchObject({ lastCharge: null, lastRead: { error: expect.stringMatching(/Deskpro|charges/) } });

  // Still up, and still answering both tenants.
  expect(ledger.child.exitCode).toBeNull();
  expect(ledger.output()).not.toMatch(/heap out of memory|FATAL ERROR/);
  expect((await call(keys.fair, "GET", "/v1/wallets/org:3001")).status).toBe(200);
  expect((await readBilling(keys.fair, 21)).body.changed).toBe(false);
  console.info(
    `ledger at --max-old-space-size=${HEAP_MB}: ${before.toFixed(0)} MB resident before the hostile reads, ${rssMb("VmHWM").toFixed(0)} MB at the peak`,
  );
}, 120_000);
