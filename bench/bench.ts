/**
 * `npm run bench`: speed and memory of the classify path on real photos from ../shared.
 * Prints a table and writes bench/results.json (git-ignored). Keys follow issue 5's shape so later work
 * extends this file rather than replacing it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, projectRoot } from '../src/config.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../src/images/index.ts';
import { loadClassifierRuntime } from '../src/model/index.ts';

const photosDir = path.resolve(projectRoot, '../shared/datasets/imagewoof/val');
const resultsFile = path.join(projectRoot, 'bench/results.json');

interface Latency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
}

function latency(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    meanMs: round(samples.reduce((a, b) => a + b, 0) / samples.length),
  };
}

function samplePhotos(count: number): string[] {
  const all = readdirSync(photosDir)
    .sort()
    .flatMap((synset) =>
      readdirSync(path.join(photosDir, synset))
        .sort()
        .map((f) => path.join(photosDir, synset, f)),
    );
  // Spread the sample over every class.
  const step = Math.max(1, Math.floor(all.length / count));
  return all.filter((_, i) => i % step === 0).slice(0, count);
}

async function main() {
  if (!existsSync(photosDir)) {
    console.log(`bench: skipped, it needs ${path.relative(projectRoot, photosDir)} (absent)`);
    return;
  }
  const config = loadConfig();
  const runtime = await loadClassifierRuntime(config);
  const { classifier, imageSpec } = runtime;
  const limits = imageLimitsFromConfig(config);
  const photos = samplePhotos(Number(process.env.BENCH_IMAGES ?? 64));
  const bytes = await Promise.all(photos.map((f) => readFile(f)));

  // Warm-up: the first backbone call compiles kernels.
  const warm = await prepareModelInput(bytes[0]!, imageSpec, limits);
  await classifier.classifyMany([warm.input, warm.input]);

  // Per-image stages, one image at a time.
  const decodeMs: number[] = [];
  const embedMs: number[] = [];
  const headMs: number[] = [];
  const classifyMs: number[] = [];
  for (const b of bytes) {
    const t0 = performance.now();
    const { input } = await prepareModelInput(b, imageSpec, limits);
    const t1 = performance.now();
    const [embedding] = await classifier.embed([input]);
    const t2 = performance.now();
    classifier.classifyEmbedding(embedding!);
    const t3 = performance.now();
    decodeMs.push(t1 - t0);
    embedMs.push(t2 - t1);
    headMs.push(t3 - t2);
    classifyMs.push(t3 - t0);
  }

  // Throughput, end to end (bytes -> top 5), in batches: decoding a batch runs on sharp's threads.
  const throughput: Record<number, number> = {};
  for (const batch of [1, 8, 32]) {
    const started = performance.now();
    for (let i = 0; i < bytes.length; i += batch) {
      const chunk = bytes.slice(i, i + batch);
      const inputs = await Promise.all(
        chunk.map(async (b) => (await prepareModelInput(b, imageSpec, limits)).input),
      );
      await classifier.classifyMany(inputs);
    }
    throughput[batch] = Math.round((bytes.length / ((performance.now() - started) / 1000)) * 10) / 10;
  }

  const classify = latency(classifyMs);
  const results = {
    backend: runtime.backend.name,
    backendsSkipped: runtime.backend.skipped,
    classify: {
      p50Ms: classify.p50Ms,
      p95Ms: classify.p95Ms,
      p99Ms: classify.p99Ms,
      imagesPerSecondAt1: throughput[1]!,
      imagesPerSecondAt8: throughput[8]!,
      imagesPerSecondAt32: throughput[32]!,
    },
    stages: { decodeResize: latency(decodeMs), embed: latency(embedMs), head: latency(headMs) },
    rssMb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    model: runtime.backbone.id,
    modelVersion: classifier.modelVersion,
    images: bytes.length,
    machine: {
      cpus: os.availableParallelism(),
      node: process.version,
      platform: `${os.platform()}-${os.arch()}`,
    },
    measuredAt: new Date().toISOString(),
  };
  await writeFile(resultsFile, JSON.stringify(results, null, 2) + '\n');

  const row = (name: string, l: Latency) =>
    `${name.padEnd(22)} ${l.p50Ms.toFixed(1).padStart(8)} ${l.p95Ms.toFixed(1).padStart(8)} ${l.p99Ms.toFixed(1).padStart(8)}`;
  console.log(
    [
      `backend ${results.backend}, model ${results.model}, ${results.images} photos, ${results.machine.cpus} cpus`,
      '',
      `${'per image (ms)'.padEnd(22)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)}`,
      row('decode + resize', results.stages.decodeResize),
      row('embed (batch 1)', results.stages.embed),
      row('head', results.stages.head),
      row('classify end to end', classify),
      '',
      `throughput (images/s)   batch 1: ${throughput[1]}   batch 8: ${throughput[8]}   batch 32: ${throughput[32]}`,
      `rss ${results.rssMb} MB`,
      `written to ${path.relative(projectRoot, resultsFile)}`,
    ].join('\n'),
  );
  runtime.dispose();
}

main().catch((err) => {
  console.error(`bench failed: ${(err as Error).message}`);
  process.exit(1);
});
