/** Pieces every route file declares its OpenAPI contract with. */
import { z } from "@hono/zod-openapi";
import { Problem } from "../../contract/index.js";

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { "application/json": { schema } } });
export const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });
export const commonProblems = { 400: problem("Invalid request; `errors` lists the offending fields"), 401: problem("Missing or wrong API key") };
export const jsonBody = <T extends z.ZodType>(schema: T) => ({ body: { required: true, content: { "application/json": { schema } } } });

export const writeProblems = {
  ...commonProblems,
  409: problem("Conflict: insufficient credits, idempotency key reused, already reversed…"),
  413: problem("Body too large"),
  415: problem("Body is not JSON"),
};
export const idempotencyHeader = z.object({
  "idempotency-key": z.string().openapi({ description: "Unique per action; the same on every retry of it", example: "act_7f3a…" }),
});
