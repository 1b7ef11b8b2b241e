/**
 * Naming of fine-tuned backbones. A version trained with the optional second stage (src/training/fine-tune)
 * carries its own backbone in `versions/<version>/backbone/` (a complete tfjs layers model); its id is the base
 * backbone's id plus the version, so embeddings made by it are never mixed with the base backbone's.
 */
import path from 'node:path';
import { assertVersionId, VERSION_BACKBONE_FOLDER, versionDir } from './registry.ts';

const SEPARATOR = '+ft-';

/** e.g. "mobilenet_v1_0.75_224+ft-v20261123-191500-ab12". */
export function fineTunedBackboneId(baseBackboneId: string, version: string): string {
  assertVersionId(version);
  return `${baseBackboneId}${SEPARATOR}${version}`;
}

/** The base backbone id and, for a fine-tuned backbone, the version whose folder holds it. */
export function parseBackboneId(backboneId: string): { baseId: string; version: string | null } {
  const at = backboneId.lastIndexOf(SEPARATOR);
  if (at < 0) return { baseId: backboneId, version: null };
  const version = backboneId.slice(at + SEPARATOR.length);
  assertVersionId(version);
  return { baseId: backboneId.slice(0, at), version };
}

/** Where the fine-tuned backbone of `version` lives. */
export function fineTunedBackboneDir(modelsDir: string, version: string): string {
  return path.join(versionDir(modelsDir, version), VERSION_BACKBONE_FOLDER);
}
