/** The operator's token for `GET /metrics`, read where the ledger starts (apart from the route, which loads on its first call). */
/** LEDGER_METRICS_TOKEN: long enough not to be guessed, and sendable in a header. */
export function metricsTokenOf(env: NodeJS.ProcessEnv): string | undefined {
  const value = env.LEDGER_METRICS_TOKEN?.trim();
  if (!value) return undefined;
  if (!/^[\x21-\x7e]{16,200}$/.test(value)) throw new Error("LEDGER_METRICS_TOKEN must be 16 to 200 visible ASCII characters (e.g. openssl rand -hex 32).");
  return value;
}
