/**
 * The small part of onnxruntime-node this project uses, typed here so the code type-checks whether or not
 * the optional package is installed; the package itself is loaded at run time.
 */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
  dispose?(): void;
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}

export interface OrtSessionOptions {
  intraOpNumThreads?: number;
  interOpNumThreads?: number;
  executionProviders?: string[];
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
  executionMode?: 'sequential' | 'parallel';
  /** 0 verbose … 4 fatal; at 0 ONNX Runtime prints the session's options (config keys included) to stderr. */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Session config keys, nested by their dots (onnxruntime_session_options_config_keys.h); values are strings. */
  extra?: Record<string, unknown>;
}

export interface OnnxRuntime {
  InferenceSession: { create(path: string, options?: OrtSessionOptions): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
  env: { versions?: { common?: string; node?: string } };
}

export const ONNX_RUNTIME_PACKAGE = 'onnxruntime-node';

/** Loads onnxruntime-node, or throws one readable reason (not installed, or its native binding failed). */
export async function loadOnnxRuntime(): Promise<OnnxRuntime> {
  const name: string = ONNX_RUNTIME_PACKAGE; // a plain string: TypeScript must not need the package
  try {
    const mod = (await import(name)) as OnnxRuntime & { default?: OnnxRuntime };
    return mod.InferenceSession ? mod : (mod.default as OnnxRuntime);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `${name} is not installed (optional dependency; npm ci installs it on linux/darwin/win32)`,
      );
    }
    throw new Error(`${name} failed to load: ${(err as Error).message.split('\n')[0]}`);
  }
}
