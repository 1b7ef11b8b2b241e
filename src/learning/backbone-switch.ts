/**
 * What a backbone switch trains on, read from the store: every stored photo re-embedded by the new backbone
 * (stored under its id), the resolved labels with those embeddings, and the serving backbone's embeddings of the
 * same photos, so that the evaluation gate compares each head on its own backbone's embeddings.
 */
import { readdirSync } from 'node:fs';
import type { ImageLimits } from '../images/decode.ts';
import type { ConsensusOptions } from '../storage/consensus.ts';
import type { Database } from '../storage/database.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { imageSpecOf } from '../model/model-config.ts';
import { tooFewLabels, type SplitOptions } from '../training/dataset.ts';
import type { TrainingInput } from '../training/pipeline.ts';
import { datasetFromStore } from './dataset-from-store.ts';
import { reembedStoredPhotos } from './reembed-photos.ts';

const ENTRY_SUFFIX = '.model.json';

/** The ids of the backbone entries in `dir` (models/<id>.model.json), sorted. */
export function backboneEntryIds(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(ENTRY_SUFFIX))
    .map((name) => name.slice(0, -ENTRY_SUFFIX.length))
    .sort();
}

export interface SwitchSource {
  db: Database;
  /** The serving classifier (its backbone's embeddings judge the active head). */
  serving: BreedClassifier;
  /** The new backbone with its base head (its engine embeds the stored photos). */
  target: BreedClassifier;
  limits?: ImageLimits;
  consensus?: Partial<ConsensusOptions>;
  split?: Partial<SplitOptions>;
  signal?: AbortSignal;
}

export type SwitchInput =
  { training: Omit<TrainingInput, 'activeVersion'> } | { skipped: string; labels: number };

export async function switchTrainingInput(
  source: SwitchSource,
  onEmbedded: (done: number, total: number) => void,
): Promise<SwitchInput> {
  const { db, serving, target } = source;
  const limits = source.limits ? { limits: source.limits } : {};
  const consensus = source.consensus ? { consensus: source.consensus } : {};
  await reembedStoredPhotos({
    db,
    backboneId: target.backbone.id,
    embed: (inputs) => target.embed(inputs),
    imageSpec: imageSpecOf(target.backbone.config),
    onProgress: onEmbedded,
    ...limits,
    ...(source.signal ? { signal: source.signal } : {}),
  });
  const next = await datasetFromStore(
    {
      db,
      backboneId: target.backbone.id,
      embed: (inputs) => target.embed(inputs),
      imageSpec: imageSpecOf(target.backbone.config),
      ...limits,
    },
    consensus,
  );
  if (next.labels.length === 0) return { skipped: 'there are no resolved labels yet', labels: 0 };
  const startHead = target.head;
  const shortfall = tooFewLabels(next.labels, startHead.breeds, source.split);
  if (shortfall) return { skipped: shortfall, labels: next.labels.length };
  // Normally all stored already: the serving backbone embedded these photos when they were classified.
  const current = await datasetFromStore(
    {
      db,
      backboneId: serving.backbone.id,
      embed: (inputs) => serving.embed(inputs),
      imageSpec: imageSpecOf(serving.backbone.config),
      ...limits,
    },
    { ...consensus, maxReferences: 0 },
  );
  const servingEmbeddings = Object.fromEntries(current.labels.map((l) => [l.imageId, l.embedding]));
  // A photo only one backbone could read stays out, so both heads are judged on the same photos.
  const labels = next.labels.filter((l) => servingEmbeddings[l.imageId] !== undefined);
  return {
    training: {
      activeHead: startHead,
      backboneId: target.backbone.id,
      labels,
      referenceEmbeddings: next.referenceEmbeddings,
      compareWith: { head: serving.head, embeddings: servingEmbeddings },
    },
  };
}
