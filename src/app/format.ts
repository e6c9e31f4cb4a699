// Numbers and dates in the agent's own locale. Credits are whole numbers.
const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const signed = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0, signDisplay: "exceptZero" });
const date = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

// `+ 0` turns -0 (what negating a 0-credit entry gives) into 0, which Intl would print as "-0".
export const formatCredits = (n: number): string => integer.format(n + 0);
export const formatSignedCredits = (n: number): string => signed.format(n + 0);
export const formatDate = (iso: string | Date): string => date.format(typeof iso === "string" ? new Date(iso) : iso);
export const formatDateTime = (iso: string | Date): string => dateTime.format(typeof iso === "string" ? new Date(iso) : iso);
export const plural = (n: number, one: string, many: string): string => `${formatCredits(n)} ${n === 1 ? one : many}`;
const hours = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
/** "27 min"; an hour or more also in hours: "600 min · 10 h". */
export const formatMinutes = (minutes: number): string =>
  Math.abs(minutes) >= 60 ? `${formatCredits(minutes)} min · ${hours.format(minutes / 60)} h` : `${formatCredits(minutes)} min`;

const DAY_MS = 86_400_000;
/** "in 3 days", "tomorrow", "2 days ago": whole days from now. */
export function formatDaysFromNow(iso: string, now: Date = new Date()): string {
  const days = Math.round((new Date(iso).getTime() - now.getTime()) / DAY_MS);
  return relative.format(days, "day");
}

/** "01:02:03" for a stopwatch. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return [h, m, s].map((v) => String(v).padStart(2, "0")).join(":");
}
