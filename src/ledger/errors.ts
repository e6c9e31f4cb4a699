import type { ErrorCode } from "../contract/index.js";

export interface FieldError {
  path: string;
  message: string;
}

/**
 * An error the client caused or must hear about, rendered as RFC 9457 problem+json with a stable
 * `code`. Anything else thrown is an internal error and is never shown to the client.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; balance?: number; required?: number; [key: string]: unknown } = {},
  ) {
    super(detail);
    this.name = "ProblemError";
  }

  toBody(): Record<string, unknown> {
    return {
      type: `https://support-credits.dev/problems/${this.code.replaceAll("_", "-")}`,
      title: this.title,
      status: this.status,
      detail: this.detail,
      code: this.code,
      ...this.extra,
    };
  }
}

export const problems = {
  invalid: (detail: string, errors?: FieldError[]) =>
    new ProblemError(400, "invalid_request", "Invalid request", detail, errors ? { errors } : {}),
  notFound: (detail: string) => new ProblemError(404, "not_found", "Not found", detail),
  unauthorized: () =>
    new ProblemError(401, "unauthorized", "Unauthorized", "Send a valid tenant API key as 'Authorization: Bearer <key>'."),
  insufficient: (balance: number, required: number, available: number) =>
    new ProblemError(
      409,
      "insufficient_credits",
      "Insufficient credits",
      `This needs ${required} credits but the bank can spend ${available} (balance ${balance}).`,
      { balance, required },
    ),
  conflict: (code: ErrorCode, title: string, detail: string, extra?: Record<string, unknown>) =>
    new ProblemError(409, code, title, detail, extra),
  unprocessable: (code: ErrorCode, title: string, detail: string) => new ProblemError(422, code, title, detail),
};
