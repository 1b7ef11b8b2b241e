import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ModelConfig } from './model-config.ts';

/** The classifier's classes: synonyms[i] lists the names of output i, most common first. */
export interface ClassLabels {
  synonyms: string[][];
  /** WordNet ids in the same order, when the model config names a synsets file. */
  synsets?: string[];
}

/**
 * Finds one of the model's data files: beside model.json first (a model may ship its own), then beside
 * the model config (the committed copy, needed because the official download host has no label file).
 */
export function findModelDataFile(modelDir: string, config: ModelConfig, fileName: string): string {
  const candidates = [path.join(modelDir, fileName), path.join(path.dirname(config.configPath), fileName)];
  const found = candidates.find((f) => existsSync(f));
  if (!found) {
    throw new Error(`The model's ${fileName} is missing; looked in ${candidates.join(' and ')}.`);
  }
  return found;
}

function readLines(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export function loadClassLabels(
  modelDir: string,
  config: ModelConfig,
  expectedClasses?: number,
): ClassLabels {
  const labelsFile = findModelDataFile(modelDir, config, config.labelsFile);
  const synonyms = readLines(labelsFile).map((line) => line.split(',').map((s) => s.trim()));
  if (expectedClasses !== undefined && synonyms.length !== expectedClasses) {
    throw new Error(
      `${labelsFile} has ${synonyms.length} labels but the classifier has ${expectedClasses} outputs.`,
    );
  }
  if (!config.synsetsFile) return { synonyms };
  const synsetsFile = findModelDataFile(modelDir, config, config.synsetsFile);
  const synsets = readLines(synsetsFile);
  if (synsets.length !== synonyms.length) {
    throw new Error(`${synsetsFile} has ${synsets.length} lines but ${labelsFile} has ${synonyms.length}.`);
  }
  return { synonyms, synsets };
}
