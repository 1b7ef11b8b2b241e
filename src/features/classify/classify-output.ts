/**
 * The JSON one classified input becomes: what `npm run classify -- --json` prints per input and what the HTTP
 * API's POST /v1/classify answers. One builder, so the two cannot drift apart.
 */
import type { PredictionView } from './types.ts';

/** One classified input; the shape is part of the CLI's and the HTTP API's contract. */
export interface ClassifyOutput {
  input: string;
  isDog: boolean;
  top5: { breed: string; probability: number }[];
  lookslike?: { label: string; probability: number };
  modelVersion: string;
  error?: string;
}

/** `view` may be a whole ClassifyResult: only the contract's fields are copied (no embedding, no dog share). */
export function classifyOutput(input: string, view: PredictionView): ClassifyOutput {
  return {
    input,
    isDog: view.isDog,
    top5: view.top5.map(({ breed, probability }) => ({ breed, probability })),
    ...(view.lookslike ? { lookslike: view.lookslike } : {}),
    modelVersion: view.modelVersion,
  };
}
