/**
 * Hostile URLs beyond src/images/ssrf-cases.ts (which covers literals, several-address hosts, redirects to
 * file:/gopher:, slow drip, endless body): redirects to IPv6 loopback and to names that resolve privately,
 * other schemes, a server that never sends headers, a declared terabyte, IPv4-mapped answers from DNS, a
 * private address hidden last among public ones. Nothing leaves 127.0.0.1: names come from a fake resolver.
 */
import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { AddressInfo } from 'node:net';
import { UrlRefusedError, type UrlRefusalCode } from '../../src/images/errors.ts';
import { fetchImage } from '../../src/images/fetch-url.ts';
import type { SsrfReport } from '../rigs/ssrf-cases.ts';

interface ExtraCase {
  name: string;
  url: (base: string, port: number) => string;
  /** null: any refusal will do (the point is that nothing is fetched). */
  expect: UrlRefusalCode | null;
  viaLocalServer?: boolean;
}

const DNS: Record<string, string[]> = {
  'mixed-families.example': ['2606:4700::1', '192.168.1.1'],
  'private-last.example': ['93.184.216.34', '93.184.216.35', '8.8.8.8', '1.1.1.1', '172.16.5.5'],
  'mapped-loopback.example': ['::ffff:127.0.0.1'],
  'v6-loopback.example': ['::1'],
  'unique-local.example': ['fd12:3456::1'],
};

const resolver = async (host: string): Promise<LookupAddress[]> => {
  const addresses = DNS[host];
  if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const redirect = (to: string) => (base: string) => `${base}/redirect?to=${encodeURIComponent(to)}`;

export const extraSsrfCases: ExtraCase[] = [
  {
    // The loopback allowance of a trusted origin covers 127/8 and ::1 on every hop; link-local never.
    name: 'redirect to IPv6 link-local',
    url: redirect('http://[fe80::1]/'),
    expect: 'private_address',
    viaLocalServer: true,
  },
  {
    name: 'redirect to IPv4-mapped IPv6 loopback',
    url: (b, port) => redirect(`http://[::ffff:7f00:1]:${port}/`)(b),
    expect: 'private_address',
    viaLocalServer: true,
  },
  {
    name: 'redirect to 0.0.0.0',
    url: (b, port) => redirect(`http://0.0.0.0:${port}/`)(b),
    expect: 'private_address',
    viaLocalServer: true,
  },
  {
    name: 'redirect to a name with one private address',
    url: redirect('http://mixed-families.example/'),
    expect: 'private_address',
    viaLocalServer: true,
  },
  {
    name: 'redirect to ftp:',
    url: redirect('ftp://127.0.0.1/dog.jpg'),
    expect: 'bad_scheme',
    viaLocalServer: true,
  },
  {
    name: 'redirect to data:',
    url: redirect('data:image/png;base64,iVBORw0KGgo='),
    expect: 'bad_scheme',
    viaLocalServer: true,
  },
  { name: 'ftp scheme', url: () => 'ftp://example.com/dog.jpg', expect: 'bad_scheme' },
  { name: 'data scheme', url: () => 'data:image/jpeg;base64,/9j/4AAQ', expect: 'bad_scheme' },
  { name: 'javascript scheme', url: () => 'javascript:alert(1)', expect: 'bad_scheme' },
  { name: 'IPv6 literal with a zone id', url: () => 'http://[fe80::1%25eth0]/', expect: null },
  { name: 'IPv6 unique-local literal', url: () => 'http://[fd00:ec2::254]/', expect: 'private_address' },
  { name: 'IPv4-compatible IPv6 literal', url: () => 'http://[::127.0.0.1]/', expect: 'private_address' },
  {
    name: 'name with public IPv6 and private IPv4',
    url: () => 'http://mixed-families.example/',
    expect: 'private_address',
  },
  {
    name: 'private address last of five',
    url: () => 'http://private-last.example/',
    expect: 'private_address',
  },
  {
    name: 'DNS answers IPv4-mapped loopback',
    url: () => 'http://mapped-loopback.example/',
    expect: 'private_address',
  },
  { name: 'DNS answers ::1', url: () => 'http://v6-loopback.example/', expect: 'private_address' },
  {
    name: 'DNS answers unique-local IPv6',
    url: () => 'http://unique-local.example/',
    expect: 'private_address',
  },
  { name: 'server never sends headers', url: (b) => `${b}/silent`, expect: 'timeout', viaLocalServer: true },
  { name: 'declared terabyte body', url: (b) => `${b}/huge`, expect: 'too_many_bytes', viaLocalServer: true },
];

function startServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    if (url.pathname === '/redirect')
      res.writeHead(307, { location: url.searchParams.get('to') ?? '/' }).end();
    else if (url.pathname === '/silent')
      return; // holds the socket open, answers nothing
    else if (url.pathname === '/huge') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(10 ** 12) });
      res.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
    } else res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function runExtraSsrfCases(options: { timeoutMs?: number } = {}): Promise<SsrfReport> {
  const server = await startServer();
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  const failures: SsrfReport['failures'] = [];
  let refused = 0;
  try {
    for (const c of extraSsrfCases) {
      const url = c.url(base, port);
      const got = await fetchImage(url, {
        maxBytes: 512 * 1024,
        timeoutMs: options.timeoutMs ?? 500,
        maxRedirects: 3,
        resolve: resolver,
        allowLoopback: c.viaLocalServer ?? false,
      }).then(
        () => 'fetched',
        (e: unknown) => (e instanceof UrlRefusedError ? e.code : `crash: ${String(e)}`),
      );
      const ok = c.expect === null ? got !== 'fetched' && !got.startsWith('crash') : got === c.expect;
      if (ok) refused++;
      else failures.push({ name: c.name, url, expect: c.expect ?? 'bad_url', got, refused: false });
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return { ssrfCases: extraSsrfCases.length, ssrfRefused: refused, failures };
}
