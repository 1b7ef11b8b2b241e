import type { ServiceDeps } from '../deps.ts';
import type { ModelInfo } from './types.ts';

/** The serving model and its latest 20 versions. */
export async function modelInfo({ model, store }: ServiceDeps): Promise<ModelInfo> {
  return {
    activeVersion: model.activeVersion(),
    backend: model.backend,
    detector: model.detectorEngine,
    backboneId: model.backboneId,
    breeds: model.breedCount(),
    history: await store.modelHistory(20),
  };
}
