/** The part of opentype.js (which ships no types) that the charts use; Node loads its CommonJS build. */
declare module 'opentype.js' {
  export interface PathData {
    toPathData(options?: { decimalPlaces?: number; flipY?: boolean }): string;
  }
  export interface Glyph {
    advanceWidth?: number;
    getPath(x: number, y: number, fontSize: number): PathData;
  }
  export interface Font {
    unitsPerEm: number;
    charToGlyph(char: string): Glyph;
    getKerningValue(left: Glyph, right: Glyph): number;
  }
  const opentype: { parse(buffer: ArrayBuffer): Font };
  export default opentype;
}
