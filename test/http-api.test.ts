/**
 * The HTTP API over real HTTP on an ephemeral port, in front of the real application (model from ../shared,
 * SQLite in a temp dir). A local photo server stands in for the web: its origin is the one loopback origin the
 * intake may fetch, as the sandbox's file host is for the bot.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { createBreedbot, type BreedbotApp } from '../src/app/create.ts';
import { loadConfig, type Config } from '../src/config.ts';
import type { ClassifyOutput } from '../src/features/classify/classify-output.ts';
import { startHttpApi, type HttpApi } from '../src/http/server.ts';
import { startFakeDiscord } from '../src/sandbox/fake-discord/index.ts';
import { buildBotOnFake } from './helpers/bot-harness.ts';
import { runCli } from './helpers/run-cli.ts';
import { ssrfCaseList } from './rigs/ssrf-cases.ts';
import { dogPhotos, imagewoofSample, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';
import { tempDirConfig } from './helpers/temp-app.ts';

const KEY = 'test-key-general-0123456789';
const KEY_ROTATED = 'test-key-rotated-0123456789';
const KEY_CONCURRENT = 'test-key-concurrent-0123456789';
const KEY_LIMITED = 'test-key-limited-0123456789';
const KEY_SSRF = 'test-key-ssrf-cases-0123456789';
const BODY_LIMIT = 2 * 1024 * 1024;
/** Per key and minute: enough for each test's own key, few enough to reach with cheap requests. */
const RATE_PER_KEY = 40;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const jsonHeaders = (key = KEY) => ({ ...bearer(key), 'content-type': 'application/json' });

interface ErrorBody {
  error: { code: string; message: string };
}

/** A stand-in for the web: a dog photo, a text file, and a photo that answers only when released. */
function startPhotoServer(photo: Buffer) {
  let slowHit: () => void = () => undefined;
  const slowRequested = new Promise<void>((resolve) => (slowHit = resolve));
  let releaseSlow: () => void = () => undefined;
  const slowReleased = new Promise<void>((resolve) => (releaseSlow = resolve));
  const server = createServer((req, res) => {
    if (req.url === '/dog.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    if (req.url === '/notes.txt')
      return res.writeHead(200, { 'content-type': 'image/jpeg' }).end('just words\n');
    if (req.url === '/to-metadata')
      return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    if (req.url === '/slow-dog.jpg') {
      slowHit();
      void slowReleased.then(() => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo));
      return;
    }
    res.writeHead(404).end();
  });
  return { server, slowRequested, releaseSlow };
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

/** A request on a given agent (fetch cannot pin two requests to one keep-alive connection). */
function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; agent?: Agent; body?: Buffer | Readable },
) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request(url, {
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: options.agent,
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      if (options.body instanceof Readable) options.body.on('error', reject).pipe(req);
      else req.end(options.body);
    },
  );
}

describe('HTTP API', { skip: skipWithoutPhotos }, () => {
  const dogFile = imagewoofSample(1)[0]!.file; // a Shih-Tzu
  const dogBytes = readFileSync(dogFile);
  let dir: string;
  let config: Config;
  let app: BreedbotApp;
  let api: HttpApi;
  let photos: ReturnType<typeof startPhotoServer>;
  let photoOrigin: string;

  const post = (body: BodyInit, headers: Record<string, string>) =>
    fetch(`${api.url}/v1/classify`, { method: 'POST', headers, body });
  const postUrl = (url: string, key = KEY) => post(JSON.stringify({ url }), jsonHeaders(key));
  const expectError = async (response: Response, status: number, code: string) => {
    const body = (await response.json()) as ErrorBody;
    assert.equal(response.status, status, `${code}: ${JSON.stringify(body)}`);
    assert.equal(body.error.code, code);
    assert.ok(body.error.message.length > 10, 'the error says what went wrong');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    return body;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-http-'));
    photos = startPhotoServer(dogBytes);
    photoOrigin = await listen(photos.server);
    config = tempDirConfig(dir, {
      HTTP_API_PORT: '0',
      HTTP_API_KEY: [KEY, KEY_ROTATED, KEY_CONCURRENT, KEY_LIMITED, KEY_SSRF].join(','),
      HTTP_API_MAX_BODY_BYTES: String(BODY_LIMIT),
      RATE_CLASSIFY_PER_USER: String(RATE_PER_KEY),
    });
    app = await createBreedbot(config, { trustedLoopbackOrigins: [photoOrigin] });
    api = await startHttpApi(app, config.httpApi!);
  });

  after(async () => {
    await api?.close();
    await app?.close();
    photos?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('image bytes get exactly the JSON `npm run classify -- --json` prints for that file', async () => {
    const cli = await runCli('src/cli/classify.ts', [dogFile, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const [printed] = JSON.parse(cli.stdout) as ClassifyOutput[];

    for (const headers of <Record<string, string>[]>[
      { ...bearer(KEY), 'content-type': 'image/jpeg' },
      { 'x-api-key': KEY_ROTATED, 'content-type': 'application/octet-stream' },
    ]) {
      const response = await post(dogBytes, headers);
      assert.equal(response.status, 200);
      const answered = (await response.json()) as ClassifyOutput;
      assert.equal(answered.input, 'body');
      assert.deepEqual({ ...answered, input: printed!.input }, printed);
      assert.equal(answered.top5[0]!.breed, 'Shih-Tzu');
    }
  });

  test('{"url"} is fetched through the bot\'s intake and answered like the bytes', async () => {
    const url = `${photoOrigin}/dog.jpg`;
    const response = await postUrl(url);
    assert.equal(response.status, 200);
    const answered = (await response.json()) as ClassifyOutput;
    assert.equal(answered.input, url);
    const fromBytes = (await (
      await post(dogBytes, { ...bearer(KEY), 'content-type': 'image/jpeg' })
    ).json()) as ClassifyOutput;
    assert.deepEqual(answered.top5, fromBytes.top5);
  });

  test('URLs into private networks are refused with 400 private_address, bad URLs with their own codes', async () => {
    const cases = [
      // The URL guard's hostile cases that need no DNS (the abuse suite runs the rest with a fake resolver).
      ...ssrfCaseList().filter((c) => !c.viaLocalServer && !c.name.startsWith('resolves private')),
      { url: 'http://127.0.0.1:1/dog.jpg', expect: 'private_address' }, // loopback, not the trusted origin
      { url: `${photoOrigin}/to-metadata`, expect: 'private_address' }, // a trusted origin's redirect
      { url: 'ftp://example.com/dog.jpg', expect: 'bad_scheme' },
      { url: 'not a url', expect: 'bad_url' },
    ];
    assert.ok(cases.length > 25);
    for (const { url, expect } of cases) {
      const response = await postUrl(url, KEY_SSRF);
      const body = (await response.json()) as ErrorBody;
      assert.deepEqual([response.status, body.error.code], [400, expect], url);
    }
    const privateOne = (await (await postUrl('http://10.0.0.1/', KEY_SSRF)).json()) as ErrorBody;
    assert.match(privateOne.error.message, /private/);
  });

  test('a missing or wrong key gets 401 before the body is read; healthz and the document need none', async () => {
    const missing = await expectError(await fetch(`${api.url}/v1/model`), 401, 'missing_api_key');
    assert.match(missing.error.message, /Bearer/);
    const wrong = await fetch(`${api.url}/v1/model`, { headers: bearer('not-the-key-0123456789') });
    assert.match(wrong.headers.get('www-authenticate') ?? '', /^Bearer/);
    await expectError(wrong, 401, 'bad_api_key');
    await expectError(
      await fetch(`${api.url}/v1/model`, { headers: { 'x-api-key': `${KEY}x` } }),
      401,
      'bad_api_key',
    );
    await expectError(
      await fetch(`${api.url}/v1/model`, { headers: { authorization: KEY } }),
      401,
      'missing_api_key',
    );
    // A body far over the limit is refused for its key, not its size: nobody without a key uploads into memory.
    const big = Buffer.alloc(BODY_LIMIT * 2, 0xff);
    await expectError(
      await post(big, { 'content-type': 'image/jpeg', 'x-api-key': 'wrong-key-0123456789' }),
      401,
      'bad_api_key',
    );

    assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${api.url}/v1/openapi.json`)).status, 200);
  });

  test('GET /v1/model names the active version, backbone, backend and (off here) the detector', async () => {
    const response = await fetch(`${api.url}/v1/model`, { headers: bearer(KEY) });
    assert.equal(response.status, 200);
    const info = await app.modelInfo();
    assert.deepEqual(await response.json(), {
      activeVersion: info.activeVersion,
      backboneId: 'mobilenet_v1_0.75_224',
      backend: info.backend,
      breeds: info.breeds,
      detector: null,
    });
    assert.deepEqual(await (await fetch(`${api.url}/healthz`)).json(), {
      status: 'ok',
      modelVersion: info.activeVersion,
    });
  });

  test('a body over the limit gets 413 body_too_large, declared or streamed, and the server keeps serving', async () => {
    const big = Buffer.alloc(BODY_LIMIT + 1, 0xff);
    const declared = await expectError(
      await post(big, { ...bearer(KEY), 'content-type': 'image/jpeg' }),
      413,
      'body_too_large',
    );
    assert.match(declared.error.message, new RegExp(String(BODY_LIMIT)));
    // Chunked, without a Content-Length: refused once the limit is crossed.
    const chunks = Array.from({ length: 40 }, () => Buffer.alloc(64 * 1024, 0xff));
    const streamed = await rawRequest(`${api.url}/v1/classify`, {
      method: 'POST',
      headers: { ...bearer(KEY), 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' },
      body: Readable.from(chunks),
    }).catch((error: NodeJS.ErrnoException) => ({ status: 0, headers: {}, body: error.code ?? '' }));
    // The server may close the connection before the client has sent everything; it must not have accepted it.
    if (streamed.status !== 0) {
      assert.equal(streamed.status, 413);
      assert.equal((JSON.parse(streamed.body) as ErrorBody).error.code, 'body_too_large');
    } else assert.match(streamed.body, /EPIPE|ECONNRESET/);
    assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
  });

  test('what is no image gets 415 or 422, what is no JSON 400, each with its code', async () => {
    const text = Buffer.from('These are my notes, not a photo.\n'.repeat(20));
    await expectError(
      await post(text, { ...bearer(KEY), 'content-type': 'image/jpeg' }),
      422,
      'not_an_image',
    );
    await expectError(
      await post(text, { ...bearer(KEY), 'content-type': 'text/plain' }),
      415,
      'unsupported_media_type',
    );
    await expectError(
      await post(text, { ...bearer(KEY), 'content-type': 'multipart/form-data; boundary=x' }),
      415,
      'unsupported_media_type',
    );
    await expectError(await post('{"url": ', jsonHeaders()), 400, 'bad_json');
    await expectError(await post('{"link": "https://example.com/a.jpg"}', jsonHeaders()), 400, 'bad_request');
    await expectError(
      await post(JSON.stringify({ url: `https://example.com/${'a'.repeat(2100)}` }), jsonHeaders()),
      400,
      'bad_request',
    );
    await expectError(await postUrl(`${photoOrigin}/notes.txt`), 422, 'not_an_image');
    await expectError(await fetch(`${api.url}/v1/nothing`, { headers: bearer(KEY) }), 404, 'not_found');
  });

  test('odd requests get a 4xx JSON error each, and nothing crashes', async () => {
    const odd: [BodyInit | undefined, Record<string, string>][] = [
      ['x', { ...bearer(KEY), 'content-type': 'image/' }],
      ['x', { ...bearer(KEY), 'content-type': ';;;' }],
      ['[]', jsonHeaders()],
      ['"https://example.com/a.jpg"', jsonHeaders()],
      ['{"url": null}', jsonHeaders()],
      ['{"url": ["https://example.com/a.jpg"]}', jsonHeaders()],
      [JSON.stringify({ url: 'https://example.com/a.jpg', more: 'x'.repeat(100_000) }), jsonHeaders()],
      ['{"__proto__": {"url": "x"}}', jsonHeaders()],
      [Buffer.alloc(0), { ...bearer(KEY), 'content-type': 'image/jpeg' }],
      [undefined, { authorization: 'Bearer' }],
      [undefined, { authorization: `Basic ${Buffer.from(`u:${KEY}`).toString('base64')}` }],
      [undefined, { authorization: `Bearer ${KEY} ${KEY}` }],
    ];
    for (const [body, headers] of odd) {
      const response = await post(body ?? '', headers);
      const answer = (await response.json()) as ErrorBody;
      const what = `${JSON.stringify(headers)} ${String(body).slice(0, 40)}`;
      assert.ok(response.status >= 400 && response.status < 500, `${what}: ${response.status}`);
      assert.match(answer.error.code, /^[a-z_]+$/, what);
    }
    const badPath = await rawRequest(`${api.url}/v1/%zz`, { headers: bearer(KEY) });
    assert.deepEqual(
      [badPath.status, (JSON.parse(badPath.body) as ErrorBody).error.code],
      [400, 'bad_request'],
    );
    assert.equal((await fetch(`${api.url}/healthz`)).status, 200);
  });

  test('20 concurrent classifications are all answered', async () => {
    const files = dogPhotos(20);
    const responses = await Promise.all(
      files.map((file) =>
        post(readFileSync(file), { ...bearer(KEY_CONCURRENT), 'content-type': 'image/jpeg' }).then(
          async (r) => ({
            status: r.status,
            body: (await r.json()) as ClassifyOutput,
          }),
        ),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      files.map(() => 200),
    );
    for (const { body } of responses) assert.equal(body.top5.length, 5);
  });

  test("the bot's classify rate limit applies per key: 429 rate_limited with Retry-After", async () => {
    // Cheap requests: the budget is spent before the bytes are decoded, as for a Discord upload.
    const notAnImage = Buffer.from('not an image');
    for (let i = 0; i < RATE_PER_KEY; i++)
      await expectError(
        await post(notAnImage, { ...bearer(KEY_LIMITED), 'content-type': 'image/png' }),
        422,
        'not_an_image',
      );
    const limited = await post(dogBytes, { ...bearer(KEY_LIMITED), 'content-type': 'image/jpeg' });
    const retryAfter = Number(limited.headers.get('retry-after'));
    await expectError(limited, 429, 'rate_limited');
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    // Another key has its own budget.
    assert.equal(
      (await post(dogBytes, { ...bearer(KEY_ROTATED), 'content-type': 'image/jpeg' })).status,
      200,
    );
  });

  test('GET /v1/openapi.json describes every route, and nothing else', async () => {
    const doc = (await (await fetch(`${api.url}/v1/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { responses: object }>>;
    };
    assert.match(doc.openapi, /^3\.1\./);
    const routes = api.routes.map((r) => `${r.method} ${r.path}`).sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m} ${p}`))
      .sort();
    assert.deepEqual(documented, routes);
    assert.ok(routes.includes('post /v1/classify') && routes.includes('get /healthz'));

    // Real answers match the documented response schemas.
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ ...doc, $id: 'api' });
    const pointer = (...at: string[]) => at.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
    const answers: [string, string, Response][] = [
      ['/v1/classify', 'post', await post(dogBytes, { ...bearer(KEY), 'content-type': 'image/jpeg' })],
      ['/v1/classify', 'post', await postUrl('http://10.0.0.1/', KEY)],
      ['/v1/classify', 'post', await post('x', { ...bearer(KEY), 'content-type': 'text/plain' })],
      ['/v1/model', 'get', await fetch(`${api.url}/v1/model`, { headers: bearer(KEY) })],
      ['/v1/model', 'get', await fetch(`${api.url}/v1/model`)],
      ['/healthz', 'get', await fetch(`${api.url}/healthz`)],
    ];
    for (const [route, method, response] of answers) {
      const status = String(response.status);
      const at = pointer(
        'paths',
        route,
        method,
        'responses',
        status,
        'content',
        'application/json',
        'schema',
      );
      const validate = ajv.compile({ $ref: `api#/${at}` });
      assert.ok(
        validate(await response.json()),
        `${method} ${route} ${status}: ${ajv.errorsText(validate.errors)}`,
      );
    }
  });

  test('closing lets a request in flight finish and answers the next one 503 shutting_down', async () => {
    const second = await startHttpApi(app, { ...config.httpApi!, port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const inFlight = rawRequest(`${second.url}/v1/classify`, {
        method: 'POST',
        agent,
        headers: jsonHeaders(KEY_ROTATED),
        body: Buffer.from(JSON.stringify({ url: `${photoOrigin}/slow-dog.jpg` })),
      });
      await photos.slowRequested;
      // Queued behind the first on the same keep-alive connection: it arrives once closing has begun.
      const next = rawRequest(`${second.url}/v1/model`, { agent, headers: bearer(KEY_ROTATED) });
      const closed = second.close();
      photos.releaseSlow();
      const finished = await inFlight;
      assert.equal(finished.status, 200, finished.body);
      assert.equal((JSON.parse(finished.body) as ClassifyOutput).top5[0]!.breed, 'Shih-Tzu');
      const refused = await next;
      assert.equal(refused.status, 503);
      assert.equal((JSON.parse(refused.body) as ErrorBody).error.code, 'shutting_down');
      assert.equal(refused.headers['retry-after'], '5');
      await closed;
      await assert.rejects(fetch(`${second.url}/healthz`), 'nothing listens after close');
    } finally {
      agent.destroy();
      await second.close();
    }
  });
});

describe('HTTP API settings', () => {
  const env = { ...sharedModelEnv };
  test('off unless both a port and a key are set; one without the other stops the start', () => {
    assert.equal(loadConfig(env).httpApi, null);
    assert.throws(() => loadConfig({ ...env, HTTP_API_PORT: '8080' }), /HTTP_API_KEY: needed/);
    assert.throws(() => loadConfig({ ...env, HTTP_API_KEY: KEY }), /HTTP_API_PORT: needed/);
    assert.throws(() => loadConfig({ ...env, HTTP_API_PORT: '8080', HTTP_API_KEY: 'short' }), /at least 16/);
    const on = loadConfig({ ...env, HTTP_API_PORT: '8080', HTTP_API_KEY: ` ${KEY} , ${KEY_ROTATED} ` });
    assert.deepEqual(on.httpApi, {
      port: 8080,
      host: '127.0.0.1',
      keys: [KEY, KEY_ROTATED],
      maxBodyBytes: on.IMAGE_MAX_BYTES,
    });
  });
});

describe('HTTP API in the bot runtime', { skip: skipWithoutPhotos }, () => {
  test('npm start serves it when configured and closes it with the rest; without settings nothing listens', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-http-bot-'));
    const fake = await startFakeDiscord();
    try {
      const off = await buildBotOnFake(tempDirConfig(path.join(dir, 'off')), fake);
      assert.equal(off.httpApi, null);
      await off.close();

      const on = await buildBotOnFake(
        tempDirConfig(path.join(dir, 'on'), { HTTP_API_PORT: '0', HTTP_API_KEY: KEY }),
        fake,
      );
      const url = on.httpApi!.url;
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      assert.equal((await fetch(`${url}/v1/model`, { headers: bearer(KEY) })).status, 200);
      await on.close();
      await assert.rejects(fetch(`${url}/healthz`), 'the runtime closed the listener');
    } finally {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
