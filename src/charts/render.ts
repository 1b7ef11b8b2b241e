import sharp from 'sharp';
import { escapeXml, textPath } from './text.ts';

/** A rendered chart: the PNG and the alt text that says what it shows in words. */
export interface ChartImage {
  png: Buffer;
  alt: string;
  /** True when there was no data: the PNG then says "Nothing to chart yet". */
  empty: boolean;
}

export const CHART_COLOURS = {
  background: '#ffffff',
  text: '#222222',
  muted: '#666666',
  grid: '#e3e3e3',
  primary: '#5865f2',
  secondary: '#eb459e',
} as const;

/** Wraps chart parts in an SVG document whose <title> and <desc> carry the (escaped) title and alt text. */
export function svgDocument(
  width: number,
  height: number,
  title: string,
  alt: string,
  body: string[],
): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(alt)}</desc>`,
    `<rect width="${width}" height="${height}" fill="${CHART_COLOURS.background}"/>`,
    ...body,
    '</svg>',
  ].join('\n');
}

export async function svgToChart(svg: string, alt: string, empty = false): Promise<ChartImage> {
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  return { png, alt, empty };
}

/** The picture for a chart with no data yet, and alt text that says so. */
export function nothingToChart(title: string, why: string): Promise<ChartImage> {
  const alt = `${title}: nothing to chart yet (${why}).`;
  const svg = svgDocument(480, 160, title, alt, [
    textPath(title, 240, 60, { size: 20, anchor: 'middle', fill: CHART_COLOURS.text }),
    textPath(`Nothing to chart yet: ${why}`, 240, 100, {
      size: 15,
      anchor: 'middle',
      fill: CHART_COLOURS.muted,
    }),
  ]);
  return svgToChart(svg, alt, true);
}

/** "Beagle 12, Pug 7, … and 3 more" for alt texts, which Discord caps at 1,024 characters. */
export function listForAlt(items: string[], maxLength = 900): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const next = out ? `${out}, ${items[i]}` : items[i]!;
    if (next.length > maxLength) return `${out}, and ${items.length - i} more`;
    out = next;
  }
  return out;
}

/** A round step for an axis from 0 to max with about `ticks` lines. */
export function niceStep(max: number, ticks = 5): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  return step;
}
