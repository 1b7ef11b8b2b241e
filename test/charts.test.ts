import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import sharp from 'sharp';
import { projectRoot } from '../src/config.ts';
import { beforeAfterAccuracy, confusionMatrix, labelsPerBreed, trainingCurve } from '../src/charts/index.ts';
import { BEFORE_AFTER_CHART } from '../src/charts/before-after.ts';
import { CONFUSION_CHART } from '../src/charts/confusion-matrix.ts';
import { LABELS_CHART } from '../src/charts/labels-per-breed.ts';
import { fitText, textWidth } from '../src/charts/text.ts';

const PRIMARY = [0x58, 0x65, 0xf2];

async function pixels(png: Buffer) {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (x: number, y: number) => {
    const i = (Math.round(y) * info.width + Math.round(x)) * 3;
    return [data[i]!, data[i + 1]!, data[i + 2]!];
  };
  const near = (p: number[], q: readonly number[], tolerance = 12) =>
    p.every((v, i) => Math.abs(v - q[i]!) <= tolerance);
  const dark = (p: number[]) => p[0]! + p[1]! + p[2]! < 3 * 140;
  return { width: info.width, height: info.height, at, near, dark };
}

/** How many pixels of a row, or a column, have the given colour. */
const runLength = (count: number, sample: (i: number) => boolean) =>
  Array.from({ length: count }, (_, i) => i).filter(sample).length;

describe('charts', () => {
  test('labels per breed: one bar per breed, lengths proportional to the counts, most first', async () => {
    const chart = await labelsPerBreed([
      { breed: 'Pug', count: 6 },
      { breed: 'Beagle', count: 12 },
      { breed: 'Boxer', count: 3 },
    ]);
    const px = await pixels(chart.png);
    assert.equal(px.width, LABELS_CHART.width);
    assert.equal(px.height, LABELS_CHART.top + 3 * LABELS_CHART.rowHeight + 40);
    const barRow = (i: number) => LABELS_CHART.top + i * LABELS_CHART.rowHeight + LABELS_CHART.rowHeight / 2;
    const lengths = [0, 1, 2].map((i) => runLength(px.width, (x) => px.near(px.at(x, barRow(i)), PRIMARY)));
    assert.ok(lengths[0]! > 400, `longest bar ${lengths[0]} px`);
    assert.ok(Math.abs(lengths[1]! / lengths[0]! - 0.5) < 0.01, `Pug/Beagle ${lengths[1]}/${lengths[0]}`);
    assert.ok(Math.abs(lengths[2]! / lengths[0]! - 0.25) < 0.01, `Boxer/Beagle ${lengths[2]}/${lengths[0]}`);
    assert.equal(chart.alt, 'Labels per breed: Beagle 12, Pug 6, Boxer 3.');
    assert.equal(chart.empty, false);
  });

  test('text is drawn: dark pixels in the label column, and the same PNG without any system font', async () => {
    const labels = [{ breed: 'Rhodesian Ridgeback', count: 4 }];
    const chart = await labelsPerBreed(labels);
    const px = await pixels(chart.png);
    const labelArea = {
      x0: 8,
      x1: LABELS_CHART.labelWidth + 8,
      y0: LABELS_CHART.top,
      y1: LABELS_CHART.top + 26,
    };
    let inked = 0;
    for (let y = labelArea.y0; y < labelArea.y1; y++)
      for (let x = labelArea.x0; x < labelArea.x1; x++) if (px.dark(px.at(x, y))) inked++;
    assert.ok(inked > 150, `${inked} dark pixels where "Rhodesian Ridgeback" is written`);

    // fontconfig with an empty configuration finds no fonts at all: the chart must not change.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-nofonts-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const conf = path.join(dir, 'fonts.conf');
    writeFileSync(conf, '<?xml version="1.0"?>\n<fontconfig><cachedir>' + dir + '</cachedir></fontconfig>\n');
    const out = path.join(dir, 'chart.png');
    const script = `import { labelsPerBreed } from './src/charts/index.ts'; import { writeFileSync } from 'node:fs';
      writeFileSync(${JSON.stringify(out)}, (await labelsPerBreed(${JSON.stringify(labels)})).png);`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: projectRoot,
      env: { ...process.env, FONTCONFIG_FILE: conf, FONTCONFIG_PATH: dir },
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, child.stderr);
    const { data: a } = await sharp(chart.png).raw().toBuffer({ resolveWithObject: true });
    const { data: b } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    assert.ok(a.equals(b), 'the chart renders the same with no fonts installed');
  });

  test('names with XML special characters render and read back unchanged in the alt text', async () => {
    const hostile = `<script>&"'`;
    for (const chart of [
      await labelsPerBreed([{ breed: hostile, count: 2 }]),
      await confusionMatrix([[hostile, `]]><!--`, 3]]),
    ]) {
      const meta = await sharp(chart.png).metadata();
      assert.equal(meta.format, 'png');
      assert.ok(chart.alt.includes(hostile), chart.alt);
    }
  });

  test('long breed names are ellipsised to fit their column', async () => {
    const long = 'Very Long User-Made Breed Name From A Server Far Away';
    const fitted = fitText(long, 14, LABELS_CHART.labelWidth);
    assert.ok(fitted.endsWith('…') && fitted.length < long.length, fitted);
    assert.ok(textWidth(fitted, 14) <= LABELS_CHART.labelWidth);
    assert.equal(fitText('Pug', 14, LABELS_CHART.labelWidth), 'Pug');
    const px = await pixels((await labelsPerBreed([{ breed: long, count: 1 }])).png);
    const row = LABELS_CHART.top + LABELS_CHART.rowHeight * 0.5;
    for (let x = 0; x < 6; x++) assert.ok(!px.dark(px.at(x, row)), 'nothing is drawn past the left margin');
  });

  test('confusion matrix: a cell per pair with its count, darker for more confusions', async () => {
    const chart = await confusionMatrix(
      [
        ['Lhasa Apso', 'Shih-Tzu', 8],
        ['Walker Hound', 'English Foxhound', 2],
      ],
      { correct: { 'Shih-Tzu': 30 } },
    );
    const px = await pixels(chart.png);
    const { cell, labelWidth, headerHeight } = CONFUSION_CHART;
    assert.ok(px.width >= labelWidth + 16 + 4 * cell + 24, `width ${px.width}`);
    for (let y = 0; y < headerHeight; y++)
      assert.ok(!px.dark(px.at(px.width - 2, y)), 'the leaning column labels end inside the picture');
    assert.equal(px.height, headerHeight + 4 * cell + 44);
    // Breeds in order of first appearance: Lhasa Apso, Shih-Tzu, Walker Hound, English Foxhound.
    const cellCorner = (row: number, col: number) =>
      px.at(labelWidth + 16 + col * cell + 4, headerHeight + row * cell + 4);
    const brightness = (p: number[]) => p[0]! + p[1]! + p[2]!;
    const strong = cellCorner(0, 1);
    const weak = cellCorner(2, 3);
    const none = cellCorner(0, 3);
    assert.ok(
      brightness(strong) < brightness(weak) && brightness(weak) < brightness(none),
      `${strong} ${weak} ${none}`,
    );
    assert.ok(px.near(strong, PRIMARY), 'the most confused pair has the full colour');
    assert.equal(
      chart.alt,
      'Most confused breeds (actual → predicted): Lhasa Apso → Shih-Tzu 8, Walker Hound → English Foxhound 2.',
    );
  });

  test('training curve: both series and their first/last values in the alt text', async () => {
    const chart = await trainingCurve([
      { epoch: 2, loss: 0.9, holdoutAccuracy: 0.62 },
      { epoch: 1, loss: 1.6, holdoutAccuracy: 0.41 },
      { epoch: 3, loss: 0.5, holdoutAccuracy: 0.7 },
    ]);
    const meta = await sharp(chart.png).metadata();
    assert.deepEqual([meta.width, meta.height], [760, 380]);
    assert.equal(
      chart.alt,
      'Training curve over 3 epochs: loss 1.600 → 0.500, holdout accuracy 41.0% → 70.0% (best 70.0%).',
    );
    const px = await pixels(chart.png);
    const secondary = [0xeb, 0x45, 0x9e];
    let pink = 0;
    let blue = 0;
    for (let y = 60; y < 340; y++)
      for (let x = 64; x < 700; x++) {
        const p = px.at(x, y);
        if (px.near(p, PRIMARY, 30)) blue++;
        if (px.near(p, secondary, 30)) pink++;
      }
    assert.ok(blue > 500 && pink > 500, `loss ${blue} px, accuracy ${pink} px`);
  });

  test('before/after: bar heights proportional to the accuracies', async () => {
    const chart = await beforeAfterAccuracy({
      before: 0.4,
      after: 0.8,
      measure: 'holdout top-1 (50 photos)',
    });
    const px = await pixels(chart.png);
    const { width, height } = BEFORE_AFTER_CHART;
    assert.deepEqual([px.width, px.height], [width, height]);
    // Bar height: the run of the bar's colour from just above the axis line upwards.
    const base = BEFORE_AFTER_CHART.height - BEFORE_AFTER_CHART.bottom;
    const column = (x: number, colour: readonly number[]) => {
      let y = base - 1;
      while (y > 0 && px.near(px.at(x, y), colour)) y--;
      return base - 1 - y;
    };
    const before = column(width * 0.3, [0x66, 0x66, 0x66]);
    const afterBar = column(width * 0.7, PRIMARY);
    assert.ok(Math.abs(afterBar / before - 2) < 0.03, `${afterBar}/${before}`);
    assert.equal(
      chart.alt,
      'Accuracy before and after (holdout top-1 (50 photos)): before 40.0%, after 80.0% (+40.0 points).',
    );
  });

  test('no data: a clear "nothing to chart yet" picture, never a crash', async () => {
    const charts = await Promise.all([
      labelsPerBreed([]),
      labelsPerBreed([{ breed: 'Pug', count: 0 }]),
      confusionMatrix([]),
      trainingCurve([]),
      beforeAfterAccuracy(undefined),
      beforeAfterAccuracy({ before: Number.NaN, after: 0.5 }),
    ]);
    for (const chart of charts) {
      assert.equal(chart.empty, true);
      assert.match(chart.alt, /nothing to chart yet/);
      const px = await pixels(chart.png);
      assert.deepEqual([px.width, px.height], [480, 160]);
      let inked = 0;
      for (let y = 80; y < 110; y++) for (let x = 40; x < 440; x++) if (px.dark(px.at(x, y))) inked++;
      assert.ok(inked > 100, 'the "Nothing to chart yet" line is drawn');
    }
  });
});
