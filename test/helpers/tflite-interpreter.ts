/**
 * TensorFlow Lite's own interpreter (C++, XNNPACK) as an oracle, from the WebAssembly build that
 * @tensorflow/tfjs-tflite ships (a dev dependency). Only its Emscripten module is used, not its tfjs wrapper: Node
 * cannot fetch() a file path, so the .wasm is handed over as bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

interface EmscriptenVector<T> {
  size(): number;
  get(i: number): T;
}
interface InterpreterTensor {
  data(): Uint8Array | Int8Array | Int32Array | Float32Array;
}
interface ModelRunner {
  GetInputs(): EmscriptenVector<InterpreterTensor>;
  GetOutputs(): EmscriptenVector<InterpreterTensor>;
  Infer(): boolean;
}
interface TfliteWasmModule {
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(
      pointer: number,
      length: number,
      options: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number },
    ): { ok(): boolean; errorMessage(): string; value(): ModelRunner };
  };
}
type ModuleFactory = (overrides: {
  wasmBinary: Uint8Array;
  print: (s: string) => void;
  printErr: (s: string) => void;
}) => Promise<TfliteWasmModule>;

export interface TfliteInterpreter {
  /** The model's first output, as stored (uint8 for a quantized model), for one input of the model's own type. */
  run(input: Uint8Array): Uint8Array;
}

const require = createRequire(import.meta.url);

/** Where the interpreter's files are, or null when the dev dependency is not installed. */
function wasmDir(): string | null {
  try {
    const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm');
    return existsSync(path.join(dir, 'tflite_web_api_cc_simd.wasm')) ? dir : null;
  } catch {
    return null;
  }
}

/** Why the oracle cannot run here, or false when it can (the shape node:test's `skip` takes). */
export const skipWithoutInterpreter: string | false = wasmDir()
  ? false
  : 'needs the dev dependency @tensorflow/tfjs-tflite (TensorFlow Lite interpreter, WebAssembly) (absent)';

/** Loads `file` into a fresh single-threaded interpreter. */
export async function openTfliteInterpreter(file: string): Promise<TfliteInterpreter> {
  const dir = wasmDir();
  if (!dir) throw new Error(skipWithoutInterpreter || 'interpreter missing');
  const factory = require(path.join(dir, 'tflite_web_api_cc_simd.js')) as ModuleFactory;
  const wasm = await factory({
    wasmBinary: readFileSync(path.join(dir, 'tflite_web_api_cc_simd.wasm')),
    // It announces its XNNPACK delegate on stderr; nothing it prints is a result.
    print: () => {},
    printErr: () => {},
  });
  const bytes = readFileSync(file);
  const pointer = wasm._malloc(bytes.length);
  wasm.HEAPU8.set(bytes, pointer);
  const created = wasm.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, bytes.length, {
    numThreads: 1,
    enableProfiling: false,
    maxProfilingBufferEntries: 1024,
  });
  if (!created.ok()) throw new Error(`TFLite interpreter refused ${file}: ${created.errorMessage()}`);
  const runner = created.value();
  return {
    run(input) {
      const target = runner.GetInputs().get(0).data();
      if (target.byteLength !== input.byteLength) {
        throw new Error(`input of ${input.byteLength} bytes, the model takes ${target.byteLength}`);
      }
      new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(input);
      if (!runner.Infer()) throw new Error(`TFLite interpreter failed on ${file}`);
      const out = runner.GetOutputs().get(0).data();
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength).slice();
    },
  };
}
