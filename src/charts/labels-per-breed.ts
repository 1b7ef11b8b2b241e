import {
  CHART_COLOURS,
  listForAlt,
  niceStep,
  nothingToChart,
  svgDocument,
  svgToChart,
  type ChartImage,
} from './render.ts';
import { fitText, textPath } from './text.ts';

export interface BreedCount {
  breed: string;
  count: number;
}

const TITLE = 'Labels per breed';
export const LABELS_CHART = { width: 800, rowHeight: 26, top: 56, labelWidth: 200, maxRows: 20 } as const;

/** Horizontal bars, one per breed, most labels first; the bar lengths are proportional to the counts. */
export async function labelsPerBreed(counts: readonly BreedCount[]): Promise<ChartImage> {
  const rows = counts
    .filter((c) => Number.isFinite(c.count) && c.count > 0)
    .sort((a, b) => b.count - a.count || a.breed.localeCompare(b.breed));
  if (rows.length === 0) return nothingToChart(TITLE, 'no labels');
  const shown = rows.slice(0, LABELS_CHART.maxRows);
  const { width, rowHeight, top, labelWidth } = LABELS_CHART;
  const left = labelWidth + 16;
  const barMax = width - left - 60;
  const height = top + shown.length * rowHeight + 40;
  const max = shown[0]!.count;
  const step = niceStep(max);
  const scale = barMax / max;

  const body: string[] = [textPath(TITLE, 16, 32, { size: 20, fill: CHART_COLOURS.text })];
  for (let v = step; v <= max; v += step) {
    const x = left + v * scale;
    body.push(
      `<line x1="${x}" y1="${top - 4}" x2="${x}" y2="${top + shown.length * rowHeight}" stroke="${CHART_COLOURS.grid}"/>`,
      textPath(String(v), x, top + shown.length * rowHeight + 18, {
        size: 12,
        anchor: 'middle',
        fill: CHART_COLOURS.muted,
      }),
    );
  }
  shown.forEach((row, i) => {
    const y = top + i * rowHeight;
    const barWidth = row.count * scale;
    body.push(
      textPath(fitText(row.breed, 14, labelWidth), left - 8, y + rowHeight * 0.68, {
        size: 14,
        anchor: 'end',
      }),
      `<rect x="${left}" y="${y + 3}" width="${barWidth}" height="${rowHeight - 6}" fill="${CHART_COLOURS.primary}"/>`,
      textPath(String(row.count), left + barWidth + 6, y + rowHeight * 0.68, {
        size: 13,
        fill: CHART_COLOURS.muted,
      }),
    );
  });
  if (rows.length > shown.length) {
    body.push(
      textPath(`and ${rows.length - shown.length} more breeds`, width - 16, 32, {
        size: 13,
        anchor: 'end',
        fill: CHART_COLOURS.muted,
      }),
    );
  }
  const alt = `${TITLE}: ${listForAlt(rows.map((r) => `${r.breed} ${r.count}`))}.`;
  return svgToChart(svgDocument(width, height, TITLE, alt, body), alt);
}
