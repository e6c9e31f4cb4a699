import type { ProblemError } from "../errors.js";

export function problemResponse(problem: ProblemError, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem.toBody()), {
    status: problem.status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
