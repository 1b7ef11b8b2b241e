import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config.ts';
import { prepareModelInput } from '../src/images/index.ts';
import { classifyOutput } from '../src/features/classify/classify-output.ts';
import { loadClassifierRuntime, type ClassifierRuntime } from '../src/model/index.ts';
import { DEFAULT_MIX_RULE, mixOf, mixWording, mixedBreedVerdict } from '../src/model/mixed-breed.ts';
import type { BreedProbability } from '../src/model/types.ts';
import {
  imagewoofSample,
  imagewoofValDir,
  sharedModelEnv,
  skipWithoutPhotos,
} from './helpers/shared-data.ts';

const top5 = (...ps: [string, number][]): BreedProbability[] =>
  ps.map(([breed, probability]) => ({ breed, probability }));

describe('mixed-breed rule on synthetic top 5s', () => {
  test('a close top two holding nearly all the mass is a mix, most likely breed first', () => {
    const verdict = mixedBreedVerdict(
      top5(['Beagle', 0.46], ['Pug', 0.44], ['Boxer', 0.04], ['Dingo', 0.03]),
    );
    assert.deepEqual(verdict, { mix: ['Beagle', 'Pug'] });
    assert.equal(mixWording(verdict.mix!), 'looks like a mix of Beagle and Pug');
  });

  test('input order does not matter', () => {
    assert.deepEqual(mixedBreedVerdict(top5(['Pug', 0.44], ['Boxer', 0.04], ['Beagle', 0.46])).mix, [
      'Beagle',
      'Pug',
    ]);
  });

  test('one clear breed is not a mix', () => {
    assert.equal(mixedBreedVerdict(top5(['Beagle', 0.9], ['Pug', 0.05], ['Boxer', 0.02])).mix, undefined);
  });

  test('a runner-up too far behind is not a mix', () => {
    assert.equal(mixedBreedVerdict(top5(['Beagle', 0.6], ['Pug', 0.36], ['Boxer', 0.02])).mix, undefined);
  });

  test('two tiny scores are not a mix, however close', () => {
    const flat = top5(['Beagle', 0.3], ['Pug', 0.3], ['Boxer', 0.05], ['Dingo', 0.05], ['Kelpie', 0.05]);
    assert.equal(mixedBreedVerdict(flat, { ...DEFAULT_MIX_RULE, minSecond: 0.35 }).mix, undefined);
  });

  test('a third breed close behind means unsure, not a mix', () => {
    assert.equal(mixedBreedVerdict(top5(['Beagle', 0.4], ['Pug', 0.38], ['Boxer', 0.2])).mix, undefined);
  });

  test('fewer than two breeds, or no probability at all, is never a mix', () => {
    assert.equal(mixedBreedVerdict([]).mix, undefined);
    assert.equal(mixedBreedVerdict(top5(['Beagle', 1])).mix, undefined);
    assert.equal(mixedBreedVerdict(top5(['Beagle', 0], ['Pug', 0])).mix, undefined);
  });
});

describe('mixed-breed rule on real photos', { skip: skipWithoutPhotos }, () => {
  let runtime: ClassifierRuntime;
  before(async () => {
    runtime = await loadClassifierRuntime(loadConfig({ ...process.env, ...sharedModelEnv }));
  });
  after(() => runtime?.dispose());

  test('a photo split evenly between two lookalikes is a mix in the JSON the CLI and the HTTP API give', async () => {
    const { classifier } = runtime;
    const spec = { size: classifier.backbone.config.inputSize, ...classifier.backbone.config.normalisation };
    // A Lhasa Apso that MobileNet v1 splits with Shih-Tzu (`BACKBONE=mobilenet_v1_0.75_224 npm run bench:mixed`).
    const file = path.join(imagewoofValDir, 'n02086240', 'n02086240_7092.jpg');
    const [result] = await classifier.classifyMany([
      (await prepareModelInput(await readFile(file), spec)).input,
    ]);
    const output = classifyOutput('lhasa.jpg', result!);
    assert.deepEqual(output.mix, ['Lhasa Apso', 'Shih-Tzu']);
    assert.equal(mixWording(output.mix!), 'looks like a mix of Lhasa Apso and Shih-Tzu');
    assert.equal(mixOf({ ...result!, isDog: false }), undefined, 'a photo that is not a dog is never a mix');
  });

  test('pure-breed photos the classifier names are not called mixes', async () => {
    const { classifier } = runtime;
    const spec = { size: classifier.backbone.config.inputSize, ...classifier.backbone.config.normalisation };
    const photos = imagewoofSample(2);
    const inputs = await Promise.all(
      photos.map(async (p) => (await prepareModelInput(await readFile(p.file), spec)).input),
    );
    const results = await classifier.classifyMany(inputs);
    const mixes = results.filter((r) => mixedBreedVerdict(r.top5).mix);
    assert.equal(results.length, 20);
    assert.ok(mixes.length <= 1, `${mixes.length} of 20 pure photos called mixes`);
  });
});
