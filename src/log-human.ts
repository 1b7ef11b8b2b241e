/** pino's JSON line as one short line a person reads on a terminal: "warn: message (key=value, …)". */
const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'err']);
const MAX_VALUE_LENGTH = 80;

export function humanLogLine(jsonLine: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const level = LEVEL_NAMES[entry.level as number] ?? String(entry.level);
  const details = Object.entries(entry)
    .filter(([key, value]) => !OMITTED.has(key) && value !== null && typeof value !== 'object')
    .map(([key, value]) => `${key}=${String(value).slice(0, MAX_VALUE_LENGTH)}`);
  const err = entry.err as { message?: unknown } | undefined;
  if (typeof err?.message === 'string') details.unshift(err.message);
  const message = typeof entry.msg === 'string' ? entry.msg : '';
  return `${level}: ${message}${details.length ? ` (${details.join(', ')})` : ''}\n`;
}
