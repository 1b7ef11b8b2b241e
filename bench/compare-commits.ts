/**
 * `npm run bench:compare -- <base-commit> [--rounds N] [--head <commit>]`: is `npm run bench` unchanged between
 * two commits? Checks both out in temporary git worktrees (node_modules linked from this checkout, the Prisma
 * client generated there, the model cache copied), then runs each one's own bench/bench.ts in quick settings,
 * alternately (base, head, base, head, ...) on the same photos, so a change in the machine's load hits both.
 * Prints each figure's ratio head/base over the medians of the rounds, with the per-round range, and writes
 * bench/compare.json (git-ignored).
 *
 * Quick settings (each overridable from the environment): BENCH_SOAK=1000, BENCH_SOAK_FULL=200, no alternatives,
 * no second backbone, no head training.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/config.ts';
import { round } from './load.ts';

const QUICK: Record<string, string> = {
  BENCH_SOAK: '1000',
  BENCH_SOAK_FULL: '200',
  BENCH_ALTERNATIVES: '',
  BENCH_COMPARE_BACKBONE: '',
  BENCH_TRAINING: '',
};

/** The figures compared, read from each run's bench/results.json; `higherIsBetter` only orients the verdict. */
const FIGURES = [
  { key: 'p50Ms', label: 'classify p50 (c=1), ms', read: (r: BenchResults) => r.classify.p50Ms },
  {
    key: 'imagesPerSecondAt8',
    label: 'images/s at c=8',
    read: (r: BenchResults) => r.classify.imagesPerSecondAt8,
  },
  {
    key: 'eventLoopLagP99Ms',
    label: 'event-loop p99 at c=8, ms',
    read: (r: BenchResults) => r.eventLoopLagP99Ms,
  },
  { key: 'rssMb', label: 'RSS after soak, MB', read: (r: BenchResults) => r.rssMb },
] as const;

interface BenchResults {
  classify: { p50Ms: number; imagesPerSecondAt8: number };
  eventLoopLagP99Ms: number;
  rssMb: number;
  engine: { kind: string; parallelism: number };
  model: string;
  machine: { loadAverage: number[] };
}

const git = (...args: string[]) => execFileSync('git', args, { cwd: projectRoot, encoding: 'utf8' }).trim();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** A worktree of `commit` under `dir`, ready to run its bench without `npm ci` (offline). */
function prepareWorktree(dir: string, commit: string): void {
  git('worktree', 'add', '--detach', dir, commit);
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const cache = path.join(projectRoot, 'models/cache');
  if (existsSync(cache)) cpSync(cache, path.join(dir, 'models/cache'), { recursive: true });
  // Its own schema's client: a copy of this checkout's would not match an older schema.
  execFileSync(process.execPath, ['--import', 'tsx', 'scripts/prisma-generate.ts'], {
    cwd: dir,
    stdio: 'ignore',
  });
}

function runBench(dir: string, logFile: string): Promise<BenchResults> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bench.ts'], {
      cwd: dir,
      env: { ...QUICK, ...process.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const text = Buffer.concat(output).toString();
      writeFileSync(logFile, text);
      if (code !== 0) return reject(new Error(`bench in ${dir} exited with ${code}:\n${text.slice(-2000)}`));
      resolve(JSON.parse(readFileSync(path.join(dir, 'bench/results.json'), 'utf8')) as BenchResults);
    });
  });
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { rounds: { type: 'string', default: '3' }, head: { type: 'string', default: 'HEAD' } },
  });
  const baseRef = positionals[0];
  if (!baseRef)
    throw new Error('usage: npm run bench:compare -- <base-commit> [--rounds N] [--head <commit>]');
  const rounds = Number(values.rounds);
  const base = git('rev-parse', '--short', `${baseRef}^{commit}`);
  const head = git('rev-parse', '--short', `${values.head}^{commit}`);
  const photos = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
  if (!existsSync(photos)) {
    console.log(`bench:compare: skipped, it needs ${path.relative(projectRoot, photos)} (absent)`);
    return;
  }

  // bench.ts finds the photos at <checkout>/../shared, so the worktrees get a shared/ beside them.
  const root = mkdtempSync(path.join(os.tmpdir(), 'breedbot-compare-'));
  symlinkSync(path.resolve(projectRoot, '../shared'), path.join(root, 'shared'), 'dir');
  const sides = {
    base: { commit: base, dir: path.join(root, 'base') },
    head: { commit: head, dir: path.join(root, 'head') },
  };
  const runs: Record<'base' | 'head', BenchResults[]> = { base: [], head: [] };
  try {
    for (const side of Object.values(sides)) prepareWorktree(side.dir, side.commit);
    for (let i = 1; i <= rounds; i++) {
      for (const name of ['base', 'head'] as const) {
        console.error(`bench:compare: round ${i}/${rounds}, ${name} (${sides[name].commit})`);
        runs[name].push(await runBench(sides[name].dir, path.join(root, `${name}-${i}.log`)));
      }
    }
  } finally {
    for (const side of Object.values(sides))
      if (existsSync(side.dir)) git('worktree', 'remove', '--force', side.dir);
    rmSync(root, { recursive: true, force: true });
    git('worktree', 'prune');
  }

  const figures = FIGURES.map(({ key, label, read }) => {
    const baseValues = runs.base.map(read);
    const headValues = runs.head.map(read);
    const perRound = headValues.map((h, i) => round(h / baseValues[i]!, 3));
    return {
      key,
      label,
      base: round(median(baseValues)),
      head: round(median(headValues)),
      ratio: round(median(headValues) / median(baseValues), 3),
      perRoundRatios: perRound,
      baseValues,
      headValues,
    };
  });
  const summary = {
    base,
    head,
    rounds,
    settings: Object.fromEntries(Object.keys(QUICK).map((k) => [k, process.env[k] ?? QUICK[k]])),
    engine: `${runs.head[0]!.engine.kind} x${runs.head[0]!.engine.parallelism}`,
    model: runs.head[0]!.model,
    cpus: os.availableParallelism(),
    loadAverages: [...runs.base, ...runs.head].map((r) => r.machine.loadAverage[0]),
    figures,
    measuredAt: new Date().toISOString(),
  };
  writeFileSync(path.join(projectRoot, 'bench/compare.json'), JSON.stringify(summary, null, 2) + '\n');

  console.log(`npm run bench, head ${head} / base ${base}: medians of ${rounds} alternating rounds each`);
  console.log(
    `(${summary.engine}, ${summary.model}, ${summary.cpus} cores, 1-min load ${summary.loadAverages.join(' ')})`,
  );
  for (const f of figures)
    console.log(
      `  ${f.label.padEnd(28)} base ${String(f.base).padStart(8)}  head ${String(f.head).padStart(8)}  ` +
        `ratio ${f.ratio.toFixed(3)}  (rounds ${f.perRoundRatios.map((r) => r.toFixed(2)).join(', ')})`,
    );
}

await main();
