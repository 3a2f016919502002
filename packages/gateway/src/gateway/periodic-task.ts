/** A task run at start and then every `everyMs`, one run at a time. */
export interface PeriodicTask<T> {
  /** Runs now, or joins the run under way. */
  run(): Promise<T>;
  /** No more runs; waits for the one under way. */
  stop(): Promise<void>;
}

/**
 * Starts `task` now and every `everyMs` after (the timer does not keep the process alive). A
 * run that fails goes to `onError` and the next tick tries again. `task` is told whether the
 * task was stopped, to end a long run early.
 */
export function startPeriodicTask<T>(
  task: (stopped: () => boolean) => Promise<T>,
  everyMs: number,
  onError: (err: unknown) => void,
): PeriodicTask<T> {
  let running: Promise<T> | undefined;
  let stopped = false;
  const run = (): Promise<T> => {
    running ??= task(() => stopped).finally(() => {
      running = undefined;
    });
    return running;
  };
  const background = () => {
    run().catch(onError);
  };
  const timer = setInterval(background, everyMs);
  timer.unref();
  background();
  return {
    run,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
