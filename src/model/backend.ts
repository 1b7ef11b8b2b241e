import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { log } from '../log.ts';
import { agreementWithCpu, CPU_AGREEMENT_TOLERANCE } from './backend-agreement.ts';
import { describeAdapter, registerWebGpu, type WebGpuAdapterInfo } from './webgpu-backend.ts';

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu' | 'webgpu';

export interface BackendChoice {
  /** Our name of the engine that runs (e.g. 'wasm'). */
  name: BackendName;
  /** tfjs's name of the active backend (tfjs-node and tfjs-node-gpu both register 'tensorflow'). */
  tfBackend: string;
  /** The engines tried first and why each could not be used. */
  skipped: { name: BackendName; reason: string }[];
  /** For webgpu: the adapter it runs on. */
  adapter?: WebGpuAdapterInfo;
  /** For webgpu chosen automatically: the largest |webgpu - cpu| of the start-up check. */
  cpuMaxAbsDiff?: number;
}

export interface SelectBackendOptions {
  /**
   * Let the automatic choice take a software (CPU) WebGPU adapter such as lavapipe. Only for tests that
   * exercise the automatic WebGPU path on a machine without a GPU; a software adapter is slower than wasm.
   */
  acceptSoftwareWebGpu?: boolean;
}

/** What a candidate learns while it starts, reported in BackendChoice. */
interface PreparedDetails {
  adapter?: WebGpuAdapterInfo;
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
  /** `automatic`: chosen by the ranking, not by TF_BACKEND (a candidate may then be pickier). */
  prepare(context: PrepareContext): Promise<PreparedDetails | void>;
  /** For the automatic choice only: runs once the backend is active; throws when its results cannot be trusted. */
  verify?(): Promise<{ cpuMaxAbsDiff: number }>;
}

export interface PrepareContext {
  automatic: boolean;
  options: SelectBackendOptions;
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

/** Once a software adapter was refused for the automatic choice, later automatic choices skip the probe. */
let automaticWebGpuRefusal: string | undefined;

/**
 * Dawn (the `webgpu` package) must provide navigator.gpu before the tfjs backend is imported. Chosen
 * automatically, only a hardware adapter counts: a CPU/software one (lavapipe, SwiftShader) is refused.
 */
async function prepareWebGpu({ automatic, options }: PrepareContext): Promise<PreparedDetails> {
  const hardwareOnly = automatic && !options.acceptSoftwareWebGpu;
  if (hardwareOnly && automaticWebGpuRefusal) throw new Error(automaticWebGpuRefusal);
  const gpu = await registerWebGpu({ hardwareOnly });
  if (!gpu.ok) {
    if (hardwareOnly) automaticWebGpuRefusal = gpu.reason;
    if (gpu.adapterInfo) log.info({ adapter: gpu.adapterInfo, reason: gpu.reason }, 'WebGPU adapter refused');
    throw new Error(gpu.reason);
  }
  const { adapterInfo } = gpu;
  log.info({ adapter: adapterInfo }, `WebGPU adapter: ${describeAdapter(adapterInfo)}`);
  return { adapter: adapterInfo };
}

/**
 * The automatic ranking: tfjs-node-gpu (CUDA), a hardware WebGPU adapter, tfjs-node (libtensorflow on CPU),
 * wasm, then the pure-JS cpu backend.
 */
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
    name: 'webgpu',
    tfBackend: 'webgpu',
    auto: true,
    prepare: prepareWebGpu,
    verify: async () => {
      const cpuMaxAbsDiff = await agreementWithCpu('webgpu');
      if (!(cpuMaxAbsDiff <= CPU_AGREEMENT_TOLERANCE)) {
        throw new Error(
          `WebGPU disagrees with the cpu backend by ${cpuMaxAbsDiff.toExponential(2)} on the start-up check ` +
            `(tolerance ${CPU_AGREEMENT_TOLERANCE})`,
        );
      }
      return { cpuMaxAbsDiff };
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
];

/** The names the automatic choice tries, in order. */
export const automaticOrder = (): BackendName[] => backendCandidates.filter((c) => c.auto).map((c) => c.name);

async function tryCandidate(
  candidate: BackendCandidate,
  context: PrepareContext,
): Promise<Omit<BackendChoice, 'name' | 'tfBackend' | 'skipped'>> {
  const details = (await candidate.prepare(context)) ?? {};
  if (!tf.findBackendFactory(candidate.tfBackend)) {
    throw new Error(`the package loaded but registered no '${candidate.tfBackend}' backend with this tfjs`);
  }
  // setBackend resolves false (or throws) when the engine cannot initialise, e.g. no GPU driver.
  const ok = await tf.setBackend(candidate.tfBackend);
  if (!ok) throw new Error(`tfjs could not initialise the '${candidate.tfBackend}' backend`);
  await tf.ready();
  if (!context.automatic || !candidate.verify) return details;
  return { ...details, ...(await candidate.verify()) };
}

/**
 * tfjs's cpu backend prints "install our node backend" at its first tensor in Node, once per thread that uses it
 * (the start-up check of WebGPU included), so three times with two embedding workers. breedbot says instead, once,
 * which engine runs and why the faster ones could not (selectBackend's log line). `firstUse` is that backend's
 * own flag for the notice (tfjs-backend-cpu 4.x).
 */
function silenceTfjsNodeNotice(): void {
  const cpu = tf.findBackend('cpu') as { firstUse?: boolean } | null;
  if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

/**
 * Picks the fastest engine that works, in the order of backendCandidates (see automaticOrder).
 * `forced` (TF_BACKEND) selects one engine and fails loudly when it cannot run.
 */
export async function selectBackend(
  forced?: BackendName,
  options: SelectBackendOptions = {},
): Promise<BackendChoice> {
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
  const context: PrepareContext = { automatic: !forced, options };
  silenceTfjsNodeNotice();
  for (const candidate of order) {
    try {
      const details = await tryCandidate(candidate, context);
      const choice: BackendChoice = { name: candidate.name, tfBackend: tf.getBackend(), skipped, ...details };
      if (choice.name === 'cpu' && isMainThread) {
        log.warn({ backend: choice.name, skipped }, 'tfjs backend: cpu, the slowest one (pure JavaScript)');
      } else log.info({ backend: choice.name, skipped, ...details }, `tfjs backend: ${choice.name}`);
      return choice;
    } catch (err) {
      const reason = (err as Error).message;
      if (forced) {
        throw new Error(
          `TF_BACKEND=${forced} cannot be used: ${reason}. Unset TF_BACKEND to pick automatically.`,
        );
      }
      skipped.push({ name: candidate.name, reason });
      // A refused GPU is worth a line at the default level; a missing optional package is not.
      if (candidate.name === 'webgpu' && !/not installed/.test(reason))
        log.info({ backend: candidate.name, reason }, 'tfjs backend skipped');
      else log.debug({ backend: candidate.name, reason }, 'tfjs backend skipped');
    }
  }
  throw new Error(`No tfjs backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}
