/**
 * A task a long-running process repeats in the background: the next run starts `intervalMs` after
 * the last one ended (never two at once), `poke` runs it now, `stop` waits for a run in progress.
 * Its timers don't keep the process alive.
 */
export interface Repeating {
  poke(): void;
  stop(): Promise<void>;
}

export function repeatInBackground(
  task: () => Promise<unknown>,
  options: { intervalMs: number; firstDelayMs?: number; onError?: (error: unknown) => void },
): Repeating {
  let stopped = false;
  let running: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const run = () => {
    if (stopped || running) return;
    running = task()
      .then(() => undefined)
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = null;
        schedule(options.intervalMs);
      });
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(run, ms);
    timer.unref?.();
  };
  schedule(options.firstDelayMs ?? options.intervalMs);
  return {
    poke: () => {
      if (timer) clearTimeout(timer);
      run();
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
