/** What every feature is built from: the ports the composition root wires (src/app/create.ts). */
import type { ModelGateway, UrlFetcher } from '../app/ports.ts';
import type { RateLimits } from '../app/rate-limits.ts';
import type { Store } from '../app/store.ts';

export interface ServiceDeps {
  store: Store;
  model: ModelGateway;
  fetcher: UrlFetcher;
  limits: RateLimits;
  /** Origins (scheme://host:port) whose loopback addresses may be fetched: the sandbox's own file host. */
  trustedLoopbackOrigins?: string[];
}
