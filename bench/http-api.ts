/**
 * `node --import tsx bench/http-api.ts [--photos 32] [--concurrency 8] [--out bench/http-api.json]`
 * (BACKBONE=... picks another backbone)
 *
 * What the HTTP API adds to a classification: the same imagewoof/val photos classified through the application
 * call the API makes (Breedbot.classifyImageBytes) and through POST /v1/classify on 127.0.0.1, one at a time
 * (latency p50/p95) and `--concurrency` at a time (photos per second), the two ways interleaved. Rate limits
 * are off for the run; the database is a throwaway SQLite file. Writes the figures to --out and prints them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createBreedbot } from '../src/app/create.ts';
import { loadConfig, projectRoot } from '../src/config.ts';
import { dogPhotos } from '../test/helpers/shared-data.ts';
import type { ImageSource } from '../src/features/classify/types.ts';
import { startHttpApi } from '../src/http/server.ts';

const { values: args } = parseArgs({
  options: {
    photos: { type: 'string', default: '32' },
    concurrency: { type: 'string', default: '8' },
    out: { type: 'string', default: 'bench/http-api.json' },
  },
});
const KEY = 'bench-key-0123456789abcdef';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const round = (n: number) => Math.round(n * 10) / 10;

type Classify = (photo: Buffer<ArrayBuffer>) => Promise<void>;

/**
 * Both ways in turn, so a busy machine slows both alike: latency one photo at a time (each photo both ways),
 * then throughput `concurrency` at a time, three rounds each way alternating, the best round kept.
 */
async function measure(photos: Buffer<ArrayBuffer>[], concurrency: number, ways: Record<string, Classify>) {
  const names = Object.keys(ways);
  for (const photo of photos.slice(0, 4)) for (const name of names) await ways[name]!(photo); // warm-up
  const times = new Map(names.map((name) => [name, [] as number[]]));
  for (const photo of photos)
    for (const name of names) {
      const start = performance.now();
      await ways[name]!(photo);
      times.get(name)!.push(performance.now() - start);
    }
  const best = new Map(names.map((name) => [name, 0]));
  for (let round = 0; round < 3; round++)
    for (const name of names) {
      const start = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < photos.length) await ways[name]!(photos[next++]!);
        }),
      );
      best.set(name, Math.max(best.get(name)!, photos.length / ((performance.now() - start) / 1000)));
    }
  return Object.fromEntries(
    names.map((name) => {
      const sorted = times.get(name)!.sort((a, b) => a - b);
      return [
        name,
        {
          p50Ms: round(percentile(sorted, 50)),
          p95Ms: round(percentile(sorted, 95)),
          photosPerSecond: round(best.get(name)!),
        },
      ];
    }),
  );
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-bench-http-'));
const config = loadConfig({
  ...process.env,
  DATABASE_URL: `file:${path.join(dir, 'bench.db')}`,
  DATA_DIR: path.join(dir, 'data'),
  HTTP_API_PORT: '0',
  HTTP_API_KEY: KEY,
  RATE_CLASSIFY_PER_USER: '0',
  RATE_CLASSIFY_PER_GUILD: '0',
});
const app = await createBreedbot(config);
const api = await startHttpApi(app, config.httpApi!);
try {
  const photos = await Promise.all(dogPhotos(Number(args.photos)).map((f) => readFile(f)));
  const concurrency = Number(args.concurrency);
  let n = 0;
  const source = (): ImageSource => ({
    guildId: null,
    channelId: 'bench',
    interactionId: `bench-${n++}`,
    userId: 'bench',
  });
  const { direct, http } = await measure(photos, concurrency, {
    direct: async (photo) => {
      await app.classifyImageBytes(photo, source());
    },
    http: async (photo) => {
      const response = await fetch(`${api.url}/v1/classify`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'image/jpeg' },
        body: photo,
      });
      if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    },
  });
  const info = await app.modelInfo();
  const result = {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    backbone: info.backboneId,
    backend: info.backend,
    photos: photos.length,
    concurrency,
    /** Other work on the machine during the run: the 1-minute load average at the end. */
    loadAverage: round(os.loadavg()[0]!),
    direct,
    http,
    httpOverheadP50Ms: round(http!.p50Ms - direct!.p50Ms),
  };
  writeFileSync(path.resolve(projectRoot, args.out), JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await api.close();
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
