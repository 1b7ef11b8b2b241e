/**
 * `npm run retrain -- [--json] [--by <name>]`
 * Trains a candidate on the labels in the database, evaluates it against the active version and promotes it
 * when it passed its checks (a running bot follows the database's active version). Progress goes to stderr,
 * the result to stdout. Exit codes: 0 promoted or nothing to train, 3 rejected, 1 training failed.
 */
import './cli-logging.ts';
import { loadConfig } from '../config.ts';
import type { RetrainResult } from '../learning/index.ts';
import { buildRuntime } from '../runtime/build-runtime.ts';
import { progressBar, resultText } from '../learning/progress-text.ts';
import { failAndExit, parseCliArgs } from './args.ts';

const usage = `Usage: npm run retrain -- [--json] [--by <name>]

  --json        print only the JSON result on stdout (progress stays on stderr)
  --by <name>   who asked (recorded with the version; default: the OS user)

Exit status: 0 promoted (or nothing to train: too few labels to check a candidate on, or nothing new since
the active version; no version is made), 3 the candidate was rejected, 1 training failed.`;

async function main() {
  const { values, positionals } = parseCliArgs(
    process.argv.slice(2),
    { json: { type: 'boolean' }, by: { type: 'string' } },
    usage,
  );
  if (positionals.length) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const { learning, close } = await buildRuntime(loadConfig(), 'learning');
  const tty = process.stderr.isTTY;
  let result: RetrainResult;
  try {
    result = await learning.loop.retrain(
      { requestedBy: values.by ?? `cli:${process.env.USER ?? 'unknown'}`, reason: 'cli' },
      (p) => process.stderr.write(tty ? `\r${progressBar(p)}\x1b[K` : `${progressBar(p)}\n`),
    );
  } finally {
    if (tty) process.stderr.write('\n');
    await close();
  }
  process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : resultText(result) + '\n');
  process.exitCode = result.status === 'failed' ? 1 : result.status === 'rejected' ? 3 : 0;
}

main().catch((err) => failAndExit(err));
