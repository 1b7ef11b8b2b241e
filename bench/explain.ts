/**
 * `npm run bench:explain [-- --photos 8] [--engines onnx,worker] [--out bench/explain.json]`
 * (BACKBONE=... picks another backbone)
 *
 * The cost of the "why?" heatmap (src/model/explain/): per engine, on imagewoof/val photos, the time of one
 * classification, of one occlusion map (7×7 grid = 49 occluded copies + the photo, batched), and of drawing the
 * overlay PNG (at most 1024 px); plus the event loop's worst delay while the maps run, which shows that the
 * work stays off the main thread. Writes the figures to --out and prints them.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadConfig, projectRoot } from '../src/config.ts';
import { dogPhotos } from '../test/helpers/shared-data.ts';
import { EXPLANATION_MAX_SIDE } from '../src/features/explain/explain.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/index.ts';
import { heatmapOverlay } from '../src/images/heatmap-overlay.ts';
import { explainPhoto } from '../src/model/explain/explain-photo.ts';
import { imageSpecOf, loadClassifierRuntime } from '../src/model/index.ts';

const { values: args } = parseArgs({
  options: {
    photos: { type: 'string', default: '8' },
    engines: { type: 'string', default: 'onnx,worker' },
    out: { type: 'string', default: 'bench/explain.json' },
  },
});

/** Runs `work` with a fresh event-loop delay histogram (a re-enabled one counts the pause as a delay). */
async function loopDelayDuring<T>(
  work: () => Promise<T>,
): Promise<{ value: T; maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  try {
    const value = await work();
    return { value, maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
  } finally {
    h.disable();
  }
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};
const round = (v: number) => Math.round(v * 10) / 10;
const summary = (values: number[]) => ({
  p50: round(quantile(values, 0.5)),
  p95: round(quantile(values, 0.95)),
});

async function benchEngine(engine: string, files: string[]) {
  const config = loadConfig({ ...process.env, EMBED_ENGINE: engine, LOG_LEVEL: 'warn' });
  const runtime = await loadClassifierRuntime(config);
  try {
    const classifier = runtime.classifier;
    const limits = imageLimitsFromConfig(config);
    const spec = imageSpecOf(classifier.backbone.config);
    const photoBytes = await Promise.all(files.map((f) => readFile(f)));
    await explainPhoto(classifier, photoBytes[0]!, { limits }); // warm-up
    const classifyMs: number[] = [];
    const explainMs: number[] = [];
    const overlayMs: number[] = [];
    let images = 0;
    const loopMax: number[] = [];
    const loopP99: number[] = [];
    const plainMax: number[] = [];
    const plainP99: number[] = [];
    for (const bytes of photoBytes) {
      const t0 = performance.now();
      const { input } = await prepareModelInput(bytes, spec, limits);
      await classifier.classify(input);
      classifyMs.push(performance.now() - t0);
      // The same 50 embeddings as plain classifications in one call: what the engine alone does to the loop.
      const plain = await loopDelayDuring(() =>
        classifier.classifyMany(Array.from({ length: 50 }, () => input)),
      );
      plainMax.push(plain.maxMs);
      plainP99.push(plain.p99Ms);
      const t1 = performance.now();
      const explained = await loopDelayDuring(async () => {
        const { map, seen } = await explainPhoto(classifier, bytes, { limits });
        const t2 = performance.now();
        explainMs.push(t2 - t1);
        await heatmapOverlay(bytes, map, seen, { maxSide: EXPLANATION_MAX_SIDE });
        overlayMs.push(performance.now() - t2);
        return map;
      });
      loopMax.push(explained.maxMs);
      loopP99.push(explained.p99Ms);
      images = explained.value.images;
    }
    return {
      engine,
      backend: classifier.engine?.backendName ?? runtime.servingBackend,
      backbone: classifier.backbone.id,
      photos: files.length,
      imagesPerExplanation: images,
      classifyMs: summary(classifyMs),
      occlusionMapMs: summary(explainMs),
      overlayMs: summary(overlayMs),
      msPerOccludedImage: round(quantile(explainMs, 0.5) / images),
      eventLoopDelayMaxMs: round(Math.max(...loopMax)),
      eventLoopDelayP99Ms: round(quantile(loopP99, 0.5)),
      plainBatchOf50EventLoopDelayMaxMs: round(Math.max(...plainMax)),
      plainBatchOf50EventLoopDelayP99Ms: round(quantile(plainP99, 0.5)),
    };
  } finally {
    await runtime.close();
  }
}

/** The event loop's worst delay over `ms` with nothing to do: the machine's own noise, to read the figures against. */
async function idleDelayMaxMs(ms = 3000): Promise<number> {
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, ms));
  idle.disable();
  return round(idle.max / 1e6);
}

const files = dogPhotos(Number(args.photos));
const idleEventLoopDelayMaxMs = await idleDelayMaxMs();
console.log(`event loop max delay with nothing running: ${idleEventLoopDelayMaxMs} ms`);
const results = [];
for (const engine of args.engines.split(',')) {
  const r = await benchEngine(engine.trim(), files);
  results.push(r);
  console.log(
    `${r.engine} (${r.backend}, ${r.backbone}): classify p50 ${r.classifyMs.p50} ms; occlusion map p50 ` +
      `${r.occlusionMapMs.p50} ms, p95 ${r.occlusionMapMs.p95} ms (${r.imagesPerExplanation} images, ` +
      `${r.msPerOccludedImage} ms each); overlay p50 ${r.overlayMs.p50} ms; event loop max delay ` +
      `${r.eventLoopDelayMaxMs} ms (p99 ${r.eventLoopDelayP99Ms} ms; ${r.plainBatchOf50EventLoopDelayMaxMs} ms, p99 ` +
      `${r.plainBatchOf50EventLoopDelayP99Ms} ms while classifying 50 images in one call)`,
  );
}
writeFileSync(
  path.resolve(projectRoot, args.out),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cores: os.cpus().length,
      loadAverage: os.loadavg(),
      idleEventLoopDelayMaxMs,
      results,
    },
    null,
    2,
  ) + '\n',
);
console.log(`written to ${args.out}`);
