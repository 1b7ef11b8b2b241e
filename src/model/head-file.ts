import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { assertHeadShape } from './head-math.ts';
import type { BreedHead } from './types.ts';

/**
 * A breed-head version on disk (written by ./registry.ts): a folder with
 *   head.json  { format: "breedbot-head/1", version, backboneId, inputDim, breeds, ...extra metadata }
 *   head.bin   little-endian float32: kernel (inputDim x breeds.length, row-major) then bias (breeds.length)
 */
export const HEAD_FORMAT = 'breedbot-head/1';

const headJsonSchema = z
  .object({
    format: z.literal(HEAD_FORMAT).optional(),
    version: z.string().min(1),
    backboneId: z.string().min(1),
    inputDim: z.number().int().positive(),
    breeds: z.array(z.string().min(1)).min(1),
  })
  .passthrough();

export type HeadMetadata = z.infer<typeof headJsonSchema>;

export interface HeadVersion {
  head: BreedHead;
  version: string;
  backboneId: string;
  metadata: HeadMetadata;
  dir: string;
}

export async function readHeadFiles(dir: string): Promise<HeadVersion> {
  const fail = (what: string): never => {
    throw new Error(`The head version in ${dir} is unusable: ${what}.`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path.join(dir, 'head.json'), 'utf8'));
  } catch (err) {
    return fail(`head.json cannot be read (${(err as Error).message})`);
  }
  const parsed = headJsonSchema.safeParse(raw);
  if (!parsed.success)
    return fail(
      `head.json: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
    );
  const meta = parsed.data;
  const k = meta.breeds.length;
  const expectedBytes = (meta.inputDim * k + k) * 4;
  let bytes: Buffer;
  try {
    bytes = await readFile(path.join(dir, 'head.bin'));
  } catch (err) {
    return fail(`head.bin cannot be read (${(err as Error).message})`);
  }
  if (bytes.byteLength !== expectedBytes)
    fail(`head.bin has ${bytes.byteLength} bytes, expected ${expectedBytes}`);
  // Copy into an aligned buffer: a Buffer from readFile may start at any offset of a shared pool.
  const all = new Float32Array(new Uint8Array(bytes).buffer);
  const head: BreedHead = {
    breeds: meta.breeds,
    inputDim: meta.inputDim,
    kernel: all.slice(0, meta.inputDim * k),
    bias: all.slice(meta.inputDim * k),
  };
  assertHeadShape(head);
  return { head, version: meta.version, backboneId: meta.backboneId, metadata: meta, dir };
}
