/**
 * The abuse suite (`npm run test:abuse`) in its smaller configuration: 200 fuzzed images, every SSRF case,
 * 200 concurrent labels through the fake Discord, and the kill -9 tests.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missedTargets, runAbuseSuite } from './abuse/run-abuse.ts';
import { missingSharedInputs } from './helpers/shared-data.ts';

const options = { fuzzCount: 200, fuzzSeed: 7, concurrentLabels: 200, killTests: true };

test(
  'abuse suite (small): no crash, no hang, every SSRF case refused, no label lost or duplicated, kills survived',
  {
    skip: missingSharedInputs() ?? false,
  },
  async () => {
    const report = await runAbuseSuite(options);
    const f = report.figures;
    assert.equal(f.fuzzedImages, 200);
    assert.equal(f.crashes, 0, JSON.stringify(report.details.fuzz.crashSamples));
    assert.equal(f.hangs, 0);
    assert.ok(f.ssrfCases >= 60, `only ${f.ssrfCases} SSRF cases`);
    assert.equal(f.ssrfRefused, f.ssrfCases, JSON.stringify(report.details.ssrfFailures));
    assert.equal(f.concurrentLabels, 200);
    assert.equal(report.details.labels.stored, 200);
    assert.equal(f.labelsLost, 0);
    assert.equal(f.labelsDuplicated, 0);
    assert.equal(report.details.labels.acknowledged, report.details.labels.byCommand);
    assert.equal(f.interactions, 100);
    assert.ok(
      f.interactionsAckedWithin3s >= 95,
      `${f.interactionsAckedWithin3s} of 100 acknowledged within 3 s`,
    );
    assert.equal(f.killTests, 4);
    assert.equal(f.killTestsPassed, 4, JSON.stringify(report.details.kill?.results.map((r) => r.problems)));
    assert.deepEqual(missedTargets(f, options), []);
  },
);

test('missed targets are named', () => {
  const good = {
    fuzzedImages: 200,
    crashes: 0,
    hangs: 0,
    ssrfCases: 63,
    ssrfRefused: 63,
    concurrentLabels: 200,
    labelsLost: 0,
    labelsDuplicated: 0,
    interactions: 100,
    interactionsAckedWithin3s: 95,
    killTests: 4,
    killTestsPassed: 4,
  };
  assert.deepEqual(missedTargets(good, options), []);
  assert.deepEqual(missedTargets({ ...good, crashes: 1, labelsLost: 2, killTestsPassed: 3 }, options), [
    '1 fuzzed images crashed',
    '2 labels lost',
    '1 of 4 kill tests failed',
  ]);
  assert.deepEqual(missedTargets({ ...good, interactionsAckedWithin3s: 94 }, options), [
    'only 94 of 100 /label interactions acknowledged within 3 s',
  ]);
});
