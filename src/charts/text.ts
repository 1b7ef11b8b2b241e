/**
 * Text for charts, drawn as SVG paths from DejaVu Sans (the dejavu-fonts-ttf package) through opentype.js, so a
 * chart looks the same on every machine: librsvg's own <text> needs fontconfig and installed fonts, which a
 * container often lacks (then every label silently renders as nothing).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import opentype, { type Font, type Glyph } from 'opentype.js';

let font: Font | undefined;
function chartFont(): Font {
  if (!font) {
    const file = createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
    const bytes = readFileSync(file);
    font = opentype.parse(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  }
  return font;
}

/**
 * Glyphs laid out one by one with the font's advances and kerning. opentype.js's own shaping (getPath) throws on
 * DejaVu's contextual `ccmp` lookups, and chart labels need no shaping beyond this.
 */
function layout(text: string, size: number) {
  const f = chartFont();
  const scale = size / f.unitsPerEm;
  let x = 0;
  let previous: Glyph | undefined;
  const placed = [...text].map((char) => {
    const glyph = f.charToGlyph(char);
    if (previous) x += f.getKerningValue(previous, glyph) * scale;
    const at = x;
    x += (glyph.advanceWidth ?? 0) * scale;
    previous = glyph;
    return { glyph, x: at };
  });
  return { placed, width: x };
}

export const textWidth = (text: string, size: number) => layout(text, size).width;

/** `text` shortened with an ellipsis until it fits `maxWidth` pixels at `size`. */
export function fitText(text: string, size: number, maxWidth: number): string {
  if (textWidth(text, size) <= maxWidth) return text;
  const chars = [...text];
  let keep = chars.length;
  while (keep > 0 && textWidth(chars.slice(0, keep).join('').trimEnd() + '…', size) > maxWidth) keep--;
  return keep > 0 ? chars.slice(0, keep).join('').trimEnd() + '…' : '';
}

export type Anchor = 'start' | 'middle' | 'end';

/** One line of text as an SVG path; `y` is the baseline. The path data is digits and letters only. */
export function textPath(
  text: string,
  x: number,
  y: number,
  options: { size: number; anchor?: Anchor; fill?: string; rotate?: number },
): string {
  const { placed, width } = layout(text, options.size);
  const left = options.anchor === 'middle' ? x - width / 2 : options.anchor === 'end' ? x - width : x;
  const d = placed
    .map((p) => p.glyph.getPath(left + p.x, y, options.size).toPathData({ decimalPlaces: 1, flipY: false }))
    .join('');
  if (!d) return '';
  const transform = options.rotate ? ` transform="rotate(${options.rotate} ${x} ${y})"` : '';
  return `<path d="${d}" fill="${options.fill ?? '#222'}"${transform}/>`;
}

/** Escapes text for SVG element content and attribute values. */
export const escapeXml = (text: string) =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
