/**
 * The detector's queue is bounded (issue 12: the detector must not slow the common case): photos beyond
 * DETECTOR_MAX_QUEUED are refused at once instead of waiting, so a burst cannot grow memory or delay without
 * limit; a refused photo keeps its whole-photo answer (classifyEachDog gives no dogs). Real worker detector.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig, projectRoot } from '../src/config.ts';
import {
  BoundedDogFinder,
  classifyEachDog,
  DetectorQueueFullError,
  resolveDetectorFiles,
  WorkerDogDetector,
} from '../src/detection/index.ts';
import { loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { detectorEntry, sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { imagewoofValDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const GOLDEN = path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg');

/** The detector entry with an unreachable URL, so its files come from ../shared's mirror (or the test cache). */
async function localDetector() {
  const config = { ...detectorEntry(), url: 'http://127.0.0.1:9/models/centernet.json' };
  const files = await resolveDetectorFiles({
    config,
    cacheRoot: path.join(projectRoot, '.tmp', 'detector-test-cache'),
    baseDir: projectRoot,
    download: { timeoutMs: 2_000, attempts: 1 },
  });
  return { config, files };
}

describe('the detector queue bound', { skip: skipWithoutPhotos || skipWithoutDetector }, () => {
  let worker: WorkerDogDetector;
  let runtime: ClassifierRuntime;
  let png: Buffer;
  before(async () => {
    runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }), {
      embedEngine: 'inprocess',
    });
    const { config, files } = await localDetector();
    worker = await WorkerDogDetector.start({ config, files, backend: 'wasm' });
    ({ png } = await sideBySide([BEAGLE, GOLDEN]));
  });
  after(async () => {
    await worker?.dispose();
    runtime?.dispose();
  });

  test('a burst beyond the bound is refused at once; the photos let in are all detected', async () => {
    const bounded = new BoundedDogFinder(worker, 2);
    const settled: string[] = [];
    const burst = Array.from({ length: 6 }, (_, i) =>
      bounded.detect(png).then(
        (d) => settled.push(`${i}:found ${d.dogs.length}`),
        (err: unknown) =>
          settled.push(`${i}:${err instanceof DetectorQueueFullError ? 'full' : String(err)}`),
      ),
    );
    assert.equal(bounded.queued, 2);
    await Promise.all(burst);
    // The four refusals settle before either detection ends: they never waited behind them.
    assert.deepEqual(settled.slice(0, 4), ['2:full', '3:full', '4:full', '5:full']);
    assert.deepEqual(settled.slice(4).sort(), ['0:found 2', '1:found 2']);
    assert.equal(bounded.skipped, 4);
    assert.equal(bounded.queued, 0);
    // Drained: the next photo is let in again.
    assert.equal((await bounded.detect(png)).dogs.length, 2);
  });

  test('a photo refused by a full queue gets no dogs, and no error: its whole-photo answer stands', async () => {
    const bounded = new BoundedDogFinder(worker, 1);
    const first = bounded.detect(png);
    assert.deepEqual(await classifyEachDog(png, bounded, runtime.classifier), []);
    assert.equal((await first).dogs.length, 2);
    // Once there is room, the same photo gets its two dogs.
    assert.equal((await classifyEachDog(png, bounded, runtime.classifier)).length, 2);
  });
});

describe(
  "the detector's thread yields to the answers (Linux)",
  { skip: skipWithoutDetector || (process.platform !== 'linux' && 'Linux only: per-thread nice values') },
  () => {
    /** The nice value of each of this process's threads (field 19 of /proc/self/task/<tid>/stat). */
    const niceOfThreads = () =>
      readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
      });

    test('its worker thread runs 10 nice steps below the rest of the process', async () => {
      const mine = os.getPriority(0);
      const { config, files } = await localDetector();
      assert.ok(!niceOfThreads().includes(Math.min(19, mine + 10)), 'no such thread before');
      const worker = await WorkerDogDetector.start({ config, files, backend: 'wasm' });
      try {
        assert.ok(niceOfThreads().includes(Math.min(19, mine + 10)), `threads: ${niceOfThreads().join(' ')}`);
        assert.equal(os.getPriority(0), mine, 'this thread keeps its priority');
      } finally {
        await worker.dispose();
      }
    });
  },
);
