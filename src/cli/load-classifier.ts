import type { Config } from '../config.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { classifierForVersion, loadClassifierRuntime, type ClassifierRuntime } from '../model/index.ts';

/** Loads the model runtime and the classifier a `--model <version|dir>` option names (the base head without one). */
export async function loadCliClassifier(
  config: Config,
  modelVersion: string | undefined,
): Promise<{ runtime: ClassifierRuntime; classifier: BreedClassifier }> {
  const runtime = await loadClassifierRuntime(config);
  const classifier = modelVersion
    ? await classifierForVersion(runtime, modelVersion, config.modelsDir)
    : runtime.classifier;
  return { runtime, classifier };
}
