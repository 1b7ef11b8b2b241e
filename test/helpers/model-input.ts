/**
 * Test helper: photo file -> ModelInput with sharp, the way the backbone's config asks (centre-crop
 * "cover" resize, RGB, p * scale + offset). Used by the model tests so they do not depend on src/images.
 */
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { ImageSpec } from '../../src/model/model-config.ts';
import type { ModelInput } from '../../src/model/types.ts';

export async function photoToModelInput(file: string, spec: ImageSpec): Promise<ModelInput> {
  const { data } = await sharp(await readFile(file))
    .rotate()
    .resize(spec.size, spec.size, { fit: 'cover', position: 'centre' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! * spec.scale + spec.offset;
  return { data: out, size: spec.size };
}
