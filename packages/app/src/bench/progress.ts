/**
 * Progress of a bench run on stderr: a cli-progress bar (the step count, the elapsed time and what runs
 * now) on a terminal, plain lines otherwise (CI logs, pipes), and nothing at all when silenced (tests).
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Announces how many steps the run has in all (may grow while it runs, as sections learn theirs). */
  addSteps(count: number): void;
  /** One step starts. */
  step(label: string): void;
  /** A line that must stay visible (a skipped scenario, a warning). */
  note(message: string): void;
  stop(): void;
}

export function silentProgress(): Progress {
  return { addSteps: () => undefined, step: () => undefined, note: () => undefined, stop: () => undefined };
}

export function plainProgress(
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Progress {
  let total = 0;
  let done = 0;
  const started = performance.now();
  const elapsed = (): string => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  return {
    addSteps: (count) => {
      total += count;
    },
    step: (label) => {
      done++;
      write(`[bench ${String(done)}/${String(total)}, ${elapsed()}] ${label}`);
    },
    note: (message) => {
      write(`[bench] ${message}`);
    },
    stop: () => {
      write(`[bench] done in ${elapsed()}`);
    },
  };
}

export function barProgress(): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: ' {bar} {value}/{total} steps | {duration_formatted} | {label}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  let total = 0;
  let done = 0;
  let started = false;
  return {
    addSteps: (count) => {
      total += count;
      if (started) bar.setTotal(total);
    },
    step: (label) => {
      if (!started) {
        bar.start(total, 0, { label });
        started = true;
      }
      // The bar shows the step that runs now; it is complete once that step has finished.
      bar.update(done, { label });
      done++;
    },
    note: (message) => {
      if (started) bar.stop();
      process.stderr.write(`${message}\n`);
      if (started) bar.start(total, Math.max(0, done - 1), { label: '' });
    },
    stop: () => {
      if (started) {
        bar.update(done, { label: 'done' });
        bar.stop();
      }
    },
  };
}

/** A bar on a terminal, plain lines elsewhere. */
export function defaultProgress(): Progress {
  return process.stderr.isTTY ? barProgress() : plainProgress();
}
