/**
 * `npm run gpu:pack` builds a folder that runs the GPU proof without Node.js or the repository: it is built into a
 * temporary folder, copied into a clean one, and its run.sh runs there with a PATH that holds no node, on this
 * machine's Vulkan device (Mesa's software one in CI), with tiny sizes. Its JSON must report the adapter, agreement
 * with the cpu backend and every figure.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { skipWithoutTrainPhotos } from './helpers/shared-data.ts';

/** What run.sh may use: a shell, coreutils, gzip and tar. Nothing else is on its PATH. */
const RUN_TOOLS = [
  'bash',
  'sh',
  'gzip',
  'tar',
  'mktemp',
  'timeout',
  'dirname',
  'mkdir',
  'rm',
  'cat',
  'uname',
  'chmod',
  'tee',
  'ls',
];

const which = (tool: string): string | undefined => {
  try {
    return execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

const vulkanDrivers = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'].some(
  (d) => existsSync(d) && readdirSync(d).some((f) => f.endsWith('.json')),
);
const skip =
  skipWithoutTrainPhotos ||
  (() => {
    try {
      createRequire(import.meta.url).resolve('webgpu');
    } catch {
      return 'needs the optional package webgpu (not installed)';
    }
    if (!vulkanDrivers) {
      return "needs a Vulkan driver (none in /usr/share/vulkan/icd.d): 'apt-get install -t bookworm-backports mesa-vulkan-drivers'";
    }
    const missing = [...RUN_TOOLS, 'dpkg-deb'].filter((t) => !which(t));
    if (missing.length) return `needs ${missing.join(', ')} on this machine`;
    const debsCached =
      existsSync(path.join(projectRoot, '.gl')) && readdirSync(path.join(projectRoot, '.gl')).length > 0;
    if (!debsCached && !which('apt-get'))
      return 'needs apt-get (or the Vulkan .debs in .gl) to fetch the loader';
    return false;
  })();

const work = mkdtempSync(path.join(os.tmpdir(), 'gpu-pack-test-'));
after(() => rmSync(work, { recursive: true, force: true }));

function run(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd: string; timeoutMs: number },
) {
  return new Promise<string>((resolve, reject) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: options.env,
        timeout: options.timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 32 << 20,
      },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`${path.basename(file)} failed: ${err.message}\n${(stdout + stderr).slice(-3000)}`),
          );
        else resolve(stdout + stderr);
      },
    );
  });
}

/** Tiny sizes for software Vulkan: seconds per image there, not milliseconds. */
const tinyProof = {
  PROOF_PHOTOS_COUNT: '8',
  PROOF_AGREEMENT_PHOTOS: '2',
  PROOF_BATCHES: '1',
  PROOF_MAX_RUNS: '1',
  PROOF_HEAD_LABELS: '1000',
  PROOF_HEAD_BREEDS: '10',
  PROOF_HEAD_EPOCHS: '1',
  PROOF_FINE_TUNE_PHOTOS: '4',
  PROOF_HOLDOUT_PHOTOS: '4',
  PROOF_FINE_TUNE_BATCH: '4',
  PROOF_FINE_TUNE_BLOCKS: '2',
  PROOF_CPU_FINE_TUNE_PHOTOS: '0',
  PROOF_BUDGET_SECONDS: '300',
};

test(
  'the packed folder runs the GPU proof from a clean folder without Node.js and reports every figure',
  { skip },
  async (t) => {
    const built = path.join(work, 'built');
    await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/gpu-pack.ts', `--out=${built}`, '--photos=8', '--fast'],
      {
        cwd: projectRoot,
        env: { ...process.env, LOG_LEVEL: 'warn' },
        timeoutMs: 180_000,
      },
    );
    assert.deepEqual(readdirSync(built).sort(), ['node.gz', 'pack.json', 'payload.tar.br', 'run.sh']);

    // A clean folder far from the repository, and a PATH with only the tools run.sh may use: no node.
    const clean = path.join(work, 'clean');
    cpSync(built, path.join(clean, 'pack'), { recursive: true });
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    for (const tool of RUN_TOOLS) symlinkSync(which(tool)!, path.join(bin, tool));
    assert.throws(() =>
      execFileSync(path.join(bin, 'sh'), ['-c', 'command -v node'], { env: { PATH: bin } }),
    );

    const out = path.join(clean, 'out');
    const log = await run(path.join(bin, 'bash'), [path.join(clean, 'pack', 'run.sh')], {
      cwd: clean,
      env: { PATH: bin, HOME: clean, TMPDIR: work, OUT: out, LOG_LEVEL: 'warn', ...tinyProof },
      timeoutMs: 360_000,
    });
    assert.match(log, /run\.sh: proof exited with 0/);
    assert.ok(existsSync(path.join(out, 'gpu-proof.log')), 'the proof writes its log to $OUT');
    assert.ok(existsSync(path.join(out, 'run.log')), 'run.sh writes its log to $OUT');

    const report = JSON.parse(readFileSync(path.join(out, 'gpu-proof.json'), 'utf8'));
    t.diagnostic(`adapter: ${report.adapter.name}; ${report.seconds.toFixed(0)} s`);
    assert.equal(report.adapter.found, true, JSON.stringify(report.adapter));
    assert.match(report.adapter.automaticChoice, /^(refused|accepted)/);
    assert.equal(report.agreement.photos, 2);
    assert.ok(report.agreement.maxAbsDiff <= 1e-3, `max |webgpu - cpu| ${report.agreement.maxAbsDiff}`);

    const figures = (rows: { batch: number; imagesPerSecond?: number; p50Ms?: number }[]) => {
      assert.deepEqual(
        rows.map((r) => r.batch),
        [1],
      );
      for (const row of rows) assert.ok(row.imagesPerSecond! > 0 && row.p50Ms! > 0, JSON.stringify(row));
    };
    figures(report.webgpu.inference);
    figures(report.cpu.inference);
    for (const head of [report.webgpu.headTraining, report.cpu.headTraining]) {
      assert.equal(head.labels, 1000, JSON.stringify(head));
      assert.ok(head.seconds > 0 && head.epochs === 1 && head.complete, JSON.stringify(head));
    }
    // The default backbone is residual (MobileNet-EdgeTPU): the tail after its last Add is what is fine-tuned.
    const tune = report.webgpu.fineTune;
    assert.ok(!('skipped' in tune), JSON.stringify(tune));
    t.diagnostic(`fine-tuning: ${JSON.stringify(tune)}`);
    assert.ok(tune.seconds > 0, JSON.stringify(tune));
    assert.equal(tune.trainPhotos, 4);
    assert.equal(tune.holdoutPhotos, 4);
    assert.equal(tune.cutLayer, 'add_68', JSON.stringify(tune));
    for (const accuracy of [tune.holdoutTop1Before, tune.holdoutTop1After])
      assert.ok(accuracy >= 0 && accuracy <= 1, JSON.stringify(tune));
    assert.match(report.cpu.fineTune.skipped, /no training photos/);
  },
);
