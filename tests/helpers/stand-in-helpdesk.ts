/**
 * Stand-ins for a tenant's Deskpro on loopback, for tests that run the ledger against helpdesks
 * that answer badly (or not at all) beside ones that answer as Deskpro does: a server that checks
 * the API key, counts what it was asked and how many of its requests are still unanswered, and
 * ends every connection at once when closed; and the ways of answering a hostile helpdesk has.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A date as Deskpro writes it. */
export const deskproDate = (at: Date) => `${at.toISOString().slice(0, 19)}+0000`;

export interface StandIn {
  url: string;
  server: Server;
  /** Charges requests seen, by ticket. */
  chargeReads: Map<number, number>;
  /** Requests seen in all. */
  requests(): number;
  /** Requests received and not yet answered in full, whose connection is still open: hanging, or being trickled. */
  unanswered(): number;
  close(): Promise<void>;
}

export interface StandInEvents {
  /** A request arrived (after the key was checked). */
  onRequest?(request: IncomingMessage, url: URL): void;
  /** A request's connection closed before its answer was finished: the ledger gave up on it. */
  onAbandoned?(request: IncomingMessage, url: URL): void;
}

/** A helpdesk on 127.0.0.1 that refuses any key but `apiKey` (401) and hands every other request to `handle`. */
export function listenStandIn(
  apiKey: string,
  handle: (request: IncomingMessage, response: ServerResponse, url: URL) => void,
  events: StandInEvents = {},
): Promise<StandIn> {
  const chargeReads = new Map<number, number>();
  let requests = 0;
  let unanswered = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    if (request.headers.authorization !== `key ${apiKey}`) return void response.writeHead(401).end();
    requests++;
    unanswered++;
    let settled = false;
    const settle = (abandoned: boolean) => {
      if (settled) return;
      settled = true;
      unanswered--;
      if (abandoned) events.onAbandoned?.(request, url);
    };
    response.once("finish", () => settle(false));
    response.once("close", () => settle(!response.writableFinished));
    const charges = /^\/api\/v2\/tickets\/(\d+)\/charges$/.exec(url.pathname);
    if (charges && request.method === "GET") chargeReads.set(Number(charges[1]), (chargeReads.get(Number(charges[1])) ?? 0) + 1);
    events.onRequest?.(request, url);
    handle(request, response, url);
  });
  // Hanging and trickling answers hold their sockets: close() ends those at once.
  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        server,
        chargeReads,
        requests: () => requests,
        unanswered: () => unanswered,
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      }),
    ),
  );
}

export const json = (response: ServerResponse, body: unknown, status = 200) =>
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));

/** A page of a Deskpro list, with `meta.pagination` as Deskpro sends it. */
export const page = (data: unknown[], pageNo: number, totalPages: number) => ({
  data,
  meta: { pagination: { total: totalPages * 100, count: data.length, per_page: 100, current_page: pageNo, total_pages: totalPages } },
  linked: {},
});

/** A record as Deskpro wraps one. */
export const record = (data: unknown) => ({ data, meta: {}, linked: {} });

/** Reads the request and never answers: the connection stays open until the ledger gives up on it. */
export const hang = (request: IncomingMessage) => void request.resume();

/** Writes `chunk` over and over, as fast as the reader takes it, until the reader goes away. */
export function endless(response: ServerResponse, head: string, chunk: string): void {
  response.writeHead(200, { "content-type": "application/json" });
  response.write(head);
  const block = Buffer.from(chunk.repeat(Math.ceil(65_536 / chunk.length)));
  const pump = () => {
    while (!response.destroyed && response.write(block));
    if (!response.destroyed) response.once("drain", pump);
  };
  response.on("close", () => response.removeAllListeners("drain"));
  pump();
}

/** A byte a second, for as long as the reader waits: an answer that never finishes. */
export function trickle(response: ServerResponse): void {
  response.writeHead(200, { "content-type": "application/json" });
  const timer = setInterval(() => response.write(" "), 1000);
  response.on("close", () => clearInterval(timer));
  response.write("{");
}
