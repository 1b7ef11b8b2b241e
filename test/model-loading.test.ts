import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { selectBackend } from '../src/model/backend.ts';
import { loadBackbone } from '../src/model/backbone.ts';
import {
  BaseModelError,
  resolveBaseModel,
  type BaseModelSourceOptions,
} from '../src/model/base-model-source.ts';
import { loadNetworkConfig } from '../src/model/model-config.ts';
import { sharedModelDir, skipWithoutSharedModel } from './helpers/shared-data.ts';

const modelConfig = loadNetworkConfig(path.join(projectRoot, 'models/mobilenet_v1_0.75_224.model.json'));

/** Serves files of `root` over http on 127.0.0.1, counting requests. */
async function serveFolder(root: string) {
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    requests.push(req.url ?? '');
    try {
      const body = await readFile(
        path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)),
      );
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

describe('base model loading', { skip: skipWithoutSharedModel }, () => {
  let tmp: string;
  let modelCopy: string;
  let server: Awaited<ReturnType<typeof serveFolder>>;
  const options = (over: Partial<BaseModelSourceOptions>): BaseModelSourceOptions => ({
    source: modelCopy,
    officialUrl: modelConfig.url,
    modelId: modelConfig.id,
    cacheRoot: path.join(tmp, 'cache'),
    baseDir: projectRoot,
    download: { timeoutMs: 10_000, attempts: 1 },
    ...over,
  });
  /** A fresh copy of ../shared's model in the temp folder, to damage. */
  async function copyModel(name: string): Promise<string> {
    const dir = path.join(tmp, name);
    await cp(sharedModelDir, dir, { recursive: true });
    return dir;
  }

  before(async () => {
    await selectBackend('wasm');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-model-loading-'));
    modelCopy = await copyModel('served');
    server = await serveFolder(tmp);
  });
  after(async () => {
    await server?.close();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('a local folder is verified and loaded in place', async () => {
    const backbone = await loadBackbone({
      config: modelConfig,
      source: sharedModelDir,
      cacheRoot: path.join(tmp, 'c0'),
      baseDir: projectRoot,
    });
    assert.equal(backbone.source.origin, 'local');
    assert.equal(backbone.source.dir, sharedModelDir);
    assert.equal(backbone.embeddingDim, 768);
    assert.equal(backbone.classifier.classes, 1000);
    const [embedding] = await backbone.embed([{ data: new Float32Array(224 * 224 * 3), size: 224 }]);
    assert.equal(embedding!.length, 768);
    backbone.dispose();
  });

  test('a URL is downloaded into the cache, verified, loaded, and re-used without downloading again', async () => {
    const url = `${server.url}/served/model.json`;
    const before = server.requests.length;
    const backbone = await loadBackbone({
      config: modelConfig,
      source: url,
      cacheRoot: path.join(tmp, 'cache'),
      baseDir: projectRoot,
    });
    assert.equal(backbone.source.origin, 'download');
    assert.ok(backbone.source.dir.startsWith(path.join(tmp, 'cache', `${modelConfig.id}-`)));
    // model.json + 55 weight files
    assert.equal(server.requests.length - before, 56);
    // The official host has no label file: it comes from beside the model config.
    assert.equal(backbone.classifier.labels.synonyms[155]![0], 'Shih-Tzu');
    backbone.dispose();

    const again = await resolveBaseModel(options({ source: url }));
    assert.equal(again.origin, 'cache');
    assert.equal(again.dir, backbone.source.dir);
    assert.equal(server.requests.length - before, 56);
  });

  test('an incomplete cache is downloaded again', async () => {
    const url = `${server.url}/served/model.json`;
    const first = await resolveBaseModel(options({ source: url, cacheRoot: path.join(tmp, 'cache2') }));
    await truncate(path.join(first.dir, 'group7-shard1of1'), 100);
    const second = await resolveBaseModel(options({ source: url, cacheRoot: path.join(tmp, 'cache2') }));
    assert.equal(second.origin, 'download');
  });

  test('a weight file of the wrong size on the server fails the download with one clear error and leaves no cache', async () => {
    const dir = await copyModel('short');
    await truncate(path.join(dir, 'group3-shard1of1'), 1000);
    const cacheRoot = path.join(tmp, 'cache-short');
    await assert.rejects(
      resolveBaseModel(options({ source: `${server.url}/short/model.json`, cacheRoot })),
      (err: Error) =>
        err instanceof BaseModelError &&
        /group3-shard1of1 .* has 1000 bytes, model\.json expects \d+/.test(err.message) &&
        /set BASE_MODEL to a folder/.test(err.message),
    );
    await assert.rejects(readFile(path.join(cacheRoot, modelConfig.id, 'model.json')));
  });

  test('an unreachable official URL falls back to the mirror; any other URL does not', async () => {
    const deadUrl = `${server.url}/nothing-here/model.json`;
    const viaMirror = await resolveBaseModel(
      options({
        source: deadUrl,
        officialUrl: deadUrl,
        mirror: sharedModelDir,
        cacheRoot: path.join(tmp, 'cache3'),
      }),
    );
    assert.deepEqual([viaMirror.origin, viaMirror.dir], ['mirror', sharedModelDir]);
    await assert.rejects(
      resolveBaseModel(
        options({ source: deadUrl, mirror: sharedModelDir, cacheRoot: path.join(tmp, 'cache3') }),
      ),
      /could not be downloaded from BASE_MODEL=.*HTTP 404.*Check the URL and network access/,
    );
  });

  const damaged: [string, (dir: string) => Promise<void>, RegExp][] = [
    ['missing model.json', (d) => rm(path.join(d, 'model.json')), /model\.json is missing/],
    [
      'model.json that is not JSON',
      (d) => writeFile(path.join(d, 'model.json'), '{"modelTopology": '),
      /not valid JSON/,
    ],
    [
      'model.json without weights',
      (d) => writeFile(path.join(d, 'model.json'), '{"modelTopology": {}}'),
      /no weightsManifest/,
    ],
    [
      'a missing weight file',
      (d) => rm(path.join(d, 'group12-shard1of1')),
      /weight file group12-shard1of1 is missing/,
    ],
    [
      'a truncated weight file',
      (d) => truncate(path.join(d, 'group55-shard1of1'), 17),
      /group55-shard1of1 holds 17 bytes but model\.json expects 6144/,
    ],
  ];
  for (const [what, damage, expected] of damaged) {
    test(`a local folder with ${what} gives one clear error`, async () => {
      const dir = await copyModel(`damaged-${what.replace(/\W+/g, '-')}`);
      await damage(dir);
      await assert.rejects(resolveBaseModel(options({ source: dir })), (err: Error) => {
        assert.ok(err instanceof BaseModelError);
        assert.match(err.message, expected);
        assert.match(err.message, /Set BASE_MODEL to a folder holding a complete TensorFlow\.js model/);
        return true;
      });
    });
  }

  test('a folder that does not exist is named in the error', async () => {
    await assert.rejects(
      resolveBaseModel(options({ source: path.join(tmp, 'nope') })),
      /folder does not exist/,
    );
  });

  test('a model config that does not match the model is refused clearly', async () => {
    const wrong = { ...modelConfig, embeddingLayer: 'no_such_layer' };
    await assert.rejects(
      loadBackbone({
        config: wrong,
        source: sharedModelDir,
        cacheRoot: path.join(tmp, 'c4'),
        baseDir: projectRoot,
      }),
      /embedding layer 'no_such_layer' is not in the model/,
    );
  });
});
