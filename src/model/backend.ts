import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { log } from '../log.ts';
import { registerWebGpu } from './webgpu-backend.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' | 'webgpu';

export interface BackendChoice {
  /** Our name of the engine that runs (e.g. 'wasm'). */
  name: BackendName;
  /** tfjs's name of the active backend (tfjs-node and tfjs-node-gpu both register 'tensorflow'). */
  tfBackend: string;
  /** The engines tried first and why each could not be used. */
  skipped: { name: BackendName; reason: string }[];
}

/**
 * One way to run tfjs. `prepare` loads and registers the engine with the single tfjs-core that
 * '@tensorflow/tfjs' uses, and throws with a readable reason when it cannot. New engines (e.g. webgpu)
 * are added by appending a candidate here.
 */
export interface BackendCandidate {
  name: BackendName;
  tfBackend: string;
  /** Tried automatically, in list order; false: only when TF_BACKEND names it. */
  auto: boolean;
  prepare(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** Imports an optional package by a name TypeScript does not resolve, so a missing one is a run-time fact. */
async function importOptional(pkg: string): Promise<unknown> {
  try {
    return await import(pkg);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`${pkg} is not installed (optional dependency)`);
    }
    throw new Error(`${pkg} failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
}

export const backendCandidates: BackendCandidate[] = [
  {
    name: 'tensorflow-gpu',
    tfBackend: 'tensorflow',
    auto: true,
    prepare: async () => {
      await importOptional('@tensorflow/tfjs-node-gpu');
    },
  },
  {
    name: 'tensorflow',
    tfBackend: 'tensorflow',
    auto: true,
    prepare: async () => {
      await importOptional('@tensorflow/tfjs-node');
    },
  },
  {
    name: 'wasm',
    tfBackend: 'wasm',
    auto: true,
    prepare: async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // In Node the .wasm files must be named by absolute path; the default relative lookup fails.
      const distDir = path.dirname(
        require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'),
      );
      wasm.setWasmPaths(distDir + path.sep);
    },
  },
  { name: 'cpu', tfBackend: 'cpu', auto: true, prepare: async () => {} },
  {
    name: 'webgpu',
    tfBackend: 'webgpu',
    auto: false,
    prepare: async () => {
      // Dawn (the `webgpu` package) must provide navigator.gpu before the tfjs backend is imported.
      const gpu = await registerWebGpu();
      if (!gpu.ok) throw new Error(gpu.reason);
      log.info({ adapter: gpu.adapterInfo }, 'WebGPU adapter');
    },
  },
];

async function tryCandidate(candidate: BackendCandidate): Promise<void> {
  await candidate.prepare();
  if (!tf.findBackendFactory(candidate.tfBackend)) {
    throw new Error(`the package loaded but registered no '${candidate.tfBackend}' backend with this tfjs`);
  }
  // setBackend resolves false (or throws) when the engine cannot initialise, e.g. no GPU driver.
  const ok = await tf.setBackend(candidate.tfBackend);
  if (!ok) throw new Error(`tfjs could not initialise the '${candidate.tfBackend}' backend`);
  await tf.ready();
}

/**
 * Picks the fastest engine that works: tfjs-node-gpu, tfjs-node, wasm, then the pure-JS cpu.
 * `forced` (TF_BACKEND) selects one engine and fails loudly when it cannot run.
 */
export async function selectBackend(forced?: BackendName): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  const order = forced
    ? backendCandidates.filter((c) => c.name === forced)
    : backendCandidates.filter((c) => c.auto);
  if (order.length === 0) throw new Error(`Unknown backend '${forced}' (TF_BACKEND).`);

  if (forced) {
    for (const c of backendCandidates) {
      if (c.auto && c.name !== forced)
        skipped.push({ name: c.name, reason: 'TF_BACKEND selects another backend' });
    }
  }
  for (const candidate of order) {
    try {
      await tryCandidate(candidate);
      const choice: BackendChoice = { name: candidate.name, tfBackend: tf.getBackend(), skipped };
      log.info({ backend: choice.name, skipped }, `tfjs backend: ${choice.name}`);
      return choice;
    } catch (err) {
      const reason = (err as Error).message;
      if (forced) {
        throw new Error(
          `TF_BACKEND=${forced} cannot be used: ${reason}. Unset TF_BACKEND to pick automatically.`,
        );
      }
      skipped.push({ name: candidate.name, reason });
      log.debug({ backend: candidate.name, reason }, 'tfjs backend skipped');
    }
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
