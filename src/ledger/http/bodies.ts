/**
 * Request bodies: read once, within the size limit, as UTF-8 JSON. Apart from the routers
 * (env.ts), so the app's middleware loads without the OpenAPI library.
 */
import type { MiddlewareHandler } from "hono";
import type { LedgerEnv } from "./env.js";
import { HttpProblem, invalidRequest } from "./problems.js";

const utf8 = new TextDecoder("utf-8", { fatal: true });

const tooLarge = (maxBytes: number) => new HttpProblem("payload_too_large", `Request bodies are limited to ${maxBytes} bytes.`);

/** The client went away before its body arrived in full: its doing, not the ledger's (logged as such). */
export class ClientAborted extends HttpProblem {
  constructor() {
    super("invalid_request", "The request body ended before it was complete; nothing was written.");
    this.name = "ClientAborted";
  }
}

/** A request's body as text, refused with 413 as soon as it is known to pass `maxBytes` (declared or streamed). */
export async function readBodyCapped(request: Request, maxBytes: number): Promise<string> {
  const length = request.headers.get("content-length");
  const declared = Number(length ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (length !== null && /^\d+$/.test(length)) {
    // A declared length is all the body can be (the HTTP parser holds the client to it), so the body
    // is read whole: on Node this skips building a web stream for every request.
    const bytes = await request.arrayBuffer().catch(() => {
      throw new ClientAborted();
    });
    // Where no parser stands between (a Request built from a serverless event), the header may not match.
    if (bytes.byteLength > maxBytes) throw tooLarge(maxBytes);
    return decodeUtf8(new Uint8Array(bytes));
  }
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch(() => {
      throw new ClientAborted();
    });
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  return decodeUtf8(Buffer.concat(chunks));
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // Decoding leniently would swap the bad bytes for U+FFFD: a quiet change to what the client sent.
    throw invalidRequest("The request body is not valid UTF-8.", [{ path: "body", message: "not valid UTF-8" }]);
  }
}

/**
 * Every body that reaches a handler is JSON and within the size limit; it is read once and handed
 * to the route's zod validator through Hono's body cache.
 */
export function jsonBodies(maxBytes: number): MiddlewareHandler<LedgerEnv> {
  return async (c, next) => {
    if (c.req.method !== "POST" && c.req.method !== "PUT" && c.req.method !== "PATCH") return next();
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type))
      throw new HttpProblem("unsupported_media_type", "Send the request body as application/json.");
    const text = await readBodyCapped(c.req.raw, maxBytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalidRequest("The request body is not valid JSON.");
    }
    // Hono's json() reads the cached text (older versions the cached json): both are there, so
    // the body is never turned back into a Response to be read again.
    (c.req as unknown as { bodyCache: Record<string, Promise<unknown>> }).bodyCache = { text: Promise.resolve(text), json: Promise.resolve(parsed) };
    return next();
  };
}
