/**
 * The URL intake's SSRF guard. Only loopback traffic ever leaves these tests: every other address is refused
 * before a socket exists, which the connection watch below checks for the whole file.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { LookupAddress } from 'node:dns';
import {
  fetchImage,
  judgeAddress,
  UrlRefusedError,
  type FetchImageOptions,
  type UrlRefusalCode,
} from '../src/images/index.ts';
import { runSsrfCases } from './rigs/ssrf-cases.ts';
import { RED, solidPng } from './helpers/image-fixtures.ts';

// ---- connection watch: fail loudly if anything tries to reach a non-loopback address ----
const nonLoopbackAttempts: string[] = [];
const isLoopback = (address: string) =>
  /^127\./.test(address) || address === '::1' || address === 'localhost';
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  // net.connect() passes its normalised arguments as one array.
  const options = Array.isArray(args[0]) ? args[0][0] : args[0];
  const host =
    typeof options === 'object' && options !== null ? (options as { host?: string }).host : undefined;
  if (host && net.isIP(host) && !isLoopback(host)) {
    nonLoopbackAttempts.push(host);
    throw new Error(`test refused to connect to ${host}`);
  }
  this.on('lookup', (_err: unknown, address: string | LookupAddress[]) => {
    const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
    for (const a of all) {
      if (a && !isLoopback(a)) {
        nonLoopbackAttempts.push(a);
        this.destroy(new Error(`test refused to connect to ${a}`));
      }
    }
  });
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

// ---- a local server with one route per behaviour ----
let server: http.Server;
let base: string;
let port: number;
let jpegLikePng: Uint8Array;
const seenHosts: string[] = [];

before(async () => {
  jpegLikePng = await solidPng(32, 32, RED);
  server = http.createServer((req, res) => {
    seenHosts.push(req.headers.host ?? '');
    const url = new URL(req.url ?? '/', 'http://x');
    const redirect = (to: string) => {
      res.writeHead(302, { location: to });
      res.end();
    };
    switch (url.pathname) {
      case '/dog.png':
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(jpegLikePng);
        return;
      case '/redirect':
        redirect(url.searchParams.get('to') ?? '/dog.png');
        return;
      case '/chain': {
        const left = Number(url.searchParams.get('n'));
        redirect(left > 1 ? `/chain?n=${left - 1}` : '/dog.png');
        return;
      }
      case '/drip': {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(jpegLikePng.subarray(0, 100));
        const timer = setInterval(() => res.write(jpegLikePng.subarray(0, 1)), 50);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case '/silent':
        return; // never answers
      case '/endless': {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.write(jpegLikePng.subarray(0, 100));
        const chunk = Buffer.alloc(64 * 1024, 0x41);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
        return;
      }
      case '/declared-huge':
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(500 * 1024 * 1024) });
        res.write(jpegLikePng);
        return;
      case '/html-as-jpeg':
        res.writeHead(200, { 'content-type': 'image/jpeg' });
        res.end(`<!DOCTYPE html><html><body>${'dog '.repeat(100)}</body></html>`);
        return;
      case '/svg':
        res.writeHead(200, { 'content-type': 'image/svg+xml' });
        res.end('<svg xmlns="http://www.w3.org/2000/svg"><image href="http://169.254.169.254/"/></svg>');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
  net.Socket.prototype.connect = originalConnect;
});

const limits = { maxBytes: 1024 * 1024, timeoutMs: 2000, maxRedirects: 3 };
const local: FetchImageOptions = { ...limits, allowLoopback: true };
const resolverMustNotBeCalled = async (host: string): Promise<LookupAddress[]> => {
  throw new Error(`resolver called for ${host}`);
};

async function refusal(
  url: string,
  options: FetchImageOptions,
  code: UrlRefusalCode,
): Promise<UrlRefusedError> {
  try {
    await fetchImage(url, options);
  } catch (error) {
    assert.ok(error instanceof UrlRefusedError, `${url}: expected UrlRefusedError, got ${String(error)}`);
    assert.equal(error.code, code, `${url}: ${error.message}`);
    assert.ok(error.userMessage.length < 200);
    return error;
  }
  assert.fail(`${url}: expected refusal ${code}, got an image`);
}

test('address policy: public unicast only; private, special and embedded-private IPv6 are refused', () => {
  const refused = [
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '100.127.255.255',
    '0.0.0.0',
    '0.1.2.3',
    '255.255.255.255',
    '224.0.0.1',
    '239.255.255.250',
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '198.18.0.1',
    '198.19.255.1',
    '240.0.0.1',
    '192.0.0.8',
    '::1',
    '::',
    'fe80::1',
    'febf::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '2001:db8::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a00:1',
    '64:ff9b::7f00:1',
    '64:ff9b:1::1',
    '2002:a00:1::1',
    '2002:7f00:1::',
    '2001::1',
    '100::1',
  ];
  for (const address of refused) assert.equal(judgeAddress(address).allowed, false, address);
  const allowed = [
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ];
  for (const address of allowed) assert.equal(judgeAddress(address).allowed, true, address);
  assert.equal(judgeAddress('not-an-ip').allowed, false);
});

test('allowLoopback lets exactly 127.0.0.0/8 and ::1 through, nothing else private', () => {
  const policy = { allowLoopback: true };
  for (const a of ['127.0.0.1', '127.9.9.9', '::1']) assert.equal(judgeAddress(a, policy).allowed, true, a);
  for (const a of [
    '10.0.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '::',
    'fe80::1',
    '::ffff:127.0.0.1',
    '64:ff9b::7f00:1',
  ]) {
    assert.equal(judgeAddress(a, policy).allowed, false, a);
  }
});

test('literal private hosts in every spelling are refused before any connection', async () => {
  const hosts = [
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
    '0',
    '0.0.0.0',
    '[::]',
    '192.168.0.1',
    '172.16.5.4',
    '[fc00::1]',
    '[::ffff:a9fe:a9fe]',
    '[64:ff9b::a9fe:a9fe]',
    '[2002:a9fe:a9fe::]',
    '0xa9.0xfe.0xa9.0xfe',
    '3232235521',
    '%31%32%37.0.0.1',
    '\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11',
  ];
  for (const host of hosts) {
    await refusal(
      `http://${host}/latest/meta-data`,
      { ...limits, resolve: resolverMustNotBeCalled },
      'private_address',
    );
    // The loopback allowance never opens the other private ranges.
    const normalised = new URL(`http://${host}/`).hostname;
    if (!normalised.startsWith('127.') && normalised !== '[::1]') {
      await refusal(`http://${host}/`, { ...local, resolve: resolverMustNotBeCalled }, 'private_address');
    }
  }
  assert.deepEqual(nonLoopbackAttempts, []);
});

test('the WHATWG parser turns numeric IPv4 spellings into dotted quads (what the guard then checks)', () => {
  for (const spelling of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '0x7f.1']) {
    assert.equal(new URL(`http://${spelling}/`).hostname, '127.0.0.1', spelling);
  }
});

test('a host name resolving to loopback (localhost) is refused', async () => {
  await refusal(`http://localhost:${port}/dog.png`, limits, 'private_address');
  assert.ok(!seenHosts.some((h) => h.startsWith('localhost')), 'the server was never reached');
});

test('a host with several addresses, one of them private, is refused without connecting', async () => {
  const resolve = async (host: string): Promise<LookupAddress[]> => {
    assert.equal(host, 'evil.example');
    return [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];
  };
  const e = await refusal('http://evil.example/dog.jpg', { ...limits, resolve }, 'private_address');
  assert.match(e.message, /private/);
  const v6 = async (): Promise<LookupAddress[]> => [
    { address: '2606:4700::1', family: 6 },
    { address: 'fd00::5', family: 6 },
  ];
  await refusal('http://evil.example/', { ...limits, resolve: v6 }, 'private_address');
  assert.deepEqual(nonLoopbackAttempts, []);
});

test('DNS rebinding: the socket connects to the address that was checked, DNS is not asked again', async () => {
  let calls = 0;
  // First answer is allowed (loopback, with allowLoopback), every later answer is a private address.
  const rebinding = async (): Promise<LookupAddress[]> =>
    ++calls === 1 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.5', family: 4 }];
  const before = seenHosts.length;
  const fetched = await fetchImage(`http://rebind.test:${port}/dog.png`, { ...local, resolve: rebinding });
  assert.deepEqual(fetched.bytes, jpegLikePng);
  assert.equal(calls, 1, 'one lookup per hop: the checked answer is the one connected to');
  assert.equal(seenHosts.slice(before).at(-1), `rebind.test:${port}`);

  // A second fetch asks again, gets the private answer and is refused before connecting.
  await refusal(`http://rebind.test:${port}/dog.png`, { ...local, resolve: rebinding }, 'private_address');
  assert.equal(calls, 2);
  assert.deepEqual(nonLoopbackAttempts, []);
});

test('a local test server is reached only when the caller explicitly allows loopback', async () => {
  await refusal(`${base}/dog.png`, limits, 'private_address');
  const fetched = await fetchImage(`${base}/dog.png`, local);
  assert.deepEqual(fetched.bytes, jpegLikePng);
  assert.equal(fetched.contentType, 'image/png');
  assert.equal(fetched.finalUrl, `${base}/dog.png`);
  const viaName = await fetchImage(`http://localhost:${port}/dog.png`, local);
  assert.deepEqual(viaName.bytes, jpegLikePng);
});

test('IPv6 loopback literal works with allowLoopback', async (t) => {
  const v6 = http.createServer((_req, res) => res.end(jpegLikePng));
  const listening = await new Promise<boolean>((resolve) => {
    v6.once('error', () => resolve(false));
    v6.listen(0, '::1', () => resolve(true));
  });
  if (!listening) return t.skip('no IPv6 loopback on this machine');
  try {
    const p = (v6.address() as AddressInfo).port;
    await refusal(`http://[::1]:${p}/`, limits, 'private_address');
    assert.deepEqual((await fetchImage(`http://[::1]:${p}/`, local)).bytes, jpegLikePng);
  } finally {
    v6.close();
  }
});

test('redirects to private addresses are refused on the hop, before connecting', async () => {
  const evil = async (host: string): Promise<LookupAddress[]> =>
    host === 'evil.example' ? [{ address: '10.0.0.5', family: 4 }] : [{ address: '127.0.0.1', family: 4 }];
  const targets = [
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
    'http://[::ffff:10.0.0.1]/',
    'http://[fd00::1]:8080/',
    'http://100.64.0.1/',
    'http://evil.example/',
  ];
  for (const to of targets) {
    await refusal(
      `${base}/redirect?to=${encodeURIComponent(to)}`,
      { ...local, resolve: evil },
      'private_address',
    );
  }
  assert.deepEqual(nonLoopbackAttempts, []);
});

test('redirects to non-http schemes (file:, gopher:, ftp:, data:) are refused', async () => {
  for (const to of [
    'file:///etc/passwd',
    'gopher://127.0.0.1:6379/_INFO',
    'ftp://127.0.0.1/',
    'data:image/png;base64,AAAA',
    'javascript:alert(1)',
  ]) {
    const e = await refusal(`${base}/redirect?to=${encodeURIComponent(to)}`, local, 'bad_scheme');
    assert.ok(!e.userMessage.includes('passwd'));
  }
});

test('redirects: relative ones are followed, up to 3, the fourth is refused', async () => {
  const three = await fetchImage(`${base}/chain?n=3`, local);
  assert.deepEqual(three.bytes, jpegLikePng);
  assert.equal(three.finalUrl, `${base}/dog.png`);
  const e = await refusal(`${base}/chain?n=4`, local, 'too_many_redirects');
  assert.match(e.userMessage, /more than 3/);
  await refusal(`${base}/chain?n=2`, { ...local, maxRedirects: 1 }, 'too_many_redirects');
});

test('a slow-drip body and a silent server end at the overall time limit', async () => {
  await refusal(`${base}/drip`, { ...local, timeoutMs: 400 }, 'timeout');
  await refusal(`${base}/silent`, { ...local, timeoutMs: 300 }, 'timeout');
  const hung = () => new Promise<LookupAddress[]>(() => {});
  await refusal('http://slow-dns.example/', { ...limits, timeoutMs: 200, resolve: hung }, 'timeout');
});

test('an endless body stops at the byte limit; a declared oversize body is refused up front', async () => {
  const e = await refusal(`${base}/endless`, { ...local, maxBytes: 256 * 1024 }, 'too_many_bytes');
  assert.match(e.userMessage, /0\.3 MB|0\.25 MB/);
  await refusal(`${base}/declared-huge`, local, 'too_many_bytes');
});

test('non-image bodies are refused whatever the Content-Type says; SVG too', async () => {
  await refusal(`${base}/html-as-jpeg`, local, 'not_an_image');
  await refusal(`${base}/svg`, local, 'not_an_image');
});

test('HTTP errors are reported with their status', async () => {
  const e = await refusal(`${base}/missing.jpg`, local, 'http_status');
  assert.equal(e.details.status, 404);
  assert.match(e.userMessage, /404/);
});

test('malformed URLs, credentials and unresolvable hosts get clear refusals', async () => {
  await refusal('not a url', limits, 'bad_url');
  await refusal('', limits, 'bad_url');
  await refusal(`http://${'a'.repeat(5000)}.example/`, limits, 'bad_url');
  await refusal('file:///etc/passwd', limits, 'bad_scheme');
  await refusal('gopher://example.com/', limits, 'bad_scheme');
  await refusal('http://user:pass@example.com/', { ...limits, resolve: resolverMustNotBeCalled }, 'bad_url');
  const nx = async (): Promise<LookupAddress[]> => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
  };
  await refusal('http://does-not-exist.example/', { ...limits, resolve: nx }, 'dns_failed');
  await refusal('http://empty.example/', { ...limits, resolve: async () => [] }, 'dns_failed');
  const long = await refusal(`@everyone ${'x'.repeat(3000)}`, limits, 'bad_url');
  assert.ok(long.userMessage.length < 200 && !long.userMessage.includes('@everyone'));
});

test('a closed local port is reported as unreachable', async () => {
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const p = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  await refusal(`http://127.0.0.1:${p}/`, local, 'unreachable');
});

test("the abuse suite's SSRF case list: every case refused with its expected reason", async () => {
  const report = await runSsrfCases();
  assert.deepEqual(report.failures, []);
  assert.ok(report.ssrfCases >= 40, `${report.ssrfCases} cases`);
  assert.equal(report.ssrfRefused, report.ssrfCases);
});

test('no test in this file tried to reach a non-loopback address', () => {
  assert.deepEqual(nonLoopbackAttempts, []);
});
