/**
 * The Deskpro client's bounds on one helpdesk's work, against stand-in helpdesks on loopback (real
 * sockets through the ledger's outgoing fetch): a few calls in flight per helpdesk at once, and a
 * charge list read to its end however the helpdesk pages it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { outboundFetch } from "../../src/ledger/core/outbound.js";
import { CALLS_PER_HELPDESK, createDeskproClient } from "../../src/ledger/integrations/deskpro/client.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

async function standIn(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handle);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const clientOf = (baseUrl: string) =>
  createDeskproClient({ baseUrl, apiKey: "1:key", fetch: outboundFetch({ allowPrivateNetwork: true }), retries: 0, timeoutMs: 20_000 });
const ticket = (id: number) => JSON.stringify({ data: { id, status: "awaiting_agent", person: 1 }, meta: {}, linked: {} });

it(`keeps at most ${CALLS_PER_HELPDESK} calls in flight to one helpdesk, and another helpdesk is not held up by it`, async () => {
  let inFlight = 0;
  let most = 0;
  const held: Array<() => void> = [];
  const slow = await standIn((request, response) => {
    inFlight++;
    most = Math.max(most, inFlight);
    held.push(() => {
      inFlight--;
      response.writeHead(200, { "content-type": "application/json" }).end(ticket(Number(request.url!.split("/").pop())));
    });
  });
  const fast = await standIn((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end(ticket(99)));

  const client = clientOf(slow);
  const calls = Promise.all(Array.from({ length: 3 * CALLS_PER_HELPDESK }, (_, i) => client.getTicket(i + 1)));
  await expect.poll(() => held.length).toBe(CALLS_PER_HELPDESK);
  // While those wait on the slow helpdesk, another helpdesk is read at once.
  expect((await clientOf(fast).getTicket(99)).id).toBe(99);
  expect(held.length).toBe(CALLS_PER_HELPDESK);
  // Each answer lets the next waiting call in; never more than the limit at once.
  for (let answered = 0; answered < 3 * CALLS_PER_HELPDESK; answered++) {
    await expect.poll(() => held.length).toBeGreaterThan(0);
    held.shift()!();
  }
  expect((await calls).map((t) => t.id)).toEqual(Array.from({ length: 3 * CALLS_PER_HELPDESK }, (_, i) => i + 1));
  expect(most).toBe(CALLS_PER_HELPDESK);
});

it("stops reading charges at a page that brings nothing new: a helpdesk that ignores `page` is not read 50 times", async () => {
  const pages: string[] = [];
  const full = Array.from({ length: 100 }, (_, i) => ({ id: i + 1, charge_time: 60, amount: null, date_created: "2026-01-01T00:00:00+0000" }));
  const helpdesk = await standIn((request, response) => {
    pages.push(new URL(request.url!, "http://x").searchParams.get("page")!);
    // The first page every time, and no pagination to say how many there are.
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: full, meta: [], linked: [] }));
  });
  const charges = await clientOf(helpdesk).listTicketCharges(5);
  expect(charges).toHaveLength(200); // the page as listed twice; the ledger takes each id once
  expect(new Set(charges.map((c) => c.id)).size).toBe(100);
  expect(pages).toEqual(["1", "2"]);
});
