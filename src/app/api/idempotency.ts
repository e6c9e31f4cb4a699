import { useMemo, useRef } from "react";

export function newIdempotencyKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return `app-${crypto.randomUUID()}`;
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return `app-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
}

/** JSON with sorted keys, so two equal bodies give the same text. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

export interface ActionKey {
  /** The key for this action: the same for every retry of the same request, new when the request changes. */
  keyFor(request: unknown): string;
  /** The action succeeded: the next one, even if identical (logging 15 minutes twice), is new. */
  done(): void;
}

/**
 * One Idempotency-Key per user action. A retry after a timeout reuses the key, so the ledger
 * replays the first answer instead of charging twice.
 */
export function useActionKey(): ActionKey {
  const current = useRef<{ fingerprint: string; key: string } | null>(null);
  return useMemo(
    () => ({
      keyFor(request: unknown) {
        const fp = fingerprint(request);
        if (!current.current || current.current.fingerprint !== fp) current.current = { fingerprint: fp, key: newIdempotencyKey() };
        return current.current.key;
      },
      done() {
        current.current = null;
      },
    }),
    [],
  );
}
