import { CHART_COLOURS, nothingToChart, svgDocument, svgToChart, type ChartImage } from './render.ts';
import { fitText, textPath } from './text.ts';

export interface BeforeAfter {
  /** Accuracy before and after, 0..1 (e.g. the serving head and the candidate on the same holdout). */
  before: number;
  after: number;
  /** What was measured, e.g. "holdout top-1 (212 photos)". */
  measure?: string;
}

const TITLE = 'Accuracy before and after';
export const BEFORE_AFTER_CHART = { width: 420, height: 340, top: 70, bottom: 50, barWidth: 110 } as const;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Two vertical bars on a 0–100% scale; their heights are proportional to the accuracies. */
export async function beforeAfterAccuracy(data: BeforeAfter | undefined): Promise<ChartImage> {
  const valid = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
  if (!data || !valid(data.before) || !valid(data.after)) return nothingToChart(TITLE, 'no evaluation');
  const { width, height, top, bottom, barWidth } = BEFORE_AFTER_CHART;
  const plotH = height - top - bottom;
  const base = top + plotH;
  const body: string[] = [textPath(TITLE, 16, 30, { size: 20 })];
  if (data.measure)
    body.push(
      textPath(fitText(data.measure, 12, width - 32), 16, 50, { size: 12, fill: CHART_COLOURS.muted }),
    );
  body.push(`<line x1="24" y1="${base}" x2="${width - 24}" y2="${base}" stroke="${CHART_COLOURS.muted}"/>`);
  const bars: [string, number, string, number][] = [
    ['before', data.before, CHART_COLOURS.muted, width * 0.3],
    ['after', data.after, CHART_COLOURS.primary, width * 0.7],
  ];
  for (const [label, value, colour, centre] of bars) {
    const h = value * plotH;
    body.push(
      `<rect x="${centre - barWidth / 2}" y="${base - h}" width="${barWidth}" height="${h}" fill="${colour}"/>`,
      textPath(pct(value), centre, base - h - 8, { size: 15, anchor: 'middle' }),
      textPath(label, centre, base + 22, { size: 14, anchor: 'middle', fill: CHART_COLOURS.muted }),
    );
  }
  const change = data.after - data.before;
  const alt =
    `${TITLE}${data.measure ? ` (${data.measure})` : ''}: before ${pct(data.before)}, after ${pct(data.after)} ` +
    `(${change >= 0 ? '+' : '−'}${(Math.abs(change) * 100).toFixed(1)} points).`;
  return svgToChart(svgDocument(width, height, TITLE, alt, body), alt);
}
