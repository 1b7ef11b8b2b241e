/**
 * `npm run retrain -- [--json] [--by <name>]`
 * Trains a candidate on the labels in the database, evaluates it against the active version and promotes it
 * when it passed its checks (a running bot follows the database's active version). Progress goes to stderr,
 * the result to stdout. Exit codes: 0 promoted or nothing to train, 3 rejected, 1 training failed.
 */
import { createBreedbot } from '../app/create.ts';
import type { TrainingProgress } from '../app/types.ts';
import { loadConfig } from '../config.ts';
import { startLearning, type RetrainResult } from '../learning/index.ts';
import { failAndExit, parseCliArgs } from './args.ts';

const usage = `Usage: npm run retrain -- [--json] [--by <name>]

  --json        print only the JSON result on stdout (progress stays on stderr)
  --by <name>   who asked (recorded with the version; default: the OS user)

Exit status: 0 promoted (or nothing to train), 3 the candidate was rejected, 1 training failed.`;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** e.g. "▓▓▓▓▓▓▓▓░░░░░░░░ 50% epoch 7/14, loss 0.41, holdout 88%" */
export function progressBar(p: TrainingProgress, width = 16): string {
  const fraction = Math.min(1, Math.max(0, p.fraction));
  const filled = Math.round(fraction * width);
  const parts = [`${'▓'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.round(fraction * 100)}%`];
  const details: string[] = [];
  if (p.epoch !== undefined) details.push(`epoch ${p.epoch}/${p.epochs ?? '?'}`);
  if (p.loss !== undefined) details.push(`loss ${p.loss.toFixed(2)}`);
  if (p.holdoutAccuracy !== undefined) details.push(`holdout ${Math.round(p.holdoutAccuracy * 100)}%`);
  if (details.length) parts.push(details.join(', '));
  return parts.join(' ');
}

export function resultText(r: RetrainResult): string {
  const scores =
    r.before && r.after
      ? ` top-1 ${pct(r.before.top1)} → ${pct(r.after.top1)}, top-5 ${pct(r.before.top5)} → ${pct(r.after.top5)}`
      : '';
  switch (r.status) {
    case 'promoted':
      return `promoted ${r.version}:${scores} (${r.labels} labels, trained in ${r.trainSeconds?.toFixed(1)} s)`;
    case 'rejected':
      return `rejected ${r.version}; the active model stays:\n  - ${(r.reasons ?? []).join('\n  - ')}`;
    case 'failed':
      return `training failed: ${r.reason}`;
    default:
      return `nothing to train: ${r.reason}`;
  }
}

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
  const config = loadConfig();
  const app = await createBreedbot(config);
  const learning = startLearning(app, config);
  const tty = process.stderr.isTTY;
  let result: RetrainResult;
  try {
    result = await learning.loop.retrain(
      { requestedBy: values.by ?? `cli:${process.env.USER ?? 'unknown'}`, reason: 'cli' },
      (p) => process.stderr.write(tty ? `\r${progressBar(p)}\x1b[K` : `${progressBar(p)}\n`),
    );
  } finally {
    if (tty) process.stderr.write('\n');
    await learning.close();
    await app.close();
  }
  process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : resultText(result) + '\n');
  process.exitCode = result.status === 'failed' ? 1 : result.status === 'rejected' ? 3 : 0;
}

main().catch((err) => failAndExit(err));
