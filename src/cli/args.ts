import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * node's own argument parser with a usage text: `--help` prints it and exits 0; a bad option prints the
 * problem and the usage to stderr and exits 2 (the usual convention for usage errors).
 */
export function parseCliArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
    if ((parsed.values as Record<string, unknown>).help) {
      process.stdout.write(usage + '\n');
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
}

/** Prints an error for a command-line user (no stack trace) and exits non-zero. */
export function failAndExit(err: unknown, code = 1): never {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(code);
}
