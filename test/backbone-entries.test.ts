/**
 * Backbones as data: every models/*.model.json entry parses; a TFLite entry is downloaded once and checked by
 * sha256, falls back to its mirror offline, and is converted once; an ensemble concatenates its members and its
 * day-0 classifier averages theirs; flip averaging is the mean of the photo and its mirror image.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { prepareModelInput } from '../src/images/index.ts';
import { loadBackbone, type Backbone } from '../src/model/backbone.ts';
import { selectBackend } from '../src/model/backend.ts';
import { mirrored, withFlipAverage } from '../src/model/embedding-transforms.ts';
import {
  imageSpecOf,
  loadModelConfig,
  loadNetworkConfig,
  type ModelConfig,
  type NetworkConfig,
} from '../src/model/model-config.ts';
import { pretrainedProbabilities } from '../src/model/pretrained.ts';
import { imagewoofSample } from './helpers/shared-data.ts';

const modelsDir = path.join(projectRoot, 'models');
const entryPath = (id: string) => path.join(modelsDir, `${id}.model.json`);
const edgeTpu = loadNetworkConfig(entryPath('mobilenet_edgetpu_224_1.0'));
const edgeTpuFile = path.resolve(projectRoot, edgeTpu.mirror!);
const skipWithoutTflite = existsSync(edgeTpuFile)
  ? existsSync(path.resolve(projectRoot, '../shared/datasets/imagewoof/val'))
    ? false
    : 'needs ../shared/datasets/imagewoof/val (absent)'
  : `needs ${path.relative(projectRoot, edgeTpuFile)} (absent)`;

async function serveBytes(bytes: Buffer) {
  const server: Server = createServer((req, res) => {
    if (req.url?.endsWith('.tflite')) res.writeHead(200).end(bytes);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/model.tflite`, close: () => new Promise((r) => server.close(r)) };
}

describe('backbone entries', () => {
  it('every models/*.model.json parses, and each single network names its official URL and a mirror', () => {
    const entries = readdirSync(modelsDir).filter((f) => f.endsWith('.model.json'));
    assert.ok(entries.length >= 4, `found ${entries.join(', ')}`);
    for (const file of entries) {
      const config = loadModelConfig(path.join(modelsDir, file));
      assert.equal(`${config.id}.model.json`, file);
      if (config.format === 'ensemble') continue;
      assert.match(config.url, /^https:\/\//);
      assert.ok(config.mirror, `${file} has a mirror for offline machines`);
      if (config.format === 'tflite') assert.match(config.sha256, /^[0-9a-f]{64}$/);
    }
  });

  it('an entry that is not valid names the file and the field', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'entry-'));
    try {
      const file = path.join(dir, 'broken.model.json');
      const { configPath: _ignored, ...raw } = edgeTpu;
      await writeFile(file, JSON.stringify({ ...raw, sha256: undefined }));
      assert.throws(() => loadModelConfig(file), /Invalid model config .*broken\.model\.json: sha256/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the shared mirrors are the files the entries name by sha256', { skip: skipWithoutTflite }, () => {
    for (const id of ['mobilenet_edgetpu_224_1.0', 'mobilenet_v2_1.0_224_quant']) {
      const config = loadNetworkConfig(entryPath(id));
      assert.equal(config.format, 'tflite');
      const bytes = readFileSync(path.resolve(projectRoot, config.mirror!));
      assert.equal(
        createHash('sha256').update(bytes).digest('hex'),
        config.format === 'tflite' && config.sha256,
      );
    }
  });
});

describe('a TFLite backbone', { skip: skipWithoutTflite }, () => {
  let tmp: string;
  let photo: Awaited<ReturnType<typeof prepareModelInput>>['input'];
  const withUrl = (url: string): NetworkConfig => ({ ...edgeTpu, url });

  before(async () => {
    await selectBackend('wasm');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'tflite-backbone-'));
    const [first] = imagewoofSample(1);
    photo = (await prepareModelInput(await readFile(first!.file), imageSpecOf(edgeTpu))).input;
  });
  after(() => rm(tmp, { recursive: true, force: true }));

  it('downloads the official file once, checks its sha256, converts once and re-uses both', async () => {
    const server = await serveBytes(await readFile(edgeTpuFile));
    const cacheRoot = path.join(tmp, 'download');
    try {
      const config = withUrl(server.url);
      const first = await loadBackbone({ config, cacheRoot, baseDir: projectRoot });
      assert.equal(first.source.origin, 'download');
      assert.equal(first.embeddingDim, 1280);
      assert.equal(first.classifier.classes, 1000);
      first.dispose();
      const again = await loadBackbone({ config, cacheRoot, baseDir: projectRoot });
      assert.equal(again.source.origin, 'cache');
      assert.equal(again.source.dir, first.source.dir);
      again.dispose();
    } finally {
      await server.close();
    }
  });

  it('refuses a download whose sha256 is wrong and keeps nothing of it', async () => {
    const bytes = await readFile(edgeTpuFile);
    bytes[1000] = bytes[1000]! ^ 0xff;
    const server = await serveBytes(bytes);
    const cacheRoot = path.join(tmp, 'tampered');
    try {
      await assert.rejects(
        loadBackbone({
          config: withUrl(server.url),
          cacheRoot,
          baseDir: projectRoot,
          mirror: '/nonexistent',
        }),
        /could not be downloaded .*has sha256 [0-9a-f]{64}, the model entry expects 5d63cb8e/,
      );
      assert.equal(existsSync(path.join(cacheRoot, edgeTpu.id, 'model.tflite')), false);
    } finally {
      await server.close();
    }
  });

  it("offline, uses the entry's mirror for its official URL", async () => {
    const closed = await serveBytes(Buffer.alloc(0));
    await closed.close(); // nothing listens on that port any more: a failed download, as offline
    const config = withUrl(closed.url);
    const backbone = await loadBackbone({
      config,
      cacheRoot: path.join(tmp, 'offline'),
      baseDir: projectRoot,
    });
    try {
      assert.equal(backbone.source.origin, 'mirror');
      const [embedding] = await backbone.embed([photo]);
      assert.equal(embedding!.length, 1280);
    } finally {
      backbone.dispose();
    }
  });

  it("an entry whose normalisation disagrees with the file's input quantization is refused", async () => {
    const config: NetworkConfig = { ...edgeTpu, normalisation: { scale: 1 / 255, offset: 0 } };
    await assert.rejects(
      loadBackbone({ config, source: edgeTpuFile, cacheRoot: path.join(tmp, 'norm'), baseDir: projectRoot }),
      /does not fit its config .*input quantization means normalisation \{ "scale": 0\.0078740/,
    );
  });

  describe('ensemble and flip averaging', () => {
    let members: Backbone[];
    let ensemble: Backbone;
    const ensembleConfig = loadModelConfig(entryPath('ensemble_edgetpu_v2'));
    const cacheRoot = () => path.join(tmp, 'shared-cache');

    before(async () => {
      members = [];
      for (const id of ['mobilenet_edgetpu_224_1.0', 'mobilenet_v2_1.0_224_quant']) {
        members.push(
          await loadBackbone({
            config: loadModelConfig(entryPath(id)),
            cacheRoot: cacheRoot(),
            baseDir: projectRoot,
          }),
        );
      }
      ensemble = await loadBackbone({ config: ensembleConfig, cacheRoot: cacheRoot(), baseDir: projectRoot });
    });
    after(() => [...members, ensemble].forEach((b) => b.dispose()));

    it("the embedding is the members' embeddings, concatenated, each on its own normalisation", async () => {
      assert.equal(ensemble.id, 'ensemble_edgetpu_v2');
      assert.equal(ensemble.embeddingDim, 2560);
      const [combined] = await ensemble.embed([photo]);
      // The photo was normalised for EdgeTPU; V2 takes (p - 128) / 128, so give it its own input.
      const [first] = imagewoofSample(1);
      const v2Input = (await prepareModelInput(await readFile(first!.file), imageSpecOf(members[1]!.config)))
        .input;
      const ensembleInput = (
        await prepareModelInput(await readFile(first!.file), imageSpecOf(ensembleConfig))
      ).input;
      const [fromEnsembleInput] = await ensemble.embed([ensembleInput]);
      const [edge] = await members[0]!.embed([photo]);
      const [v2] = await members[1]!.embed([v2Input]);
      const maxDiff = (a: Float32Array, b: Float32Array) =>
        a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
      assert.ok(combined!.length === 2560);
      assert.ok(maxDiff(fromEnsembleInput!.subarray(0, 1280), edge!) < 1e-3, 'EdgeTPU slice');
      assert.ok(maxDiff(fromEnsembleInput!.subarray(1280), v2!) < 1e-3, 'V2 slice');
    });

    it("the day-0 classifier gives the mean of the members' ImageNet logits", async () => {
      const [embedding] = await ensemble.embed([photo]);
      const weightsOf = (b: Backbone) => ({
        kernel: b.classifier.kernel,
        bias: b.classifier.bias,
        embeddingDim: b.embeddingDim,
        dogClasses: b.config.dogClasses,
      });
      const logits = (b: Backbone, e: Float32Array) => {
        const p = pretrainedProbabilities(e, weightsOf(b));
        return Array.from(p, (v) => Math.log(v));
      };
      const ensembleLogits = logits(ensemble, embedding!);
      const edgeLogits = logits(members[0]!, embedding!.slice(0, 1280));
      const v2Logits = logits(members[1]!, embedding!.slice(1280));
      // log-softmax is shift-invariant: compare centred logits.
      const centred = (l: number[]) => {
        const mean = l.reduce((s, v) => s + v, 0) / l.length;
        return l.map((v) => v - mean);
      };
      const expected = centred(edgeLogits.map((v, i) => (v + v2Logits[i]!) / 2));
      const got = centred(ensembleLogits);
      const worst = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i]!)), 0);
      assert.ok(worst < 1e-3, `largest logit difference ${worst}`);
    });

    it("flip averaging is the mean of the photo's and its mirror image's embeddings", async () => {
      const edge = members[0]!;
      assert.deepEqual(mirrored(mirrored(photo)).data, photo.data);
      const [plain] = await edge.embed([photo]);
      const [flipped] = await edge.embed([mirrored(photo)]);
      const [averaged] = await withFlipAverage(edge.embed)([photo]);
      const worst = averaged!.reduce(
        (m, v, i) => Math.max(m, Math.abs(v - (plain![i]! + flipped![i]!) / 2)),
        0,
      );
      assert.ok(worst < 1e-5, `largest difference ${worst}`);
      assert.ok(
        plain!.some((v, i) => Math.abs(v - flipped![i]!) > 1e-3),
        'a real photo is not mirror-symmetric',
      );
    });

    it('an entry with flipAverage has its own embedding id', async () => {
      const config: ModelConfig = { ...edgeTpu, flipAverage: true };
      const flipping = await loadBackbone({ config, cacheRoot: cacheRoot(), baseDir: projectRoot });
      try {
        assert.equal(flipping.id, 'mobilenet_edgetpu_224_1.0+flip');
        const [a] = await flipping.embed([photo]);
        const [b] = await withFlipAverage(members[0]!.embed)([photo]);
        assert.ok(a!.every((v, i) => Math.abs(v - b![i]!) < 1e-5));
      } finally {
        flipping.dispose();
      }
    });
  });
});
