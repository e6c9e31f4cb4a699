/**
 * Pieces every route file declares its OpenAPI contract with. The schemas themselves are the
 * contract's, imported file by file: a route group loads the schemas it uses, not all of them.
 * The document's frame (tags, servers, security) is document.ts's.
 */
import { z } from "@hono/zod-openapi";
import { Problem } from "../../contract/ledger.js";
import { EntryId, Owner, TicketId } from "../../contract/primitives.js";

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });
/** What any endpoint may answer besides what it lists. */
export const unexpectedProblem = problem(
  "Anything else: 500 `internal_error` (quote its request id), 503 `service_unavailable` when the database is unreachable (nothing was written; retry after `Retry-After` seconds, with the same Idempotency-Key)",
);
/** The endpoints without an API key are rate limited per client address (and tenant, where the path names one). */
export const rateLimitedProblem = problem("Too many requests from this client; retry after `Retry-After` seconds");
export const commonProblems = {
  400: problem("Invalid request; `errors` lists the offending fields"),
  401: problem("Missing or wrong API key"),
  default: unexpectedProblem,
};
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });

export const writeProblems = {
  ...commonProblems,
  409: problem("Conflict: insufficient credits, idempotency key reused, already reversed…"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
};
export const idempotencyHeader = z.object({
  "idempotency-key": z.string().meta({
    description: "Unique per action and the same on every retry of it (1–255 visible ASCII characters). A repeat answers the first response again.",
    example: "act_7f3a…",
  }),
});

export const ownerParams = z.object({
  owner: Owner.meta({ description: "The bank: `org:<Deskpro organisation id>` or `person:<Deskpro person id>`", example: "org:42" }),
});
export const ticketParams = z.object({ ticketId: TicketId.meta({ description: "A Deskpro ticket id", example: "1234" }) });
export const entryParams = z.object({ entryId: EntryId.meta({ description: "An entry id from a statement or a write's answer" }) });
