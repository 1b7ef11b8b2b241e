import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { DetectorFilesError, resolveDetectorFiles } from '../src/detection/index.ts';
import { detectorEntry, sharedDetectorDir, skipWithoutDetector } from './helpers/detector-data.ts';

/** Serves files of `root` over http on 127.0.0.1, counting requests. */
async function serveFolder(root: string) {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    readFile(path.join(root, path.basename(new URL(req.url ?? '/', 'http://x').pathname))).then(
      (body) => res.writeHead(200).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/models/centernet.json`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe(
  'the detector files: official download checked by sha256, cache, mirror',
  { skip: skipWithoutDetector },
  () => {
    let tmp: string;
    let damaged: string;
    before(async () => {
      tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-detector-source-'));
      damaged = path.join(tmp, 'damaged');
      await cp(sharedDetectorDir, damaged, { recursive: true });
      const bin = path.join(damaged, 'centernet.bin');
      const bytes = await readFile(bin);
      bytes[1000] = bytes[1000]! ^ 0xff; // same size, other checksum
      await writeFile(bin, bytes);
    });
    after(() => rm(tmp, { recursive: true, force: true }));
    const download = { timeoutMs: 10_000, attempts: 1 };

    test("the committed entry's checksums are those of the ../shared mirror", () => {
      const config = detectorEntry();
      assert.equal(sha256(path.join(sharedDetectorDir, 'centernet.json')), config.sha256);
      for (const w of config.weights) assert.equal(sha256(path.join(sharedDetectorDir, w.path)), w.sha256);
      assert.equal(path.resolve(projectRoot, config.mirror!), sharedDetectorDir);
    });

    test('downloads over HTTP into the cache once, then reuses the cache without a request', async () => {
      const server = await serveFolder(sharedDetectorDir);
      try {
        const cacheRoot = path.join(tmp, 'cache-a');
        const options = {
          config: detectorEntry(),
          cacheRoot,
          baseDir: projectRoot,
          url: server.url,
          download,
        };
        const first = await resolveDetectorFiles(options);
        assert.equal(first.origin, 'download');
        assert.equal(first.jsonFile, 'centernet.json');
        assert.deepEqual(server.requests.sort(), ['/models/centernet.bin', '/models/centernet.json']);
        assert.equal(sha256(path.join(first.dir, 'centernet.bin')), detectorEntry().weights[0]!.sha256);
        const second = await resolveDetectorFiles(options);
        assert.deepEqual([second.origin, second.dir], ['cache', first.dir]);
        assert.equal(server.requests.length, 2);
      } finally {
        await server.close();
      }
    });

    test('a download with another sha256 is refused and never lands in the cache', async () => {
      const server = await serveFolder(damaged);
      try {
        const cacheRoot = path.join(tmp, 'cache-b');
        await assert.rejects(
          resolveDetectorFiles({
            config: detectorEntry(),
            cacheRoot,
            baseDir: projectRoot,
            url: server.url,
            download,
          }),
          (err: Error) =>
            err instanceof DetectorFilesError && /centernet\.bin has sha256 [0-9a-f]{64}/.test(err.message),
        );
        assert.ok(!existsSync(path.join(cacheRoot, 'centernet_coco', 'centernet.bin')));
      } finally {
        await server.close();
      }
    });

    test('offline, the official URL falls back to the mirror; a damaged mirror is refused with the reason', async () => {
      // A port nothing listens on stands for the unreachable official host.
      const offline = { ...detectorEntry(), url: 'http://127.0.0.1:9/models/centernet.json' };
      const mirrored = await resolveDetectorFiles({
        config: offline,
        cacheRoot: path.join(tmp, 'cache-c'),
        baseDir: projectRoot,
        download,
      });
      assert.deepEqual([mirrored.origin, mirrored.dir], ['mirror', sharedDetectorDir]);
      await assert.rejects(
        resolveDetectorFiles({
          config: { ...offline, mirror: damaged },
          cacheRoot: path.join(tmp, 'cache-d'),
          baseDir: projectRoot,
          download,
        }),
        (err: Error) =>
          err instanceof DetectorFilesError &&
          err.message.includes('mirror') &&
          err.message.includes('centernet.bin has sha256'),
      );
    });
  },
);
