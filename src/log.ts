import pino from 'pino';

/**
 * One logger for the whole program. It writes to stderr so that commands with `--json`
 * keep stdout for their JSON alone.
 */
export const log = pino(
  { level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info') },
  pino.destination(2),
);

export type Logger = typeof log;
