import {
  CHART_COLOURS,
  listForAlt,
  nothingToChart,
  svgDocument,
  svgToChart,
  type ChartImage,
} from './render.ts';
import { fitText, textPath, textWidth } from './text.ts';

/** [actual, predicted, count], as EvalReport.mostConfused has them. */
export type Confusion = readonly [actual: string, predicted: string, count: number];

const TITLE = 'Most confused breeds';
export const CONFUSION_CHART = { cell: 56, labelWidth: 170, headerHeight: 150, maxBreeds: 8 } as const;

/** Blends white into the chart's primary colour: 0 is white, 1 the full colour. */
function heat(share: number): string {
  const [r, g, b] = [0x58, 0x65, 0xf2];
  const mix = (c: number) => Math.round(255 + (c - 255) * Math.min(1, Math.max(0, share)));
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/**
 * A heat grid of the breeds that are confused most (actual breed per row, predicted per column), with the count
 * in each cell. `correct` (photos named right, per breed) fills the diagonal when given.
 */
export async function confusionMatrix(
  confusions: readonly Confusion[],
  options: { correct?: Readonly<Record<string, number>>; maxBreeds?: number } = {},
): Promise<ChartImage> {
  const pairs = confusions
    .filter(([a, p, n]) => a !== p && Number.isFinite(n) && n > 0)
    .sort((x, y) => y[2] - x[2] || x[0].localeCompare(y[0]) || x[1].localeCompare(y[1]));
  if (pairs.length === 0) return nothingToChart(TITLE, 'no confused breeds');
  const maxBreeds = options.maxBreeds ?? CONFUSION_CHART.maxBreeds;
  const breeds: string[] = [];
  const shownPairs: Confusion[] = [];
  for (const pair of pairs) {
    const added = [pair[0], pair[1]].filter((b) => !breeds.includes(b));
    if (breeds.length + added.length > maxBreeds) continue;
    breeds.push(...added);
    shownPairs.push(pair);
  }
  const count = new Map(shownPairs.map(([a, p, n]) => [`${a}\u0000${p}`, n]));
  const max = Math.max(...shownPairs.map((p) => p[2]));
  const { cell, labelWidth, headerHeight } = CONFUSION_CHART;
  const left = labelWidth + 16;
  const top = headerHeight;
  const labels = breeds.map((b) => fitText(b, 13, labelWidth));
  // Column labels lean right at 45°: the last one needs room past the grid.
  const overhang = Math.max(...labels.map((l) => textWidth(l, 13))) * Math.SQRT1_2 - cell * 0.45;
  const width = left + breeds.length * cell + Math.max(24, Math.ceil(overhang) + 16);
  const height = top + breeds.length * cell + 44;

  const body: string[] = [
    textPath(TITLE, 16, 30, { size: 20, fill: CHART_COLOURS.text }),
    textPath('rows: actual breed · columns: predicted', 16, 52, { size: 12, fill: CHART_COLOURS.muted }),
  ];
  labels.forEach((label, i) => {
    body.push(textPath(label, left - 8, top + i * cell + cell * 0.58, { size: 13, anchor: 'end' }));
    const x = left + i * cell + cell * 0.55;
    body.push(textPath(label, x, top - 8, { size: 13, rotate: -45 }));
  });
  breeds.forEach((actual, row) =>
    breeds.forEach((predicted, col) => {
      const x = left + col * cell;
      const y = top + row * cell;
      const diagonal = row === col;
      const n = diagonal ? options.correct?.[actual] : count.get(`${actual}\u0000${predicted}`);
      const share = n ? n / max : 0;
      const fill = diagonal ? (n ? '#d7f0dd' : '#f3f3f3') : heat(share);
      body.push(`<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" fill="${fill}"/>`);
      if (n) {
        const textFill = !diagonal && share > 0.55 ? '#ffffff' : CHART_COLOURS.text;
        body.push(
          textPath(String(n), x + cell / 2 - 1, y + cell * 0.6, {
            size: 15,
            anchor: 'middle',
            fill: textFill,
          }),
        );
      }
    }),
  );
  const alt = `${TITLE} (actual → predicted): ${listForAlt(shownPairs.map(([a, p, n]) => `${a} → ${p} ${n}`))}.`;
  return svgToChart(svgDocument(width, height, TITLE, alt, body), alt);
}
