import type { Config } from '../config.ts';
import { fetchImage, fetchOptionsFromConfig } from '../images/fetch-url.ts';
import type { UrlFetcher } from './ports.ts';

/** The SSRF-safe intake with the configured limits; loopback only when the caller vouches for the origin. */
export function createUrlFetcher(config: Config): UrlFetcher {
  const options = fetchOptionsFromConfig(config);
  return {
    async fetch(url, allowLoopback) {
      const { bytes } = await fetchImage(url, {
        ...options,
        allowLoopback: options.allowLoopback || allowLoopback,
      });
      return bytes;
    },
  };
}
