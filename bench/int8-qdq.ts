/**
 * `node --import tsx bench/int8-qdq.ts [--entry mobilenet_edgetpu_224_1.0]` (run it under `nice -n -15`)
 *
 * The int8 (QDQ) ONNX graph built from the .tflite file's own quantization (src/model/onnx/tflite-to-qdq-onnx.ts)
 * against the float32 ONNX graph (what ONNX_PRECISION=auto serves on a CPU without VNNI), in one run: ms per image at batch 1, images/s at batch 8
 * (ORT intra-op threads --threads, default 2), fidelity to TFLite's own outputs on ../shared/models/tflite-reference (max |p - p_tflite|
 * over each photo's top-5, softmax over all 1001 classes; top-1 agreement; and over all classes against TFLite's
 * interpreter run here, test/helpers/tflite-interpreter.ts), and the untrained head's top-1 on
 * imagewoof/val (the entry's ImageNet dog rows, as bench:backbones computes it). Writes bench/int8-qdq.json.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/decode.ts';
import { loadBackbone } from '../src/model/backbone.ts';
import { selectBackend } from '../src/model/backend.ts';
import { breedNames } from '../src/model/breed-names.ts';
import { baseHeadOf } from '../src/model/classifier.ts';
import { softmax } from '../src/model/head-math.ts';
import { imageSpecOf, loadModelConfig, modelConfigPathFor } from '../src/model/model-config.ts';
import { cosineOf } from '../src/model/inference/select-engine.ts';
import { loadOnnxBackbone } from '../src/model/onnx/onnx-backbone.ts';
import { loadOnnxRuntime, type OrtSession } from '../src/model/onnx/onnxruntime.ts';
import type { QdqWeights } from '../src/model/onnx/qdq-weights.ts';
import { convertTfliteToQdq } from '../src/model/onnx/tflite-to-qdq-onnx.ts';
import { readTflite } from '../src/model/tflite/index.ts';
import { evaluateHead } from '../src/training/evaluate.ts';
import { openTfliteInterpreter, skipWithoutInterpreter } from '../test/helpers/tflite-interpreter.ts';

const { values: args } = parseArgs({
  options: {
    entry: { type: 'string', default: 'mobilenet_edgetpu_224_1.0' },
    weights: { type: 'string', default: 'uint8,int8,int7' },
    threads: { type: 'string', default: '2' },
  },
});
const { onnx } = onnxProto;
const say = (text: string) => process.stderr.write(`${text}\n`);
const config = loadModelConfig(modelConfigPathFor(path.join(projectRoot, 'models'), args.entry));
if (config.format !== 'tflite' || !config.mirror)
  throw new Error(`${config.id} is not a tflite entry with a mirror`);
const tfliteFile = path.resolve(projectRoot, config.mirror);
const referenceDir = path.resolve(projectRoot, '../shared/models/tflite-reference');
const valDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');

await selectBackend('wasm');
const backbone = await loadBackbone({
  config,
  cacheRoot: path.join(projectRoot, 'models', 'cache'),
  baseDir: projectRoot,
});
const threads = Number(args.threads);
const float = await loadOnnxBackbone(backbone.source.dir, config, { threads });

const ort = await loadOnnxRuntime();
const work = mkdtempSync(path.join(os.tmpdir(), 'int8-qdq-'));
const model = readTflite(new Uint8Array(readFileSync(tfliteFile)), tfliteFile);
const variants = args.weights.split(',') as QdqWeights[];
const open = async (weights: QdqWeights, withLogits: boolean): Promise<OrtSession> => {
  const file = path.join(work, `${weights}-${withLogits ? 'logits' : 'embedding'}.onnx`);
  writeFileSync(file, convertTfliteToQdq(model, { withLogits, weights }).onnx);
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Not in the project's typed subset of the options: where ORT writes the graph it runs, to count fused kernels.
    ...{ optimizedModelFilePath: `${file}.optimized`, logSeverityLevel: 3 },
  });
  if (!withLogits) say(`${weights}: ORT runs ${opCounts(`${file}.optimized`)}`);
  return session;
};
function opCounts(file: string): string {
  const counts = new Map<string, number>();
  for (const node of onnx.ModelProto.decode(readFileSync(file)).graph?.node ?? [])
    counts.set(node.opType ?? '?', (counts.get(node.opType ?? '?') ?? 0) + 1);
  return [...counts].map(([op, n]) => `${n} ${op}`).join(', ');
}
const size = config.inputSize;
const pixels = size * size * 3;
const run = async (session: OrtSession, batch: Float32Array, count: number) => {
  const out = await session.run({
    [session.inputNames[0]!]: new ort.Tensor('float32', batch, [count, size, size, 3]),
  });
  return session.outputNames.map((n) => out[n]!.data as Float32Array);
};
type Embed = (batch: Float32Array, count: number) => Promise<Float32Array>;
const engines: Record<string, Embed> = { float: (b, n) => float.embedFlat(b, n) };
const sessions: OrtSession[] = [];
const fidelity: Record<string, { maxDiff: number; top1Agree: number; maxInterpreterDiff?: number }> = {};

const reference = (
  JSON.parse(readFileSync(path.join(referenceDir, 'tflite-reference.json'), 'utf8')) as Record<
    string,
    { photos: Record<string, [number, number][]> }
  >
)[config.id]!;
const { scale, zeroPoint } = model.subgraphs[0]!.tensors[model.subgraphs[0]!.inputs[0]!]!.quantization!;
const photos = Object.keys(reference.photos).sort();
// TensorFlow Lite's own interpreter run here (the dev dependency), where installed: a second reference.
const interpreter = skipWithoutInterpreter ? null : await openTfliteInterpreter(tfliteFile);
if (!interpreter) say(`no interpreter column: ${skipWithoutInterpreter}`);
/**
 * Max |p - p_tflite| over each reference photo's top-5 (softmax over all 1001 logits), top-1 agreement, and the max
 * difference over all 1001 probabilities from the interpreter run here.
 */
async function fidelityOf(session: OrtSession) {
  let maxDiff = 0;
  let maxInterpreterDiff = 0;
  let top1Agree = 0;
  for (const photo of photos) {
    const bytes = new Uint8Array(readFileSync(path.join(referenceDir, photo)));
    const x = Float32Array.from(bytes, (p) => (p - zeroPoint[0]!) * scale[0]!);
    const probs = softmax((await run(session, x, 1))[1]!);
    if (interpreter) {
      const theirs = interpreter.run(bytes);
      for (let i = 0; i < theirs.length; i++)
        maxInterpreterDiff = Math.max(maxInterpreterDiff, Math.abs(probs[i]! - theirs[i]! / 256));
    }
    const expected = reference.photos[photo]!;
    if (probs.indexOf(Math.max(...probs)) === expected[0]![0]) top1Agree++;
    for (const [index, p] of expected) maxDiff = Math.max(maxDiff, Math.abs(probs[index]! - p));
  }
  return {
    maxDiff: Number(maxDiff.toFixed(4)),
    top1Agree,
    ...(interpreter ? { maxInterpreterDiff: Number(maxInterpreterDiff.toFixed(4)) } : {}),
  };
}
for (const weights of variants) {
  const session = await open(weights, false);
  const withLogits = await open(weights, true);
  sessions.push(session, withLogits);
  engines[weights] = async (b, n) => (await run(session, b, n))[0]!;
  fidelity[weights] = await fidelityOf(withLogits);
  say(
    `fidelity ${weights}: max |p - p_tflite| ${fidelity[weights].maxDiff}, top-1 agrees on ${fidelity[weights].top1Agree}/${photos.length}` +
      (interpreter ? `; max |p - p_interpreter| ${fidelity[weights].maxInterpreterDiff}` : ''),
  );
}

// Untrained head on imagewoof/val.
const spec = imageSpecOf(config);
const head = baseHeadOf(backbone);
const { labels } = backbone.classifier;
const names = new Map(
  breedNames(labels.synonyms, config.dogClasses, labels.synsets).map((b) => [b.synset!, b.name]),
);
const val = readdirSync(valDir)
  .filter((d) => statSync(path.join(valDir, d)).isDirectory())
  .flatMap((synset) =>
    readdirSync(path.join(valDir, synset))
      .sort()
      .map((f) => ({ file: path.join(valDir, synset, f), synset })),
  );
const inputs = await Promise.all(
  val.map(async (p) => (await prepareModelInput(await readFile(p.file), spec)).input),
);
const embedAll = async (embed: Embed) => {
  const out: Float32Array[] = [];
  for (const input of inputs) out.push((await embed(input.data, 1)).slice());
  return out;
};
const accuracy: Record<string, { valTop1: number; meanCosineToFloat: number }> = {};
let floatEmbeddings: Float32Array[] = [];
for (const [name, embed] of Object.entries(engines)) {
  const embeddings = await embedAll(embed);
  if (name === 'float') floatEmbeddings = embeddings;
  const points = val.map((p, i) => ({ embedding: embeddings[i]!, breed: names.get(p.synset)! }));
  const metrics = await evaluateHead(head, points);
  const meanCosineToFloat =
    embeddings.reduce((s, e, i) => s + cosineOf(e, floatEmbeddings[i]!), 0) / val.length;
  accuracy[name] = { valTop1: metrics.top1, meanCosineToFloat: Number(meanCosineToFloat.toFixed(4)) };
  say(
    `imagewoof/val (${val.length}) untrained head top-1 ${name}: ${(metrics.top1 * 100).toFixed(1)}%, mean cosine to float ${meanCosineToFloat.toFixed(4)}`,
  );
}

// Speed, interleaved so every engine sees the same machine load.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const batch8 = new Float32Array(8 * pixels);
for (let i = 0; i < 8; i++) batch8.set(inputs[i * 37]!.data, i * pixels);
const single: Record<string, number[]> = {};
const eight: Record<string, number[]> = {};
for (const [name, embed] of Object.entries(engines)) {
  single[name] = [];
  eight[name] = [];
  for (let i = 0; i < 3; i++) await embed(batch8, 8);
}
for (let round = 0; round < 6; round++) {
  for (const [name, embed] of Object.entries(engines)) {
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      await embed(inputs[round * 10 + i]!.data, 1);
      single[name]!.push(performance.now() - t);
    }
    const t = performance.now();
    for (let i = 0; i < 3; i++) await embed(batch8, 8);
    eight[name]!.push(24 / ((performance.now() - t) / 1000));
  }
}
const result = Object.fromEntries(
  Object.keys(engines).map((name) => [
    name,
    {
      p50MsBatch1: Number(median(single[name]!).toFixed(2)),
      imagesPerSecondBatch8: Number(median(eight[name]!).toFixed(1)),
      ...accuracy[name],
      ...(fidelity[name] ? { fidelity: fidelity[name] } : {}),
    },
  ]),
);
const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' ');
for (const [name, r] of Object.entries(result)) {
  say(
    `${name}: batch 1 p50 ${r.p50MsBatch1} ms (${(result.float!.p50MsBatch1 / r.p50MsBatch1).toFixed(2)}x), ` +
      `batch 8 ${r.imagesPerSecondBatch8} img/s (${(r.imagesPerSecondBatch8 / result.float!.imagesPerSecondBatch8).toFixed(2)}x)`,
  );
}
say(`load average at the end: ${load}`);
writeFileSync(
  path.join(projectRoot, 'bench', 'int8-qdq.json'),
  JSON.stringify(
    { entry: config.id, threads, load, photos: photos.length, val: val.length, ...result },
    null,
    1,
  ),
);
await Promise.all([float.dispose(), ...sessions.map((s) => s.release())]);
backbone.dispose();
