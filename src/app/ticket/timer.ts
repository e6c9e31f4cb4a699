import { useCallback, useEffect, useState } from "react";
import { z } from "zod";
import { useDeskpro } from "../deskpro/DeskproProvider.js";

/**
 * A ticket's stopwatch, kept in Deskpro user state (per agent, server-side) so it survives the
 * sidebar reloading, another tab, or the browser restarting.
 */
export const TimerState = z.object({
  /** When the running stretch started; null while paused. */
  startedAt: z.iso.datetime({ offset: true }).nullable(),
  /** Time banked from earlier stretches. */
  elapsedMs: z.number().int().min(0),
  /**
   * Minutes that "Use this time" moved into Manual and that are not logged yet: after a reload the
   * sidebar opens on Manual with them, and the timer doesn't offer the same time again. Logging them
   * clears the timer. Absent in timers saved before this existed.
   */
  movedMinutes: z.number().int().positive().nullable().default(null),
});
export type TimerState = z.infer<typeof TimerState>;

export const timerStateName = (ticketId: string) => `timer_ticket_${ticketId}`;

export function elapsedOf(state: TimerState | null, now: number): number {
  if (!state) return 0;
  return state.elapsedMs + (state.startedAt ? Math.max(0, now - Date.parse(state.startedAt)) : 0);
}

export function useTicketTimer(ticketId: string) {
  const { client, ready } = useDeskpro();
  const name = timerStateName(ticketId);
  const [state, setState] = useState<TimerState | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    if (!ready) return;
    let cancelled = false;
    client
      .getUserState<unknown>(name)
      .then((rows) => {
        if (cancelled) return;
        const parsed = TimerState.safeParse(rows[0]?.data);
        setState(parsed.success ? parsed.data : null);
      })
      .catch(() => !cancelled && setSaveError("Couldn't read the saved timer from Deskpro."))
      .finally(() => !cancelled && setLoaded(true));
    return () => {
      cancelled = true;
    };
  }, [client, ready, name]);

  const running = state?.startedAt != null;
  useEffect(() => {
    if (!running) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [running]);

  const persist = useCallback(
    async (next: TimerState | null) => {
      setState(next);
      setNow(Date.now());
      try {
        if (next === null) await client.deleteUserState(name);
        else {
          const result = await client.setUserState(name, next);
          if (!result.isSuccess) throw new Error(result.errors.join(", "));
        }
        setSaveError(null);
      } catch {
        setSaveError("Deskpro didn't save the timer; it will stop if the sidebar reloads.");
      }
    },
    [client, name],
  );

  const movedMinutes = state?.movedMinutes ?? null;
  return {
    loaded,
    running,
    elapsedMs: elapsedOf(state, now),
    /** Time on the timer that hasn't been moved to Manual. */
    hasTime: state !== null && movedMinutes === null && elapsedOf(state, now) > 0,
    movedMinutes,
    saveError,
    start: () => persist({ startedAt: new Date().toISOString(), elapsedMs: state?.elapsedMs ?? 0, movedMinutes: null }),
    pause: () => persist({ startedAt: null, elapsedMs: elapsedOf(state, Date.now()), movedMinutes }),
    /** Stops the timer and records that its time, rounded up to `minutes`, now waits in Manual. */
    moveToManual: (minutes: number) => persist({ startedAt: null, elapsedMs: elapsedOf(state, Date.now()), movedMinutes: minutes }),
    /** Gives the moved time back to the timer, to run on or use later. */
    takeBack: () => persist(state && { ...state, movedMinutes: null }),
    reset: () => persist(null),
  };
}
