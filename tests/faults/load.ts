/**
 * A steady load of idempotent debits and grants from several clients that retry, with the same
 * Idempotency-Key, until they get an answer, as a well-behaved integration would.
 */
import { randomInt } from "node:crypto";

export interface Acknowledged {
  key: string;
  path: string;
  body: string;
  entryId: string;
  amount: number;
  /** The base URL of the process that answered. */
  via: string;
}

export interface LoadReport {
  acknowledged: Acknowledged[];
  /** Answers other than the final one: 5xx statuses and network errors seen while retrying. */
  failures: { status: number | "network"; contentType: string | null; retryAfter: string | null; body: string }[];
  refused: number;
}

export const WALLETS = 8;

/** `baseUrl` is asked before every attempt: a load balancer's choice of process. */
export function startLoad(baseUrl: () => string, apiKey: string, options: { clients: number; runId: string }) {
  const report: LoadReport = { acknowledged: [], failures: [], refused: 0 };
  let stopping = false;
  const clients = Array.from({ length: options.clients }, async (_, client) => {
    for (let i = 0; !stopping; i++) {
      const owner = `org:${1 + randomInt(WALLETS)}`;
      const isGrant = randomInt(10) < 3;
      const amount = 1 + randomInt(5);
      const path = `/v1/wallets/${owner}/${isGrant ? "grants" : "debits"}`;
      const body = JSON.stringify(isGrant ? { amount, reason: "load" } : { kind: "manual", amount, reason: "load" });
      const key = `${options.runId}-${client}-${i}`;
      // Retry the same request until it is answered; a client gives up only after a minute.
      for (let attempt = 0, until = Date.now() + 60_000; Date.now() < until; attempt++) {
        let response: Response;
        const via = baseUrl();
        try {
          response = await fetch(via + path, {
            method: "POST",
            headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", "idempotency-key": key },
            body,
            signal: AbortSignal.timeout(10_000),
          });
        } catch {
          report.failures.push({ status: "network", contentType: null, retryAfter: null, body: "" });
          await new Promise((r) => setTimeout(r, 50 + attempt * 20));
          continue;
        }
        const text = await response.text();
        if (response.status >= 500) {
          report.failures.push({
            status: response.status,
            contentType: response.headers.get("content-type"),
            retryAfter: response.headers.get("retry-after"),
            body: text,
          });
          await new Promise((r) => setTimeout(r, 50 + attempt * 20));
          continue;
        }
        if (response.status === 201) {
          const parsed = JSON.parse(text) as { entry: { id: string; amount: number } };
          report.acknowledged.push({ key, path, body, entryId: parsed.entry.id, amount: parsed.entry.amount, via });
        } else {
          report.refused++;
        }
        break;
      }
    }
  });
  return {
    report,
    /**
     * Resolves once `count` writes have been acknowledged in all (fails after `timeoutMs`): faults
     * are injected after real progress, however slow a busy machine makes each request.
     */
    acknowledged: async (count: number, timeoutMs = 60_000) => {
      for (const until = Date.now() + timeoutMs; report.acknowledged.length < count;) {
        if (Date.now() > until) throw new Error(`only ${report.acknowledged.length} of ${count} writes acknowledged in ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    /** Stops issuing new requests and waits for the ones under way to be answered. */
    stop: async () => {
      stopping = true;
      await Promise.all(clients);
      return report;
    },
  };
}
