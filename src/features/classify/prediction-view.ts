import type { StoredPrediction } from '../../app/store.ts';
import type { Classification, PredictionView } from './types.ts';

export const viewOf = (p: StoredPrediction): PredictionView => ({
  isDog: p.isDog,
  top5: p.top5,
  dogProbability: p.dogProbability,
  modelVersion: p.modelVersion,
  ...(p.lookslike ? { lookslike: p.lookslike } : {}),
});

export const classificationOf = (p: StoredPrediction, replayed: boolean): Classification => ({
  result: viewOf(p),
  imageId: p.imageId,
  predictionId: p.id,
  replayed,
});
