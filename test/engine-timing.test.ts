/**
 * EMBED_ENGINE=auto on a WebGPU backend measures ONNX Runtime against WebGPU at start-up instead of assuming
 * either is faster. The timer is injectable so the choice itself can be checked both ways; the timing is real.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import type { EmbeddingEngine } from '../src/model/inference/engine.ts';
import { batchTimer, fastestEngine, type EngineTimer } from '../src/model/inference/engine-timing.ts';
import { probeInput, selectEmbeddingEngine } from '../src/model/inference/select-engine.ts';
import { loadModelConfig } from '../src/model/model-config.ts';
import { loadOnnxRuntime } from '../src/model/onnx/onnxruntime.ts';
import { sharedModelDir, skipWithoutSharedModel } from './helpers/shared-data.ts';

/** An engine that really spends `msPerImage` of wall time per image. */
function sleepingEngine(name: string, msPerImage: number): EmbeddingEngine {
  return {
    kind: 'inprocess',
    backendName: name,
    parallelism: 1,
    embed: async (inputs) => {
      await new Promise((r) => setTimeout(r, msPerImage * inputs.length));
      return inputs.map(() => new Float32Array(4));
    },
    memory: async () => [],
    dispose: async () => {},
  };
}

test('batchTimer times real calls: the engine that takes longer per image loses', async () => {
  const inputs = Array.from({ length: 4 }, () => probeInput(8));
  const race = await fastestEngine(
    [sleepingEngine('slow', 15), sleepingEngine('fast', 2)],
    inputs,
    batchTimer(2),
  );
  assert.equal(race.winner.backendName, 'fast');
  assert.deepEqual(
    race.losers.map((e) => e.backendName),
    ['slow'],
  );
  assert.ok(
    race.msPerImage.slow! >= 14 && race.msPerImage.fast! < race.msPerImage.slow!,
    JSON.stringify(race.msPerImage),
  );
});

const ortMissing = await loadOnnxRuntime().then(
  () => false as const,
  (err: Error) => `needs onnxruntime-node (${err.message})`,
);

describe(
  'auto on a WebGPU backend picks the engine measured faster',
  { skip: skipWithoutSharedModel || ortMissing },
  () => {
    const modelConfigPath = path.join(projectRoot, 'models/mobilenet_v1_0.75_224.model.json');
    let backbone: Backbone;
    before(async () => {
      await selectBackend('cpu');
      backbone = await loadBackbone({
        config: loadModelConfig(modelConfigPath),
        source: sharedModelDir,
        cacheRoot: path.join(projectRoot, 'models/cache'),
        baseDir: projectRoot,
      });
    });
    after(() => backbone?.dispose());

    // The cpu backbone stands in for WebGPU's: the selection only sees its backend name and its speed.
    const select = (timer: EngineTimer) =>
      selectEmbeddingEngine({ setting: 'auto', backbone, backendName: 'webgpu', modelConfigPath, timer });
    const favour =
      (name: string): EngineTimer =>
      async (engine) =>
        engine.backendName === name ? 1 : 2;

    test('ONNX Runtime measured faster: it serves, and both timings are reported', async () => {
      const selection = await select(favour('onnxruntime-node'));
      try {
        assert.equal(selection.engine.kind, 'onnx');
        assert.deepEqual(Object.keys(selection.measuredMsPerImage!).sort(), ['onnxruntime-node', 'webgpu']);
        assert.ok(selection.onnxMaxAbsDiff !== undefined);
      } finally {
        await selection.engine.dispose();
      }
    });

    test('WebGPU measured faster: the in-process WebGPU engine serves and ONNX Runtime is stopped', async () => {
      const selection = await select(favour('webgpu'));
      assert.equal(selection.engine.kind, 'inprocess');
      assert.equal(selection.engine.backendName, 'webgpu');
      assert.match(selection.fallbackReason!, /WebGPU was faster/);
      const [embedding] = await selection.engine.embed([probeInput(224)]);
      assert.equal(embedding!.length, 768);
    });
  },
);
