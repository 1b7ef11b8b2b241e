/**
 * The charts that go with /stats, /retrain (and /model switch) and /model info, as Discord attachments whose
 * description is the chart's alt text. A chart with nothing to show is left out; the text answer stays complete.
 */
import { AttachmentBuilder } from 'discord.js';
import {
  beforeAfterAccuracy,
  confusionMatrix,
  labelsPerBreed,
  trainingCurve,
  type ChartImage,
  type EpochPoint,
} from '../charts/index.ts';
import type { GuildStats } from '../features/stats/types.ts';

interface NamedChart {
  name: string;
  chart: Promise<ChartImage>;
}

async function attachments(charts: NamedChart[]): Promise<AttachmentBuilder[]> {
  const rendered = await Promise.all(charts.map(async (c) => ({ name: c.name, image: await c.chart })));
  return rendered
    .filter(({ image }) => !image.empty)
    .map(({ name, image }) => new AttachmentBuilder(image.png, { name, description: image.alt }));
}

/** Labels per breed, and the server's most-confused breeds (what people said against the bot's top guess). */
export function statsCharts(stats: GuildStats): Promise<AttachmentBuilder[]> {
  return attachments([
    { name: 'labels-per-breed.png', chart: labelsPerBreed(stats.labelsPerBreed) },
    {
      name: 'confusion-matrix.png',
      chart: confusionMatrix(stats.mostConfused.map((c) => [c.labelled, c.predicted, c.count] as const)),
    },
  ]);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The per-epoch figures a version's metrics keep (`curve`); epochs without a holdout accuracy are left out. */
export function epochPoints(metrics: Record<string, unknown>): EpochPoint[] {
  if (!Array.isArray(metrics.curve)) return [];
  return (metrics.curve as unknown[]).flatMap((row) => {
    const { epoch, loss, holdoutAccuracy } = (row ?? {}) as Record<string, unknown>;
    return isNumber(epoch) && isNumber(loss) && isNumber(holdoutAccuracy)
      ? [{ epoch, loss, holdoutAccuracy }]
      : [];
  });
}

/**
 * The training curve and the serving head's holdout top-1 against the candidate's, from a version's metrics as
 * the learning loop records them (`top1`, `before.top1`, `holdoutImages`, `curve`).
 */
export function trainingCharts(
  metrics: Record<string, unknown> | null | undefined,
): Promise<AttachmentBuilder[]> {
  if (!metrics) return Promise.resolve([]);
  const before = (metrics.before as { top1?: unknown } | undefined)?.top1;
  const after = metrics.top1;
  const photos = metrics.holdoutImages;
  return attachments([
    { name: 'training-curve.png', chart: trainingCurve(epochPoints(metrics)) },
    {
      name: 'before-after.png',
      chart: beforeAfterAccuracy(
        isNumber(before) && isNumber(after)
          ? {
              before,
              after,
              measure: `holdout top-1${isNumber(photos) ? ` (${photos} photo${photos === 1 ? '' : 's'})` : ''}`,
            }
          : undefined,
      ),
    },
  ]);
}
