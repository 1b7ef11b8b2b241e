import {
  CHART_COLOURS,
  niceStep,
  nothingToChart,
  svgDocument,
  svgToChart,
  type ChartImage,
} from './render.ts';
import { textPath } from './text.ts';

export interface EpochPoint {
  epoch: number;
  loss: number;
  /** Holdout accuracy, 0..1. */
  holdoutAccuracy: number;
}

const TITLE = 'Training curve';
export const CURVE_CHART = { width: 760, height: 380, left: 64, right: 64, top: 64, bottom: 48 } as const;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Loss (left axis) and holdout accuracy (right axis, 0–100%) per epoch, as two lines with dots. */
export async function trainingCurve(epochs: readonly EpochPoint[]): Promise<ChartImage> {
  const points = epochs
    .filter((e) => [e.epoch, e.loss, e.holdoutAccuracy].every(Number.isFinite))
    .sort((a, b) => a.epoch - b.epoch);
  if (points.length === 0) return nothingToChart(TITLE, 'no epochs');
  const { width, height, left, right, top, bottom } = CURVE_CHART;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const first = points[0]!.epoch;
  const last = points.at(-1)!.epoch;
  const x = (epoch: number) =>
    left + (last === first ? plotW / 2 : ((epoch - first) / (last - first)) * plotW);
  const lossStep = niceStep(Math.max(...points.map((p) => p.loss)), 4);
  const lossMax = Math.ceil(Math.max(...points.map((p) => p.loss)) / lossStep) * lossStep || lossStep;
  const yLoss = (loss: number) => top + plotH - (Math.max(0, loss) / lossMax) * plotH;
  const yAcc = (acc: number) => top + plotH - Math.min(1, Math.max(0, acc)) * plotH;

  const body: string[] = [textPath(TITLE, 16, 30, { size: 20 })];
  for (let v = 0; v <= lossMax + 1e-9; v += lossStep) {
    const y = yLoss(v);
    body.push(
      `<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="${CHART_COLOURS.grid}"/>`,
      textPath(+v.toFixed(3) + '', left - 6, y + 4, { size: 12, anchor: 'end', fill: CHART_COLOURS.primary }),
    );
  }
  for (let a = 0; a <= 1.0001; a += 0.25) {
    body.push(
      textPath(`${Math.round(a * 100)}%`, left + plotW + 6, yAcc(a) + 4, {
        size: 12,
        fill: CHART_COLOURS.secondary,
      }),
    );
  }
  const tickEvery = Math.max(1, Math.ceil(points.length / 10));
  points.forEach((p, i) => {
    if (i % tickEvery === 0 || i === points.length - 1)
      body.push(
        textPath(String(p.epoch), x(p.epoch), top + plotH + 18, {
          size: 12,
          anchor: 'middle',
          fill: CHART_COLOURS.muted,
        }),
      );
  });
  body.push(
    textPath('epoch', left + plotW / 2, height - 8, {
      size: 12,
      anchor: 'middle',
      fill: CHART_COLOURS.muted,
    }),
  );
  const series = (y: (p: EpochPoint) => number, colour: string) => [
    `<polyline fill="none" stroke="${colour}" stroke-width="3" points="${points.map((p) => `${x(p.epoch)},${y(p)}`).join(' ')}"/>`,
    ...points.map((p) => `<circle cx="${x(p.epoch)}" cy="${y(p)}" r="4" fill="${colour}"/>`),
  ];
  body.push(
    ...series((p) => yLoss(p.loss), CHART_COLOURS.primary),
    ...series((p) => yAcc(p.holdoutAccuracy), CHART_COLOURS.secondary),
  );
  body.push(
    `<rect x="${width - 300}" y="18" width="14" height="14" fill="${CHART_COLOURS.primary}"/>`,
    textPath('loss', width - 280, 30, { size: 13 }),
    `<rect x="${width - 220}" y="18" width="14" height="14" fill="${CHART_COLOURS.secondary}"/>`,
    textPath('holdout accuracy', width - 200, 30, { size: 13 }),
  );
  const firstP = points[0]!;
  const lastP = points.at(-1)!;
  const alt =
    `${TITLE} over ${points.length} epoch${points.length === 1 ? '' : 's'}: loss ${firstP.loss.toFixed(3)} → ${lastP.loss.toFixed(3)}, ` +
    `holdout accuracy ${pct(firstP.holdoutAccuracy)} → ${pct(lastP.holdoutAccuracy)} ` +
    `(best ${pct(Math.max(...points.map((p) => p.holdoutAccuracy)))}).`;
  return svgToChart(svgDocument(width, height, TITLE, alt, body), alt);
}
