/** Keeps every step of the proof inside its share of a hard overall deadline. */

/** A step that did not run or did not finish, and why. */
export interface Skipped {
  skipped: string;
}

export class Deadline {
  readonly #endsAt: number;
  constructor(seconds: number) {
    this.#endsAt = performance.now() + seconds * 1000;
  }
  /** Milliseconds left before the overall deadline. */
  leftMs(): number {
    return Math.max(0, this.#endsAt - performance.now());
  }
  /** A step's own end: `seconds` from now, but never past the overall deadline. */
  step(seconds: number): StepClock {
    return new StepClock(Math.min(performance.now() + seconds * 1000, this.#endsAt));
  }
}

export class StepClock {
  constructor(readonly endsAt: number) {}
  leftMs(): number {
    return Math.max(0, this.endsAt - performance.now());
  }
  expired(): boolean {
    return this.leftMs() === 0;
  }
}

/**
 * Runs `fn` unless the step has no time left; an error becomes `{ skipped: reason }` so one failed step never
 * loses the figures of the others.
 */
export async function runStep<T>(
  name: string,
  clock: StepClock,
  fn: (clock: StepClock) => Promise<T>,
  log: (line: string) => void,
): Promise<T | Skipped> {
  if (clock.expired()) {
    log(`${name}: skipped, no time left`);
    return { skipped: 'no time left in the run' };
  }
  const began = performance.now();
  log(`${name}: start (${(clock.leftMs() / 1000).toFixed(0)} s box)`);
  try {
    const result = await fn(clock);
    log(`${name}: done in ${((performance.now() - began) / 1000).toFixed(1)} s`);
    return result;
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0]!;
    log(`${name}: failed: ${reason}`);
    return { skipped: `failed: ${reason}` };
  }
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
