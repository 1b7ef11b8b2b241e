import pino from 'pino';
import { humanLogLine } from './log-human.ts';

export type LogFormat = 'json' | 'human';

export interface LogSetup {
  format: LogFormat;
  level: string;
}

/**
 * JSON lines for services and anything that reads stderr as data; short human lines for a person running a CLI
 * on a terminal, who by default sees only warnings and errors. LOG_FORMAT and LOG_LEVEL override both.
 */
export function chooseLogSetup(
  env: Record<string, string | undefined>,
  runner: { cli: boolean; stderrIsTTY: boolean },
): LogSetup {
  const format: LogFormat =
    env.LOG_FORMAT === 'json' || env.LOG_FORMAT === 'human'
      ? env.LOG_FORMAT
      : runner.cli && runner.stderrIsTTY
        ? 'human'
        : 'json';
  const quiet = env.NODE_ENV === 'test' || (runner.cli && format === 'human');
  return { format, level: env.LOG_LEVEL ?? (quiet ? 'warn' : 'info') };
}

const serviceSetup = chooseLogSetup(process.env, { cli: false, stderrIsTTY: false });
let format: LogFormat = serviceSetup.format;
const stderr = pino.destination(2);
const sink = {
  write(line: string): void {
    stderr.write(format === 'json' ? line : humanLogLine(line));
  },
};

/**
 * One logger for the whole program. It writes to stderr so that commands with `--json`
 * keep stdout for their JSON alone.
 */
export const log = pino({ level: serviceSetup.level }, sink);

/**
 * Called once by each CLI before it does anything. The setup also goes into the environment, so worker threads
 * (which read it when they load this module) log the same way.
 */
export function useCliLogging(stderrIsTTY = process.stderr.isTTY === true): LogSetup {
  const setup = chooseLogSetup(process.env, { cli: true, stderrIsTTY });
  format = setup.format;
  log.level = setup.level;
  process.env.LOG_FORMAT = setup.format;
  process.env.LOG_LEVEL = setup.level;
  return setup;
}

export type Logger = typeof log;
