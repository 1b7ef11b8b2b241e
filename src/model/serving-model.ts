/** The model a process serves, as the learning loop sees it: it builds candidates on the runtime and swaps them in. */
import type { BreedClassifier } from './classifier.ts';
import type { ClassifierRuntime } from './classifier-runtime.ts';
import type { ModelHolder } from './hot-swap.ts';

export interface ServingModel {
  readonly runtime: ClassifierRuntime;
  /** Holds the serving classifier; a promoted or rolled-back version is swapped in here. */
  readonly holder: ModelHolder<BreedClassifier>;
  /** The serving classifier's backbone (a fine-tuned one after such a version is promoted). */
  readonly backboneId: string;
  /** The tfjs backend serving runs on. */
  readonly backend: string;
}
