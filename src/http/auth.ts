/**
 * API keys: sent as "Authorization: Bearer <key>" or "x-api-key: <key>", compared in constant time. Each key
 * has a requester id (a short hash, never the key) that rate limits and stored predictions are kept under.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

const digest = (text: string) => createHash('sha256').update(text).digest();

export interface KeyCheck {
  /** 'missing' with no key sent, 'bad' with a wrong one, else the requester id. */
  check(headers: IncomingHttpHeaders): { requester: string } | 'missing' | 'bad';
}

/** The key a request carries, if any. */
function sentKey(headers: IncomingHttpHeaders): string | null {
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header) return header;
  const auth = headers.authorization;
  const match = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return match ? match[1]! : null;
}

export function apiKeyCheck(keys: readonly string[]): KeyCheck {
  // Comparing SHA-256 digests makes every comparison the same length, so timing says nothing about the key.
  const known = keys.map((key) => ({
    digest: digest(key),
    requester: `http-api:${digest(key).toString('hex').slice(0, 12)}`,
  }));
  return {
    check(headers) {
      const key = sentKey(headers);
      if (key === null) return 'missing';
      const sent = digest(key);
      let requester: string | null = null;
      // Every key is compared, matched or not.
      for (const k of known) if (timingSafeEqual(k.digest, sent)) requester = k.requester;
      return requester ? { requester } : 'bad';
    },
  };
}
