/**
 * Cleanup that always runs: steps registered here run (newest first) when the benchmark ends,
 * fails, or gets SIGINT/SIGTERM; a synchronous backstop runs on process exit for anything that
 * the asynchronous path did not finish (e.g. a second Ctrl-C).
 */
export interface TeardownStep {
  readonly label: string;
  /** The normal, graceful cleanup (stop processes, then remove their directories). */
  readonly run: () => Promise<void>;
  /** Last resort at process exit: SIGKILL what is left, remove directories synchronously. */
  readonly runSync: () => void;
}

export class Teardown {
  readonly #steps: TeardownStep[] = [];
  #running: Promise<void> | null = null;
  readonly #log: (line: string) => void;
  readonly #interrupted = new AbortController();
  readonly #inProgress = new Map<TeardownStep, Promise<void>>();

  constructor(log: (line: string) => void) {
    this.#log = log;
  }

  /** Aborted on SIGINT/SIGTERM: load loops stop issuing requests. */
  get signal(): AbortSignal {
    return this.#interrupted.signal;
  }

  add(step: TeardownStep): void {
    this.#steps.push(step);
  }

  /** Run every registered step once, newest first; errors are logged, not thrown. */
  runAll(): Promise<void> {
    if (this.#running === null) this.#running = this.#runSteps();
    return this.#running;
  }

  async #runSteps(): Promise<void> {
    while (this.#steps.length > 0) await this.#finish(this.#steps[this.#steps.length - 1]!);
  }

  /** Run one step now and forget it (it stays registered while it runs, for the exit backstop). */
  async finish(label: string): Promise<void> {
    const step = this.#steps.find((s) => s.label === label);
    if (step !== undefined) await this.#finish(step);
  }

  /** Runs a step at most once: a second caller waits for the first run. */
  #finish(step: TeardownStep): Promise<void> {
    let running = this.#inProgress.get(step);
    if (running === undefined) {
      running = (async () => {
        try {
          await step.run();
        } catch (err) {
          this.#log(`cleanup of ${step.label} failed: ${String(err)}`);
          this.#safeSync(step);
        }
        const i = this.#steps.indexOf(step);
        if (i >= 0) this.#steps.splice(i, 1);
      })();
      this.#inProgress.set(step, running);
    }
    return running;
  }

  #safeSync(step: TeardownStep): void {
    try {
      step.runSync();
    } catch (err) {
      this.#log(`last-resort cleanup of ${step.label} failed: ${String(err)}`);
    }
  }

  /**
   * SIGINT/SIGTERM clean up and exit with 128+signal; a second signal skips the graceful
   * path. Process exit runs the synchronous backstop for what is left.
   */
  installSignalHandlers(): void {
    const onSignal = (signal: NodeJS.Signals, code: number) => {
      if (this.#running !== null) {
        this.#log(`${signal} again: killing what is left`);
        process.exit(code);
      }
      this.#log(`${signal}: stopping clusters and removing temp dirs…`);
      this.#interrupted.abort();
      void this.runAll().finally(() => process.exit(code));
    };
    process.on('SIGINT', () => onSignal('SIGINT', 130));
    process.on('SIGTERM', () => onSignal('SIGTERM', 143));
    process.on('exit', () => {
      for (const step of this.#steps.splice(0).reverse()) this.#safeSync(step);
    });
  }
}
