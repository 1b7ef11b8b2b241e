/**
 * Child process of onnx-spinning.test.ts: opens a backbone with loadOnnxBackbone while ONNX Runtime logs
 * verbosely, so the session's options (its config keys included) reach this process's stderr.
 * Usage: node --import tsx test/helpers/onnx-session-trace.ts <layers model dir> <id> <layer> <size> <spinning 0|1|->
 */
import path from 'node:path';
import { loadOnnxRuntime } from '../../src/model/onnx/onnxruntime.ts';
import { loadOnnxBackbone } from '../../src/model/onnx/onnx-backbone.ts';
import { layersConfig } from './onnx-rig.ts';

const [dir, id, layer, size, spinning] = process.argv.slice(2) as [string, string, string, string, string];
const ort = (await loadOnnxRuntime()) as unknown as { env: { logLevel?: string } };
ort.env.logLevel = 'verbose'; // read when the first session is created
const backbone = await loadOnnxBackbone(dir, layersConfig(id, dir, layer, Number(size)), {
  cacheDir: path.join(dir, 'cache'),
  ...(spinning === '-' ? {} : { spinning: spinning === '1' }),
});
await backbone.dispose();
