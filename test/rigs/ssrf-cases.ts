/**
 * The URL guard's hostile cases as one runnable list, for `npm run test:abuse` (ssrfCases / ssrfRefused).
 * Every case is refused before a socket to a non-loopback address exists: private hosts are literals or come
 * from the injected resolver, and the only server is a local one on 127.0.0.1 that plays the hostile origin
 * (redirects, slow drip, endless body, HTML).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import { UrlRefusedError, type UrlRefusalCode } from '../../src/images/errors.ts';
import { fetchImage, systemResolver, type FetchImageOptions } from '../../src/images/fetch-url.ts';

export interface SsrfCase {
  name: string;
  url: string;
  expect: UrlRefusalCode;
  /** The hostile origin is the local server, so the first hop must be allowed to reach loopback. */
  viaLocalServer?: boolean;
}

export interface SsrfCaseResult extends SsrfCase {
  got: string;
  refused: boolean;
}

export interface SsrfReport {
  ssrfCases: number;
  ssrfRefused: number;
  failures: SsrfCaseResult[];
}

/** Host names the injected resolver knows; nothing here reaches real DNS. */
const FAKE_DNS: Record<string, string[]> = {
  'one-private.example': ['93.184.216.34', '10.0.0.5'],
  'v6-private.example': ['2606:4700::1', 'fd00::5'],
  'metadata.example': ['169.254.169.254'],
  'mapped.example': ['::ffff:192.168.1.1'],
  'nat64.example': ['64:ff9b::a00:5'],
};

const fakeResolver = async (host: string): Promise<LookupAddress[]> => {
  // localhost is answered by the machine itself (hosts file), never by the network.
  if (host === 'localhost') return systemResolver(host);
  const addresses = FAKE_DNS[host];
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const literalHosts = [
  '127.0.0.1',
  '10.0.0.1',
  '169.254.169.254',
  '100.64.0.1',
  '[::1]',
  '[fe80::1]',
  '[::ffff:127.0.0.1]',
  '2130706433',
  '0x7f000001',
  '0177.0.0.1',
  '127.1',
  '0.0.0.0',
  '[::]',
  '192.168.0.1',
  '172.16.0.1',
  '224.0.0.1',
  '255.255.255.255',
  '198.18.0.1',
  '192.0.2.1',
  '[fc00::1]',
  '[ff02::1]',
  '[64:ff9b::a9fe:a9fe]',
  '[2002:a9fe:a9fe::]',
  '0xa9.0xfe.0xa9.0xfe',
  '%31%32%37.0.0.1',
];

export function ssrfCaseList(): SsrfCase[] {
  const redirect = (to: string) => `/redirect?to=${encodeURIComponent(to)}`;
  return [
    ...literalHosts.map((host) => ({
      name: `literal ${host}`,
      url: `http://${host}/`,
      expect: 'private_address' as const,
    })),
    { name: 'localhost name', url: 'http://localhost/', expect: 'private_address' },
    ...Object.keys(FAKE_DNS).map((host) => ({
      name: `resolves private: ${host}`,
      url: `http://${host}/`,
      expect: 'private_address' as const,
    })),
    { name: 'file scheme', url: 'file:///etc/passwd', expect: 'bad_scheme' },
    { name: 'gopher scheme', url: 'gopher://127.0.0.1:6379/_INFO', expect: 'bad_scheme' },
    { name: 'credentials', url: 'http://admin:admin@one-private.example/', expect: 'bad_url' },
    ...[
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:10.0.0.1]/',
      'http://metadata.example/',
    ].map((to) => ({
      name: `redirect to ${to}`,
      url: redirect(to),
      expect: 'private_address' as const,
      viaLocalServer: true,
    })),
    {
      name: 'redirect to file:',
      url: redirect('file:///etc/passwd'),
      expect: 'bad_scheme',
      viaLocalServer: true,
    },
    {
      name: 'redirect to gopher:',
      url: redirect('gopher://127.0.0.1:6379/_INFO'),
      expect: 'bad_scheme',
      viaLocalServer: true,
    },
    { name: 'redirect loop', url: '/loop', expect: 'too_many_redirects', viaLocalServer: true },
    { name: 'slow drip body', url: '/drip', expect: 'timeout', viaLocalServer: true },
    { name: 'endless body', url: '/endless', expect: 'too_many_bytes', viaLocalServer: true },
    { name: 'HTML served as image/jpeg', url: '/html', expect: 'not_an_image', viaLocalServer: true },
  ];
}

function startHostileOrigin(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('to') ?? '/' }).end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (url.pathname === '/drip') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      const timer = setInterval(() => res.write(Buffer.from([0])), 50);
      res.on('close', () => clearInterval(timer));
    } else if (url.pathname === '/endless') {
      res.writeHead(200, { 'content-type': 'image/jpeg' }).write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
      const chunk = Buffer.alloc(64 * 1024);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    } else if (url.pathname === '/html') {
      res
        .writeHead(200, { 'content-type': 'image/jpeg' })
        .end(`<!DOCTYPE html><html>${'x'.repeat(200)}</html>`);
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runSsrfCases(
  options: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<SsrfReport> {
  const server = await startHostileOrigin();
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const common: FetchImageOptions = {
    maxBytes: options.maxBytes ?? 512 * 1024,
    timeoutMs: options.timeoutMs ?? 500,
    maxRedirects: 3,
    resolve: fakeResolver,
  };
  const results: SsrfCaseResult[] = [];
  try {
    for (const c of ssrfCaseList()) {
      const url = c.viaLocalServer ? `${base}${c.url}` : c.url;
      // Only cases whose hostile origin is the local server get the loopback allowance, never the others.
      const got = await fetchImage(url, { ...common, allowLoopback: c.viaLocalServer ?? false }).then(
        () => 'fetched',
        (e: unknown) => (e instanceof UrlRefusedError ? e.code : `crash: ${String(e)}`),
      );
      results.push({ ...c, got, refused: got === c.expect });
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return {
    ssrfCases: results.length,
    ssrfRefused: results.filter((r) => r.refused).length,
    failures: results.filter((r) => !r.refused),
  };
}
