import { readFile, stat } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { fetchImage, fetchOptionsFromConfig } from '../images/index.ts';

export const isHttpUrl = (arg: string) => /^https?:\/\//i.test(arg);

/**
 * The bytes of a CLI argument: a local file, or an http(s) URL fetched through the same guarded intake the
 * bot uses for user links (no private addresses, size and time limits, re-checked redirects).
 */
export async function readImageArg(arg: string, config: Config): Promise<Uint8Array> {
  if (isHttpUrl(arg)) return (await fetchImage(arg, fetchOptionsFromConfig(config))).bytes;
  const info = await stat(arg).catch(() => undefined);
  if (!info?.isFile()) throw new Error(`${arg}: no such file`);
  if (info.size > config.IMAGE_MAX_BYTES) {
    throw new Error(
      `${arg}: ${info.size} bytes is over the limit of ${config.IMAGE_MAX_BYTES} (IMAGE_MAX_BYTES)`,
    );
  }
  return new Uint8Array(await readFile(arg));
}
