/**
 * tfjs's WebGPU backend in Node, through the `webgpu` package (Google's Dawn, prebuilt in its npm tarball).
 * It runs on any Vulkan device: a real GPU, or Mesa's software rasteriser (lavapipe). Debian 12's own
 * Mesa 22 is refused by Dawn; Mesa 25 from bookworm-backports works:
 *   apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1
 *
 * Once registered, the GPU handle keeps the process alive: a program that used it must call process.exit.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';

/** What Dawn says about the device it found, e.g. { vendor: 'mesa', architecture: 'software', ... }. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for an adapter the implementation itself calls a fallback (a CPU implementation). */
  isFallbackAdapter: boolean;
}

export type WebGpuRegistration =
  | { ok: true; adapterInfo: WebGpuAdapterInfo }
  | { ok: false; reason: string; adapterInfo?: WebGpuAdapterInfo };

interface GpuAdapterLike {
  info?: Partial<WebGpuAdapterInfo>;
  /** Older Dawn builds put the flag on the adapter rather than on its info. */
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}
interface WebGpuPackage {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

export const NO_ADAPTER_HINT =
  'no WebGPU adapter: Dawn needs a Vulkan driver it accepts (a GPU driver, or on Debian 12 Mesa 25: ' +
  "'apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1')";

async function importOptional<T>(name: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`${name} is not installed (optional dependency)`);
    }
    throw new Error(`${name} failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Names that CPU implementations of Vulkan/WebGPU give themselves in the adapter info. */
const SOFTWARE_ADAPTER_NAMES = /llvmpipe|lavapipe|swiftshader|softpipe|software|\bcpu\b/i;

/**
 * Why this adapter is a CPU or software implementation rather than a GPU, or null when it looks like real
 * hardware. Mesa's lavapipe reports { vendor: 'mesa', architecture: 'software', device: 'llvmpipe-…' }
 * and isFallbackAdapter: true; SwiftShader names itself in vendor/description.
 */
export function softwareAdapterReason(info: WebGpuAdapterInfo): string | null {
  const name = describeAdapter(info);
  if (info.isFallbackAdapter) return `the adapter (${name}) is a fallback (CPU) adapter`;
  const fields = [info.vendor, info.architecture, info.device, info.description];
  const match = fields.map((f) => SOFTWARE_ADAPTER_NAMES.exec(f)?.[0]).find(Boolean);
  if (match) return `the adapter (${name}) is a software rasteriser ('${match}' in its adapter info)`;
  return null;
}

/** "vendor description" (or device), e.g. "mesa llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)", for logs and reports. */
export function describeAdapter(info: WebGpuAdapterInfo): string {
  return (
    [info.vendor, info.description || info.device || info.architecture].filter(Boolean).join(' ') ||
    'unnamed adapter'
  );
}

export interface RegisterWebGpuOptions {
  timeoutMs?: number;
  /** Refuse CPU/software adapters (see softwareAdapterReason), leaving no GPU handle behind. */
  hardwareOnly?: boolean;
  /**
   * Imports tfjs's WebGPU backend; it registers itself on import. A bundle passes a literal import here so the
   * backend is bundled with (and registers into) the same tfjs-core as the caller.
   */
  loadBackend?: () => Promise<unknown>;
}

let registration: Promise<WebGpuRegistration> | undefined;

/**
 * Makes tfjs's 'webgpu' backend available (then `tf.setBackend('webgpu')`), or says why it cannot be.
 * Safe to call more than once: a success is kept, a refusal is not (a later call may ask differently).
 * Never throws.
 */
export function registerWebGpu(options: RegisterWebGpuOptions = {}): Promise<WebGpuRegistration> {
  const attempt = (registration ??= register(options).catch((err: Error) => ({
    ok: false as const,
    reason: err.message,
  })));
  return attempt.then((result) => {
    if (!result.ok && registration === attempt) registration = undefined;
    if (result.ok && options.hardwareOnly) {
      const refusal = softwareAdapterReason(result.adapterInfo);
      if (refusal) return { ok: false, reason: refusal, adapterInfo: result.adapterInfo };
    }
    return result;
  });
}

class SoftwareAdapterRefused extends Error {
  constructor(
    reason: string,
    readonly adapterInfo: WebGpuAdapterInfo,
  ) {
    super(reason);
  }
}

async function register(options: RegisterWebGpuOptions): Promise<WebGpuRegistration> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  if (tf.findBackendFactory('webgpu')) return { ok: true, adapterInfo: await probeAdapter(timeoutMs) };

  // Mesa looks for a runtime dir and warns without one; any private writable folder will do.
  process.env.XDG_RUNTIME_DIR ??= os.tmpdir();
  const { create, globals } = await importOptional<WebGpuPackage>('webgpu');
  Object.assign(globalThis, globals);
  // Node 21+ has a read-only navigator getter, so define the property instead of assigning it.
  const existing = (globalThis as { navigator?: object }).navigator;
  const navigator = {
    userAgent: (existing as { userAgent?: string } | undefined)?.userAgent,
    gpu: create([]),
  };
  Object.defineProperty(globalThis, 'navigator', { value: navigator, configurable: true, writable: true });

  let adapterInfo: WebGpuAdapterInfo;
  try {
    adapterInfo = await probeAdapter(timeoutMs);
    const refusal = options.hardwareOnly ? softwareAdapterReason(adapterInfo) : null;
    if (refusal) throw new SoftwareAdapterRefused(refusal, adapterInfo);
  } catch (err) {
    // Leave no half-set-up GPU global behind: tfjs must not see a navigator.gpu that has no adapter.
    if (existing)
      Object.defineProperty(globalThis, 'navigator', { value: existing, configurable: true, writable: true });
    else delete (globalThis as { navigator?: unknown }).navigator;
    if (err instanceof SoftwareAdapterRefused) {
      return { ok: false, reason: err.message, adapterInfo: err.adapterInfo };
    }
    throw err;
  }
  // The backend registers itself on import, and only when navigator.gpu exists.
  await (options.loadBackend ?? (() => importOptional('@tensorflow/tfjs-backend-webgpu')))();
  if (!tf.findBackendFactory('webgpu')) {
    throw new Error('@tensorflow/tfjs-backend-webgpu loaded but registered no backend with this tfjs');
  }
  return { ok: true, adapterInfo };
}

async function probeAdapter(timeoutMs: number): Promise<WebGpuAdapterInfo> {
  const gpu = (globalThis as unknown as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu) throw new Error('navigator.gpu is not set');
  const adapter = await withTimeout(
    gpu.requestAdapter({ powerPreference: 'high-performance' }),
    timeoutMs,
    'navigator.gpu.requestAdapter()',
  );
  if (!adapter) throw new Error(NO_ADAPTER_HINT);
  const info = adapter.info ?? {};
  return {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter),
  };
}
