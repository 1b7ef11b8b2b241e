/** A breedbot process the abuse suites start, watch line by line, and kill. */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/config.ts';

export interface WatchedChild {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line (past or future) that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string>;
  /** Resolves with the exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** SIGKILL, then waits for the exit. */
  kill9(): Promise<number | string>;
}

/** Runs a TypeScript entry point of this repository with tsx, in the project root, with `env` added. */
export function spawnEntry(entry: string, args: string[], env: Record<string, string>): WatchedChild {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const l of [...listeners]) l();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const l of [...listeners]) l();
      resolve(code ?? signal ?? 'unknown');
    }),
  );
  const waitForLine = (match: (line: string) => boolean, timeoutMs: number, what: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = out.split('\n').find(match);
        if (line !== undefined) return done(() => resolve(line));
        if (child.exitCode !== null || child.signalCode !== null)
          done(() => reject(new Error(`child exited before ${what}\n${err.slice(-2000)}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${what} within ${timeoutMs} ms\n${err.slice(-2000)}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitForLine,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
  };
}

/** The JSON events kill-child.ts prints. */
export const eventLine =
  (event: string, extra: (data: Record<string, unknown>) => boolean = () => true) =>
  (line: string): boolean => {
    if (!line.startsWith('{')) return false;
    try {
      const data = JSON.parse(line) as Record<string, unknown>;
      return data.event === event && extra(data);
    } catch {
      return false;
    }
  };
