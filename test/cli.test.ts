import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { loadClassifierRuntime } from '../src/model/index.ts';
import { saveHeadVersion } from '../src/model/registry.ts';
import type { ClassifyOutput } from '../src/cli/classify.ts';
import type { BreedHead } from '../src/model/types.ts';
import { runCli as runCliScript } from './helpers/run-cli.ts';
import { imagewoofSample, notDogPhotos, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

/** The CLIs at LOG_LEVEL info, so their progress lines can be asserted on. */
const runCli = (script: string, args: string[], env: Record<string, string> = {}) =>
  runCliScript(script, args, { LOG_LEVEL: 'info', ...env });

describe('command line', { skip: skipWithoutPhotos }, () => {
  let tmp: string;
  const dogPhoto = () => imagewoofSample(1)[0]!; // a Shih-Tzu
  const catPhoto = () => notDogPhotos().find((f) => f.endsWith('n02123045_tabby.jpg'))!;

  before(async () => (tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-cli-'))));
  after(async () => rm(tmp, { recursive: true, force: true }));

  test('classify --json prints only a JSON array with one object per input, errors included', async () => {
    const missing = path.join(tmp, 'missing.jpg');
    const { code, stdout, stderr } = await runCli('src/cli/classify.ts', [
      dogPhoto().file,
      catPhoto(),
      missing,
      '--json',
    ]);
    assert.equal(code, 1, 'an input that failed makes the exit status non-zero');
    assert.match(stderr, /tfjs backend: wasm/, 'logs go to stderr');
    const out = JSON.parse(stdout) as ClassifyOutput[];
    assert.equal(out.length, 3);
    const [dog, cat, bad] = out as [ClassifyOutput, ClassifyOutput, ClassifyOutput];
    assert.deepEqual(Object.keys(dog).sort(), ['input', 'isDog', 'modelVersion', 'top5']);
    assert.equal(dog.input, dogPhoto().file);
    assert.equal(dog.isDog, true);
    assert.equal(dog.modelVersion, 'base-mobilenet_v1_0.75_224');
    assert.equal(dog.top5.length, 5);
    for (const b of dog.top5) assert.deepEqual(Object.keys(b).sort(), ['breed', 'probability']);
    assert.ok(dog.top5.some((b) => b.breed === 'Shih-Tzu'));

    assert.equal(cat.isDog, false);
    assert.match(cat.lookslike!.label, /cat/);
    assert.ok(cat.lookslike!.probability > 0.5);

    assert.equal(bad.input, missing);
    assert.match(bad.error!, /no such file/);
    assert.deepEqual(bad.top5, []);
  });

  test('classify prints a breed/probability table, or the not-a-dog verdict', async () => {
    const { code, stdout } = await runCli('src/cli/classify.ts', [dogPhoto().file, catPhoto()]);
    assert.equal(code, 0);
    assert.match(stdout, /breed\s+probability\n\s+Shih-Tzu\s+0\.\d{4}/);
    assert.equal(stdout.match(/^ {2}\S.*\s0\.\d{4}$/gm)?.length, 5);
    assert.match(stdout, /not a dog \(looks like .*cat, 0\.\d\d\)/);
  });

  test('classify fetches URLs through the guarded intake: loopback is refused unless allowed', async () => {
    const photo = await readFile(dogPhoto().file);
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dog.jpg`;
    try {
      const refused = await runCli('src/cli/classify.ts', [url, '--json']);
      const [r] = JSON.parse(refused.stdout);
      assert.match(r.error, /private or local network/);
      const allowed = await runCli('src/cli/classify.ts', [url, '--json'], { FETCH_ALLOW_LOOPBACK: '1' });
      const [a] = JSON.parse(allowed.stdout);
      assert.equal(a.error, undefined);
      assert.equal(
        a.top5[0].breed,
        JSON.parse((await runCli('src/cli/classify.ts', [dogPhoto().file, '--json'])).stdout)[0].top5[0]
          .breed,
      );
    } finally {
      server.close();
    }
  });

  test('classify without inputs prints the usage and exits 2', async () => {
    const { code, stderr } = await runCli('src/cli/classify.ts', []);
    assert.equal(code, 2);
    assert.match(stderr, /Usage: npm run classify/);
  });

  test('eval --json reports accuracy, per-class figures, most-confused pairs and speed', async () => {
    const dir = path.join(tmp, 'val');
    const sample = imagewoofSample(3).filter((p) => ['n02086240', 'n02115641'].includes(p.synset));
    for (const p of sample) {
      await mkdir(path.join(dir, p.synset), { recursive: true });
      await cp(p.file, path.join(dir, p.synset, path.basename(p.file)));
    }
    const { code, stdout } = await runCli('src/cli/eval.ts', [dir, '--json']);
    assert.equal(code, 0);
    const r = JSON.parse(stdout);
    for (const key of [
      'n',
      'top1',
      'top5',
      'perClass',
      'mostConfused',
      'imagesPerSecond',
      'backend',
      'modelVersion',
    ]) {
      assert.ok(key in r, `missing ${key}`);
    }
    assert.equal(r.n, 6);
    // the engine that computed the embeddings: ONNX Runtime when it loads here, else tfjs on wasm
    const onnxInstalled = await import('onnxruntime-node').then(
      () => true,
      () => false,
    );
    assert.equal(r.backend, onnxInstalled ? 'onnxruntime-node' : 'wasm');
    assert.equal(r.modelVersion, 'base-mobilenet_v1_0.75_224');
    assert.ok(r.top1 >= 0 && r.top1 <= r.top5 && r.top5 <= 1);
    assert.ok(r.imagesPerSecond > 0);
    assert.deepEqual(Object.keys(r.perClass).sort(), ['Dingo', 'Shih-Tzu']);
    assert.deepEqual(Object.keys(r.perClass['Dingo']).sort(), ['n', 'synset', 'top1', 'top5']);
    assert.equal(r.perClass['Dingo'].n, 3);
    const wrong = Math.round(r.n * (1 - r.top1));
    assert.equal(
      r.mostConfused.reduce((s: number, [, , c]: [string, string, number]) => s + c, 0),
      wrong,
    );
    for (const entry of r.mostConfused) assert.equal(entry.length, 3);
  });

  test('eval --model evaluates a saved head version', async () => {
    const dir = path.join(tmp, 'val');
    const modelsDir = path.join(tmp, 'models');
    const runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }));
    const base = runtime.baseHead;
    const columns = [base.breeds.indexOf('Shih-Tzu'), base.breeds.indexOf('Dingo')];
    const kernel = new Float32Array(base.inputDim * 2);
    for (let d = 0; d < base.inputDim; d++)
      columns.forEach((c, j) => (kernel[d * 2 + j] = base.kernel[d * 125 + c]!));
    const head: BreedHead = {
      breeds: ['Shih-Tzu', 'Dingo'],
      inputDim: base.inputDim,
      kernel,
      bias: Float32Array.from(columns, (c) => base.bias[c]!),
    };
    const saved = await saveHeadVersion(modelsDir, head, {
      parent: runtime.baseVersion,
      backboneId: runtime.backbone.id,
    });
    runtime.dispose();

    const { code, stdout, stderr } = await runCli(
      'src/cli/eval.ts',
      [dir, '--json', '--model', saved.version],
      { MODELS_DIR: modelsDir },
    );
    assert.equal(code, 0, stderr);
    const r = JSON.parse(stdout);
    assert.equal(r.modelVersion, saved.version);
    assert.equal(r.top5, 1, 'with two breeds, both are always in the top five');

    const unknown = await runCli('src/cli/eval.ts', [dir, '--json', '--model', 'v20990101-000000-abcd'], {
      MODELS_DIR: modelsDir,
    });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stdout, '');
    assert.match(unknown.stderr, /error: .*v20990101-000000-abcd/);
  });

  test('eval refuses a folder that is not <synset>/ photos', async () => {
    const dir = path.join(tmp, 'notsynsets', 'cats');
    await mkdir(dir, { recursive: true });
    const { code, stderr } = await runCli('src/cli/eval.ts', [path.dirname(dir)]);
    assert.equal(code, 1);
    assert.match(stderr, /folder cats .* is not an ImageNet dog synset/);
  });
});
