/** Charts as PNG with alt text: SVG drawn here (text as glyph paths) and rendered by sharp's librsvg. */
export type { ChartImage } from './render.ts';
export { labelsPerBreed, type BreedCount } from './labels-per-breed.ts';
export { confusionMatrix, type Confusion } from './confusion-matrix.ts';
export { trainingCurve, type EpochPoint } from './training-curve.ts';
export { beforeAfterAccuracy, type BeforeAfter } from './before-after.ts';
