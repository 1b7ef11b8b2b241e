/**
 * Entry of the GPU proof (bundled by scripts/gpu-pack.ts, run by the pack's run.sh; also runnable here with
 * `node --import tsx src/gpu-proof/main.ts --model-dir=... --model-config=... --photos=... --out=...`).
 * Every size is a flag (--photos-count=300) or an environment variable (PROOF_PHOTOS_COUNT=300); see sizeFlags.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runProof, type ProofOptions } from './proof.ts';

/** Flag name → [environment variable, default]. */
const sizeFlags = {
  'photos-count': ['PROOF_PHOTOS_COUNT', 300],
  'agreement-photos': ['PROOF_AGREEMENT_PHOTOS', 16],
  batches: ['PROOF_BATCHES', '1,16,64,256'],
  'max-runs': ['PROOF_MAX_RUNS', 10],
  'head-labels': ['PROOF_HEAD_LABELS', 50_000],
  'head-breeds': ['PROOF_HEAD_BREEDS', 120],
  'head-epochs': ['PROOF_HEAD_EPOCHS', 5],
  'fine-tune-photos': ['PROOF_FINE_TUNE_PHOTOS', 1000],
  'holdout-photos': ['PROOF_HOLDOUT_PHOTOS', 50],
  'fine-tune-blocks': ['PROOF_FINE_TUNE_BLOCKS', 2],
  'fine-tune-batch': ['PROOF_FINE_TUNE_BATCH', 16],
  'cpu-fine-tune-photos': ['PROOF_CPU_FINE_TUNE_PHOTOS', 16],
  'budget-seconds': ['PROOF_BUDGET_SECONDS', 330],
} as const;
const pathFlags = {
  'model-dir': 'PROOF_MODEL_DIR',
  'model-config': 'PROOF_MODEL_CONFIG',
  photos: 'PROOF_PHOTOS_DIR',
  out: 'OUT',
} as const;

function readFlags(argv: string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([\w-]+)=(.*)$/.exec(arg);
    if (!match) throw new Error(`unexpected argument '${arg}' (flags are --name=value)`);
    flags.set(match[1]!, match[2]!);
  }
  return flags;
}

export function proofOptionsFrom(
  argv: string[],
  env: NodeJS.ProcessEnv,
): Omit<ProofOptions, 'loadWebGpuBackend'> {
  const flags = readFlags(argv);
  const known = new Set([...Object.keys(sizeFlags), ...Object.keys(pathFlags)]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name}`);
  const text = (name: keyof typeof sizeFlags) =>
    flags.get(name) ?? env[sizeFlags[name][0]] ?? String(sizeFlags[name][1]);
  const count = (name: keyof typeof sizeFlags) => {
    const value = Number(text(name));
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name} must be a whole number, got '${text(name)}'`);
    return value;
  };
  const where = (name: keyof typeof pathFlags, fallback?: string) => {
    const value = flags.get(name) ?? env[pathFlags[name]] ?? fallback;
    if (!value) throw new Error(`--${name} (or ${pathFlags[name]}) is required`);
    return path.resolve(value);
  };
  return {
    modelDir: where('model-dir'),
    modelConfigPath: where('model-config'),
    photosDir: where('photos'),
    outDir: where('out', 'out'),
    photos: count('photos-count'),
    agreementPhotos: count('agreement-photos'),
    batches: text('batches')
      .split(',')
      .map((b) => Number(b.trim()))
      .filter((b) => Number.isInteger(b) && b > 0),
    maxRuns: Math.max(1, count('max-runs')),
    headLabels: count('head-labels'),
    headBreeds: Math.max(2, count('head-breeds')),
    headEpochs: Math.max(1, count('head-epochs')),
    fineTune: {
      trainPhotos: count('fine-tune-photos'),
      holdoutPhotos: count('holdout-photos'),
      blocks: Math.max(1, count('fine-tune-blocks')),
      batchSize: Math.max(1, count('fine-tune-batch')),
    },
    cpuFineTunePhotos: count('cpu-fine-tune-photos'),
    budgetSeconds: count('budget-seconds'),
  };
}

async function main(): Promise<void> {
  let outDir = path.resolve(process.env.OUT || 'out');
  try {
    const options = proofOptionsFrom(process.argv.slice(2), process.env);
    outDir = options.outDir;
    mkdirSync(outDir, { recursive: true });
    // A literal import, so a bundle carries the WebGPU backend inside it, registered with the bundle's tfjs.
    await runProof({ ...options, loadWebGpuBackend: () => import('@tensorflow/tfjs-backend-webgpu') });
    process.exit(0);
  } catch (err) {
    mkdirSync(outDir, { recursive: true });
    const error = (err as Error).stack ?? String(err);
    writeFileSync(path.join(outDir, 'gpu-proof-error.txt'), error + '\n');
    process.stderr.write(`gpu-proof failed: ${error}\n`);
    process.exit(1);
  }
}

await main();
