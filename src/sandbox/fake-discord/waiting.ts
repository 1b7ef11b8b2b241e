import type { EventEmitter } from 'node:events';

export const DEFAULT_TIMEOUT_MS = 15_000;

/** Something that says when the world may have changed: the fake emits 'request' and 'change'. */
type ChangeSource = Pick<EventEmitter, 'on' | 'off'>;

/** Re-checks `probe` after every REST call and message change until it returns something. */
export function waitUntil<T>(
  source: ChangeSource,
  probe: () => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const now = probe();
  if (now !== undefined) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const check = () => {
      const value = probe();
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`fake Discord: timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      source.off('request', check);
      source.off('change', check);
    };
    source.on('request', check);
    source.on('change', check);
  });
}
