/**
 * The serving model behind one async door: bytes → (decode on sharp's threads) → lease the active classifier
 * from the ModelHolder → classify. The runtime's engine micro-batches concurrent embeddings off the main
 * thread, so requests go in concurrently and the gateway's heartbeats keep flowing.
 */
import type { Config } from '../config.ts';
import { classifyEachDog, loadConfiguredDetector } from '../detection/index.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../images/decode.ts';
import { log } from '../log.ts';
import { explainPhoto } from '../model/explain/explain-photo.ts';
import { ModelHolder } from '../model/hot-swap.ts';
import {
  BusyError,
  breedNames,
  classifierForVersion,
  entryOfActiveVersion,
  imageSpecOf,
  loadClassifierRuntime,
} from '../model/index.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import type { ServingModel } from '../model/serving-model.ts';
import { UserFacingError } from '../refusals.ts';
import type { ModelGateway } from './ports.ts';

/** The gateway the services call, and the runtime and holder the learning loop builds on and swaps into. */
export interface LoadedModel extends ModelGateway, ServingModel {
  /** Readable breed names and aliases of the base head, to seed the database. */
  baseBreeds(): { name: string; aliases: string[] }[];
}

type ModelConfigSubset = Pick<
  Config,
  | 'BASE_MODEL'
  | 'BASE_MODEL_MIRROR'
  | 'TF_BACKEND'
  | 'modelsDir'
  | 'baseModelConfigPath'
  | 'IMAGE_MAX_BYTES'
  | 'IMAGE_MAX_PIXELS'
> &
  Partial<Pick<Config, 'DETECTOR' | 'DETECTOR_ENGINE'>>;

const busy = (cause: BusyError) =>
  new UserFacingError(
    'busy',
    'I have too many photos in the queue right now. Please try again in a few seconds.',
    { cause },
  );

export async function loadModelGateway(
  config: ModelConfigSubset,
  activeVersion: string | null,
): Promise<LoadedModel> {
  // The active version's backbone decides what this process loads, whatever BACKBONE says (a backbone switch).
  const entry = await entryOfActiveVersion(config, activeVersion);
  if (entry) log.info({ entry, activeVersion }, 'loading the backbone the active version was trained on');
  const { BASE_MODEL: _source, BASE_MODEL_MIRROR: _mirror, ...ownFiles } = config;
  const runtime = await loadClassifierRuntime(entry ? { ...ownFiles, baseModelConfigPath: entry } : config);
  // In its own thread, on the runtime's backend; a detector that cannot load must not leak the runtime.
  const detector = await loadConfiguredDetector(
    {
      DETECTOR: config.DETECTOR ?? false,
      DETECTOR_ENGINE: config.DETECTOR_ENGINE ?? 'auto',
      modelsDir: config.modelsDir,
    },
    { worker: { backend: runtime.backend.name } },
  ).catch(async (err: unknown) => {
    await runtime.close();
    throw err;
  });
  let initial = runtime.classifier;
  if (activeVersion) {
    try {
      initial = await classifierForVersion(runtime, activeVersion, config.modelsDir);
    } catch (err) {
      // Serving the base model beats not serving: the registry problem is logged for the operator.
      log.error(
        { err, activeVersion },
        'the active model version could not be loaded; serving the base model',
      );
    }
  }
  const holder = new ModelHolder<BreedClassifier>(initial, initial.modelVersion, {
    // A head holds no tensors and the base backbone is freed by runtime.close(); a classifier on a fine-tuned
    // backbone frees that backbone and its engine when the last classifier sharing them is released.
    dispose: (classifier) => classifier.release(),
  });
  const limits = imageLimitsFromConfig(config);

  return {
    runtime,
    holder,
    backend: runtime.servingBackend,
    detectorEngine: detector ? (detector.engine?.name ?? 'unknown') : null,
    get backboneId() {
      return holder.model.backbone.id;
    },
    activeVersion: () => holder.version,
    breedCount: () => holder.model.head.breeds.length,
    baseBreeds: () => {
      const { labels } = runtime.backbone.classifier;
      return breedNames(labels.synonyms, runtime.backbone.config.dogClasses, labels.synsets).map((b) => ({
        name: b.name,
        aliases: b.aliases,
      }));
    },
    async classifyBytes(bytes) {
      let prepared: Awaited<ReturnType<typeof prepareModelInput>> | undefined;
      const result = await holder
        .use(async (classifier) => {
          // Each backbone has its own input normalisation (the serving one may come from a backbone switch).
          prepared = await prepareModelInput(bytes, imageSpecOf(classifier.backbone.config), limits);
          return classifier.classify(prepared.input);
        })
        .catch((err: unknown) => {
          throw err instanceof BusyError ? busy(err) : err;
        });
      const { sha256, width, height, format } = prepared!;
      return { result, image: { sha256, width, height, format } };
    },
    ...(detector
      ? {
          classifyEachDog: (bytes: Uint8Array) =>
            holder
              .use((classifier) => classifyEachDog(bytes, detector, classifier, limits))
              .catch((err: unknown) => {
                if (err instanceof BusyError) throw busy(err);
                // The photo's own answer stands without the per-dog one.
                log.warn({ err }, 'dog detection failed; answering for the whole photo');
                return [];
              }),
        }
      : {}),
    explainBytes(bytes) {
      return holder
        .use((classifier) => explainPhoto(classifier, bytes, { limits }))
        .catch((err: unknown) => {
          throw err instanceof BusyError ? busy(err) : err;
        });
    },
    async dispose() {
      await holder.close();
      await detector?.dispose();
      await runtime.close();
    },
  };
}
