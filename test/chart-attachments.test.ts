/** The charts of /retrain and /model info from a version's metrics as they come back from the database. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { epochPoints, trainingCharts } from '../src/discord/chart-attachments.ts';

const recorded = {
  top1: 0.85,
  before: { top1: 0.6, top5: 0.9 },
  holdoutImages: 20,
  curve: [
    { epoch: 1, loss: 1.2, holdoutAccuracy: 0.6 },
    { epoch: 2, loss: 0.8, holdoutAccuracy: 0.75 },
    { epoch: 3, loss: 0.5, holdoutAccuracy: 0.85 },
  ],
};

test('a promoted version gives a training curve and a before/after chart, each a PNG with alt text', async () => {
  const files = await trainingCharts(recorded);
  assert.deepEqual(
    files.map((f) => f.name),
    ['training-curve.png', 'before-after.png'],
  );
  const [curve, beforeAfter] = files;
  assert.equal(
    curve!.description,
    'Training curve over 3 epochs: loss 1.200 → 0.500, holdout accuracy 60.0% → 85.0% (best 85.0%).',
  );
  assert.match(beforeAfter!.description ?? '', /holdout top-1 \(20 photos\)\): before 60\.0%, after 85\.0%/);
  for (const f of files) assert.equal((await sharp(f.attachment as Buffer).metadata()).format, 'png');
});

test('a version without a holdout (accuracy stored as null, no top-1) and the base model get no charts', async () => {
  const noHoldout = {
    holdoutImages: 0,
    curve: [{ epoch: 1, loss: 0.9, holdoutAccuracy: null }],
  };
  assert.deepEqual(epochPoints(noHoldout), []);
  assert.deepEqual(await trainingCharts(noHoldout), []);
  assert.deepEqual(await trainingCharts(null), []);
  // Versions recorded before the curve was kept still get their before/after chart.
  const older = await trainingCharts({ top1: 0.7, before: { top1: 0.5 }, holdoutImages: 1 });
  assert.deepEqual(
    older.map((f) => f.name),
    ['before-after.png'],
  );
});
