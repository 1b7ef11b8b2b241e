/**
 * `npm run test:abuse [-- --json] [--fuzz N] [--labels N] [--no-kill]`
 * Runs the abuse suite (test/abuse): 1,000+ fuzzed images, every SSRF case, 1,000 concurrent labels through the
 * fake Discord, the kill -9 tests. With --json, stdout carries only the figures (logs go to stderr).
 * Exits non-zero when any target is missed.
 */
import { parseCliArgs } from '../src/cli/args.ts';
import { fullAbuseOptions, runAbuseSuite } from '../test/abuse/run-abuse.ts';
import { missingSharedInputs } from '../test/helpers/shared-data.ts';

const usage = `Usage: npm run test:abuse -- [--json] [--fuzz N] [--labels N] [--no-kill]

  --json       print only the figures as JSON on stdout
  --fuzz N     fuzzed images (default ${fullAbuseOptions.fuzzCount})
  --labels N   concurrent labels (default ${fullAbuseOptions.concurrentLabels})
  --no-kill    skip the kill -9 tests`;

const { values } = parseCliArgs(
  process.argv.slice(2),
  {
    json: { type: 'boolean' },
    fuzz: { type: 'string' },
    labels: { type: 'string' },
    'no-kill': { type: 'boolean' },
  },
  usage,
);
const missing = missingSharedInputs();
if (missing) {
  process.stderr.write(`test:abuse ${missing}\n`);
  process.exit(1);
}
const options = {
  ...fullAbuseOptions,
  ...(values.fuzz ? { fuzzCount: Number(values.fuzz) } : {}),
  ...(values.labels ? { concurrentLabels: Number(values.labels) } : {}),
  killTests: !values['no-kill'],
};
const report = await runAbuseSuite(options);
if (values.json) process.stdout.write(`${JSON.stringify(report.figures)}\n`);
else {
  process.stdout.write(`${JSON.stringify(report.figures, null, 2)}\n`);
  for (const r of report.details.kill?.results ?? [])
    process.stdout.write(
      `${r.passed ? 'pass' : 'FAIL'}  ${r.name}${r.problems.length ? `: ${r.problems.join('; ')}` : ''}\n`,
    );
  const l = report.details.labels;
  process.stdout.write(
    `labels: ${l.byReaction} by reaction + ${l.byCommand} by /label from ${l.people} people on ${l.photos} photos; ` +
      `${l.stored} stored, ${l.acknowledged} answered (${l.acknowledgedWithin3s} acknowledged within 3 s; ` +
      `p50 ${l.ackDelayMs.p50} ms, max ${l.ackDelayMs.max} ms) in ${(l.durationMs / 1000).toFixed(1)} s\n`,
  );
}
for (const f of report.failures) process.stderr.write(`test:abuse: target missed: ${f}\n`);
// Worker threads of the model runtimes may linger; the verdict is final.
process.exit(report.failures.length ? 1 : 0);
