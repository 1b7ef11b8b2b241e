/**
 * Fetches an image from a user-supplied URL without letting the user reach private networks (SSRF).
 *
 * Each hop: parse with the WHATWG URL parser (which already turns 2130706433, 0x7f000001, 0177.0.0.1 and
 * 127.1 into 127.0.0.1), allow http/https only, resolve the host (all addresses), refuse if any address is
 * not public, then connect through an undici Agent whose `connect.lookup` hands back exactly the addresses
 * that were checked: the socket never asks DNS again, so a rebinding answer cannot slip in. Redirects are
 * followed by hand (at most maxRedirects), each one checked like the first URL. One deadline covers the
 * whole exchange, slow-dripped bodies included, and reading stops as soon as the byte limit is passed.
 *
 * Why not a ready-made filter: request-filtering-agent and ssrf-req-filter wrap node's http.Agent (not the
 * undici client installed here), check IP-literal hosts only after the socket has connected, and take no
 * injectable resolver, so "refuse before connecting" could not be tested without real DNS. ipaddr.js
 * (maintained, installed) does the range classification; the rest is the small code below.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request } from 'undici';
import type { Config } from '../config.ts';
import { excerpt, ImageRejectedError, UrlRefusedError } from './errors.ts';
import { isIpLiteral, judgeAddress, type AddressPolicy } from './address-policy.ts';
import { requireImageFormat } from './sniff.ts';
import { MAX_URL_LENGTH } from '../limits.ts';

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface FetchImageOptions {
  maxBytes: number;
  /** One deadline for the whole fetch: DNS, connects, redirects and the body. */
  timeoutMs: number;
  maxRedirects?: number;
  /** Tests and the local sandbox only: lets exactly 127.0.0.0/8 and ::1 through. */
  allowLoopback?: boolean;
  /** DNS used to find the addresses to check (and then to connect to). Defaults to the system resolver. */
  resolve?: Resolver;
  signal?: AbortSignal;
}

export interface FetchedImage {
  bytes: Uint8Array;
  contentType?: string;
  finalUrl: string;
}

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export const fetchOptionsFromConfig = (config: Config): FetchImageOptions => ({
  maxBytes: config.IMAGE_MAX_BYTES,
  timeoutMs: config.FETCH_TIMEOUT_MS,
  maxRedirects: config.FETCH_MAX_REDIRECTS,
  allowLoopback: config.FETCH_ALLOW_LOOPBACK,
});

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function parseHttpUrl(input: string | URL, base?: URL): URL {
  const text = String(input).trim();
  if (text.length > MAX_URL_LENGTH) throw new UrlRefusedError('bad_url', { url: text });
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new UrlRefusedError('bad_url', { url: text });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UrlRefusedError('bad_scheme', { reason: `scheme ${excerpt(url.protocol, 20)}` });
  }
  if (url.username || url.password) throw new UrlRefusedError('bad_url', { reason: 'credentials in URL' });
  if (!url.hostname) throw new UrlRefusedError('bad_url', { url: text });
  return url;
}

/** The addresses a URL's host stands for, all checked; throws UrlRefusedError otherwise. */
async function checkedAddresses(
  url: URL,
  policy: AddressPolicy,
  resolve: Resolver,
): Promise<LookupAddress[]> {
  const host = url.hostname;
  if (isIpLiteral(host)) {
    const bare = host.replace(/^\[|\]$/g, '');
    const verdict = judgeAddress(bare, policy);
    if (!verdict.allowed) throw new UrlRefusedError('private_address', { reason: verdict.range });
    return [{ address: bare, family: isIP(bare) }];
  }
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (error) {
    throw new UrlRefusedError('dns_failed', { reason: excerpt(host) }, { cause: error });
  }
  if (addresses.length === 0) throw new UrlRefusedError('dns_failed', { reason: excerpt(host) });
  for (const { address } of addresses) {
    const verdict = judgeAddress(address, policy);
    // One forbidden address refuses the host: the OS might pick any of them.
    if (!verdict.allowed)
      throw new UrlRefusedError('private_address', { reason: `${excerpt(host)}: ${verdict.range}` });
  }
  return addresses;
}

/** A net `lookup` that only answers from addresses checked beforehand; unknown hosts fail closed. */
function pinnedLookup(pins: Map<string, LookupAddress[]>): LookupFunction {
  return (hostname, options, callback) => {
    const addresses = pins.get(hostname);
    if (!addresses?.length) {
      const error = Object.assign(new Error(`refusing unchecked host ${hostname}`), { code: 'ENOTFOUND' });
      callback(error, '', 0);
      return;
    }
    const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
    const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
    if (options.all) {
      (callback as unknown as (err: null, all: LookupAddress[]) => void)(null, usable);
      return;
    }
    const first = usable[0];
    if (!first) callback(Object.assign(new Error('no address of that family'), { code: 'ENOTFOUND' }), '', 0);
    else callback(null, first.address, first.family);
  };
}

type Body = AsyncIterable<Uint8Array> & {
  destroy(err?: Error): unknown;
  on(event: 'error', f: () => void): unknown;
};

/** Drops a body we will not read. undici reports a destroyed, unread body as an 'error' event: swallow it. */
function discard(body: Body) {
  body.on('error', () => {});
  body.destroy();
}

async function readLimitedBody(body: Body, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  let sniffed = false;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      discard(body);
      throw new UrlRefusedError('too_many_bytes', { limit: maxBytes });
    }
    chunks.push(chunk);
    // Give up early on an HTML page or other non-image instead of downloading all of it.
    if (!sniffed && total >= 64) {
      sniffed = true;
      assertImage(Buffer.concat(chunks), body);
    }
  }
  return Buffer.concat(chunks, total);
}

function assertImage(bytes: Uint8Array, body?: Body) {
  try {
    requireImageFormat(bytes);
  } catch (error) {
    if (!(error instanceof ImageRejectedError)) throw error;
    if (body) discard(body);
    throw new UrlRefusedError('not_an_image', { reason: error.code }, { cause: error });
  }
}

export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchedImage> {
  const maxRedirects = options.maxRedirects ?? 3;
  const policy: AddressPolicy = { allowLoopback: options.allowLoopback ?? false };
  const resolve = options.resolve ?? systemResolver;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
  const pins = new Map<string, LookupAddress[]>();
  const agent = new Agent({
    connect: { lookup: pinnedLookup(pins), timeout: options.timeoutMs },
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    // One connection at a time and no reuse across fetches: the pins belong to this fetch only.
    connections: 1,
    pipelining: 0,
  });

  const timedOut = () => deadline.aborted;
  try {
    let current = parseHttpUrl(url);
    for (let hop = 0; ; hop++) {
      const addresses = await raceWithSignal(checkedAddresses(current, policy, resolve), signal);
      pins.set(current.hostname, addresses);

      const response = await request(current, {
        dispatcher: agent,
        method: 'GET',
        signal,
        headers: {
          accept: 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/*;q=0.8',
          'accept-encoding': 'identity',
          'user-agent': 'breedbot/0.1 (image intake)',
        },
      });

      if (REDIRECT_STATUSES.has(response.statusCode)) {
        discard(response.body);
        const location = response.headers.location;
        if (typeof location !== 'string' || !location) {
          throw new UrlRefusedError('http_status', {
            status: response.statusCode,
            reason: 'redirect without Location',
          });
        }
        if (hop + 1 > maxRedirects) throw new UrlRefusedError('too_many_redirects', { limit: maxRedirects });
        current = parseHttpUrl(location, current);
        continue;
      }
      if (response.statusCode < 200 || response.statusCode >= 300) {
        discard(response.body);
        throw new UrlRefusedError('http_status', { status: response.statusCode });
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        discard(response.body);
        throw new UrlRefusedError('too_many_bytes', { limit: options.maxBytes });
      }
      const bytes = await readLimitedBody(response.body, options.maxBytes);
      assertImage(bytes);
      const contentType = response.headers['content-type'];
      return {
        bytes,
        finalUrl: current.href,
        ...(typeof contentType === 'string' ? { contentType } : {}),
      };
    }
  } catch (error) {
    if (error instanceof UrlRefusedError) throw error;
    if (timedOut()) throw new UrlRefusedError('timeout', { limit: options.timeoutMs }, { cause: error });
    if (signal.aborted) throw error;
    throw new UrlRefusedError('unreachable', { reason: errorCode(error) }, { cause: error });
  } finally {
    agent.destroy().catch(() => {});
  }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? excerpt(error.message) : 'unknown error';
}

/** DNS lookups ignore abort signals; this makes a hung resolver still end at the deadline. */
function raceWithSignal<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
