/**
 * Fuzzing the image path: mutated real photos (JPEG, PNG, WebP, GIF) go through prepareModelInput, and every
 * one must end in a result or an ImageRejectedError within a time limit. Deterministic for a given seed, so
 * a crash found once can be replayed. Used by the test suite (small count) and `npm run test:abuse` (1,000+).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { projectRoot } from '../../src/config.ts';
import { withGifDimensions, withJpegDimensions, withPngDimensions } from './crafted.ts';
import { DEFAULT_INPUT_SPEC, prepareModelInput, type ImageLimits, type InputSpec } from '../../src/images/decode.ts';
import { ImageRejectedError } from '../../src/images/errors.ts';

export interface FuzzOptions {
  count: number;
  seed: number;
  /** A file still unresolved after this long counts as a hang (default 15 s; decode gives up at 10 s). */
  perFileTimeoutMs?: number;
  /** Folder(s) of real photos to mutate (default: ../shared/datasets imagewoof/val and notdogs). */
  photoDirs?: string[];
  /** How many photos form the base corpus (default 8). */
  basePhotos?: number;
  spec?: InputSpec;
  limits?: ImageLimits;
}

export interface FuzzCrash {
  index: number;
  mutation: string;
  error: string;
}

export interface FuzzReport {
  fuzzedImages: number;
  crashes: number;
  hangs: number;
  /** Files that decoded to a model input. */
  results: number;
  /** Files refused with an ImageRejectedError. */
  clearErrors: number;
  errorCodes: Record<string, number>;
  mutations: Record<string, number>;
  crashSamples: FuzzCrash[];
  rssBeforeMb: number;
  rssAfterMb: number;
  durationMs: number;
  seed: number;
}

export const defaultPhotoDirs = () => [
  path.resolve(projectRoot, '../shared/datasets/imagewoof/val'),
  path.resolve(projectRoot, '../shared/datasets/notdogs'),
];

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (maxExclusive: number) => Math.floor(next() * maxExclusive);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof seededRandom>;

function listPhotos(dirs: string[]): string[] {
  const files: string[] = [];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        for (const f of readdirSync(full).sort()) if (/\.jpe?g$/i.test(f)) files.push(path.join(full, f));
      } else if (/\.jpe?g$/i.test(entry.name)) {
        files.push(full);
      }
    }
  }
  return files;
}

interface Corpus {
  jpeg: Uint8Array[];
  png: Uint8Array[];
  webp: Uint8Array[];
  gif: Uint8Array[];
  animated: Uint8Array[];
  exif: Uint8Array[];
}

/** Real photos, re-encoded small in each format, plus animated and EXIF-tagged variants. */
async function buildCorpus(random: Random, options: FuzzOptions): Promise<Corpus> {
  const all = listPhotos(options.photoDirs ?? defaultPhotoDirs());
  if (all.length === 0) throw new Error('image fuzz needs real photos (../shared/datasets is absent)');
  const chosen = Array.from({ length: options.basePhotos ?? 8 }, () => random.pick(all));
  const originals = chosen.map((f) => new Uint8Array(readFileSync(f)));
  const small = (bytes: Uint8Array) => sharp(bytes).resize(192, 192, { fit: 'inside' });
  const corpus: Corpus = { jpeg: originals, png: [], webp: [], gif: [], animated: [], exif: [] };
  for (const bytes of originals) {
    corpus.png.push(await small(bytes).png().toBuffer());
    corpus.webp.push(await small(bytes).webp({ quality: 80 }).toBuffer());
    corpus.gif.push(await small(bytes).gif().toBuffer());
    const orientation = 1 + random.int(8);
    corpus.exif.push(await small(bytes).jpeg().withMetadata({ orientation }).toBuffer());
  }
  const frames = await Promise.all(
    originals.slice(0, 3).map((b) => sharp(b).resize(96, 96).png().toBuffer()),
  );
  corpus.animated.push(
    await sharp(frames, { join: { animated: true } })
      .gif({ delay: 50 })
      .toBuffer(),
  );
  corpus.animated.push(
    await sharp(frames, { join: { animated: true } })
      .webp({ quality: 70 })
      .toBuffer(),
  );
  // A "deep" GIF: two hundred frames.
  const tiny = await Promise.all(frames.map((f) => sharp(f).resize(16, 16).png().toBuffer()));
  const many = Array.from({ length: 200 }, (_, i) => tiny[i % tiny.length]!);
  corpus.animated.push(
    await sharp(many, { join: { animated: true } })
      .gif({ delay: 10, colours: 4, effort: 1 })
      .toBuffer(),
  );
  return corpus;
}

const MAGICS: Record<string, number[]> = {
  jpeg: [0xff, 0xd8, 0xff, 0xe0],
  png: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  gif: [...Buffer.from('GIF89a')],
  webp: [...Buffer.from('RIFF\0\0\0\0WEBP')],
  tiff: [0x49, 0x49, 0x2a, 0x00],
  avif: [0, 0, 0, 0x1c, ...Buffer.from('ftypavif')],
};

const ZIP_TAIL = Buffer.concat([
  Buffer.from('PK\x03\x04\x14\x00\x00\x00\x00\x00', 'latin1'),
  Buffer.alloc(16),
  Buffer.from('\x05\x00\x00\x00evil.txtEVIL!', 'latin1'),
  Buffer.from('PK\x05\x06', 'latin1'),
  Buffer.alloc(18),
]);
const HTML = Buffer.from('<html><body><script>alert(document.domain)</script></body></html>');

type Mutation = (r: Random, c: Corpus) => Promise<Uint8Array> | Uint8Array;

const anyBase = (r: Random, c: Corpus) =>
  r.pick([c.jpeg, c.png, c.webp, c.gif, c.animated, c.exif].flatMap((x) => x));

function flipBits(bytes: Uint8Array, r: Random, flips: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = 0; i < flips; i++) out[r.int(out.length)]! ^= 1 << r.int(8);
  return out;
}

function overwrite(bytes: Uint8Array, r: Random, at: number, length: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = at; i < Math.min(out.length, at + length); i++) out[i] = r.int(256);
  return out;
}

/** Offset of the first EXIF (APP1 "Exif") segment in a JPEG, or -1. */
function findExif(jpeg: Uint8Array): number {
  for (let at = 2; at + 10 < jpeg.length;) {
    if (jpeg[at] !== 0xff) return -1;
    const length = (jpeg[at + 2]! << 8) | jpeg[at + 3]!;
    if (jpeg[at + 1] === 0xe1 && Buffer.from(jpeg.subarray(at + 4, at + 8)).toString('latin1') === 'Exif')
      return at;
    if (jpeg[at + 1] === 0xda) return -1;
    at += 2 + length;
  }
  return -1;
}

const MUTATIONS: Record<string, Mutation> = {
  'bit-flips': (r, c) => flipBits(anyBase(r, c), r, 1 + r.int(32)),
  'header-bit-flips': (r, c) => flipHeader(r, c),
  'random-run': (r, c) => {
    const base = anyBase(r, c);
    return overwrite(base, r, r.int(base.length), 1 + r.int(512));
  },
  truncate: (r, c) => {
    const base = anyBase(r, c);
    return base.subarray(0, r.int(base.length));
  },
  'truncate-header': (r, c) => anyBase(r, c).subarray(0, r.int(64)),
  'wrong-magic': (r, c) => {
    const base = Uint8Array.from(anyBase(r, c));
    base.set(MAGICS[r.pick(Object.keys(MAGICS))]!.slice(0, base.length));
    return base;
  },
  'splice-formats': (r, c) => {
    const a = anyBase(r, c);
    const b = anyBase(r, c);
    const cut = r.int(a.length);
    return Buffer.concat([a.subarray(0, cut), b.subarray(r.int(b.length))]);
  },
  'duplicate-segment': (r, c) => {
    const base = anyBase(r, c);
    const from = r.int(base.length);
    const length = 1 + r.int(Math.min(4096, base.length - from));
    return Buffer.concat([base.subarray(0, from + length), base.subarray(from)]);
  },
  'huge-png': (r, c) =>
    withPngDimensions(
      r.pick(c.png),
      r.pick([60_000, 65_535, 2 ** 31 - 1, 1, 0]),
      r.pick([60_000, 40_000, 1, 0]),
    ),
  'huge-jpeg': (r, c) =>
    withJpegDimensions(r.pick(c.jpeg), r.pick([65_000, 65_535, 1, 0]), r.pick([65_000, 30_000, 1, 0])),
  'huge-gif': (r, c) =>
    withGifDimensions(
      r.pick([...c.gif, c.animated[0]!]),
      r.pick([65_535, 9000, 0]),
      r.pick([65_535, 9000, 0]),
    ),
  'huge-webp': (r, c) => {
    // Simple lossy WebP: the VP8 frame header keeps 14-bit width and height at offsets 26 and 28.
    const out = Uint8Array.from(r.pick(c.webp));
    const view = new DataView(out.buffer);
    if (out.length > 30) {
      view.setUint16(26, r.pick([0x3fff, 0xffff, 0]), true);
      view.setUint16(28, r.pick([0x3fff, 0xffff, 0]), true);
    }
    return out;
  },
  'animated-mutated': (r, c) => flipBits(r.pick(c.animated), r, 1 + r.int(16)),
  'deep-gif': (_r, c) => c.animated[2]!,
  'exif-oddities': (r, c) => {
    const base = r.pick(c.exif);
    const exif = findExif(base);
    if (exif < 0) return flipBits(base, r, 4);
    // Random values over the EXIF block: bad orientation, IFD offsets pointing anywhere, bad counts.
    return overwrite(base, r, exif + 10 + r.int(40), 1 + r.int(8));
  },
  'exif-huge-segment': (r, c) => {
    const base = r.pick(c.jpeg);
    const payload = new Uint8Array(65_000);
    for (let i = 0; i < payload.length; i++) payload[i] = r.int(256);
    payload.set(Buffer.from('Exif\0\0MM\0*\0\0\0\x08', 'latin1'));
    const segment = Buffer.concat([Buffer.from([0xff, 0xe1, (65_002 >> 8) & 0xff, 65_002 & 0xff]), payload]);
    return Buffer.concat([base.subarray(0, 2), segment, base.subarray(2)]);
  },
  'polyglot-zip': (r, c) => Buffer.concat([r.pick([...c.jpeg, ...c.png, ...c.gif]), ZIP_TAIL]),
  'polyglot-html': (r, c) => Buffer.concat([r.pick([...c.jpeg, ...c.png, ...c.webp]), HTML]),
  'html-then-image': (r, c) => Buffer.concat([HTML, r.pick(c.jpeg)]),
  'gif-js-header': (r, c) => {
    const out = Uint8Array.from(r.pick(c.gif));
    out.set(Buffer.from('/*'), 6); // GIFAR-style: the screen width bytes double as a JS comment opener
    return Buffer.concat([out, Buffer.from('*/=1;alert(1)//')]);
  },
  'tiny-files': (r) =>
    Uint8Array.from(
      r.pick([[], [0xff], [0xff, 0xd8], [0x89, 0x50, 0x4e, 0x47], [...Buffer.from('GIF89a')], [0, 0, 0, 0]]),
    ),
};

/** Header flips hit the first 32 bytes, where signatures and dimensions live. */
function flipHeader(r: Random, c: Corpus): Uint8Array {
  const base = anyBase(r, c);
  const out = Uint8Array.from(base);
  for (let i = 0, n = 1 + r.int(4); i < n; i++) out[r.int(Math.min(32, out.length))]! ^= 1 << r.int(8);
  return out;
}

const MUTATION_NAMES = Object.keys(MUTATIONS);

/** The fuzzed files for a seed, in order, without running them (to replay or save a case). */
export async function* generateFuzzCases(
  options: FuzzOptions,
): AsyncGenerator<{ index: number; mutation: string; bytes: Uint8Array }> {
  const random = seededRandom(options.seed);
  const corpus = await buildCorpus(random, options);
  for (let index = 0; index < options.count; index++) {
    const mutation = MUTATION_NAMES[index % MUTATION_NAMES.length]!;
    yield { index, mutation, bytes: await MUTATIONS[mutation]!(random, corpus) };
  }
}

const rssMb = () => Math.round(process.memoryUsage().rss / (1024 * 1024));

function collectGarbage() {
  (globalThis as { gc?: () => void }).gc?.();
}

type Outcome =
  | { kind: 'result' }
  | { kind: 'rejected'; code: string }
  | { kind: 'crash'; error: string }
  | { kind: 'hang' };

async function runOne(
  bytes: Uint8Array,
  spec: InputSpec,
  limits: ImageLimits | undefined,
  timeoutMs: number,
): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'hang' }), timeoutMs);
  });
  const work = prepareModelInput(bytes, spec, limits).then(
    (prepared): Outcome => {
      const { data, size } = prepared.input;
      if (data.length !== size * size * 3 || data.some((v) => !Number.isFinite(v))) {
        return { kind: 'crash', error: 'decoded to a malformed model input' };
      }
      return { kind: 'result' };
    },
    (error: unknown): Outcome =>
      error instanceof ImageRejectedError
        ? { kind: 'rejected', code: error.code }
        : {
            kind: 'crash',
            error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          },
  );
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runImageFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const spec = options.spec ?? DEFAULT_INPUT_SPEC;
  const timeoutMs = options.perFileTimeoutMs ?? 15_000;
  const report: FuzzReport = {
    fuzzedImages: 0,
    crashes: 0,
    hangs: 0,
    results: 0,
    clearErrors: 0,
    errorCodes: {},
    mutations: {},
    crashSamples: [],
    rssBeforeMb: 0,
    rssAfterMb: 0,
    durationMs: 0,
    seed: options.seed,
  };
  const started = performance.now();
  let baselineTaken = false;
  for await (const { index, mutation, bytes } of generateFuzzCases(options)) {
    if (!baselineTaken) {
      // Baseline after the corpus is built and sharp is warm, so it measures the fuzzing, not the set-up.
      await runOne(bytes, spec, options.limits, timeoutMs);
      collectGarbage();
      report.rssBeforeMb = rssMb();
      baselineTaken = true;
    }
    const outcome = await runOne(bytes, spec, options.limits, timeoutMs);
    report.fuzzedImages++;
    report.mutations[mutation] = (report.mutations[mutation] ?? 0) + 1;
    switch (outcome.kind) {
      case 'result':
        report.results++;
        break;
      case 'rejected':
        report.clearErrors++;
        report.errorCodes[outcome.code] = (report.errorCodes[outcome.code] ?? 0) + 1;
        break;
      case 'hang':
        report.hangs++;
        report.crashSamples.push({ index, mutation, error: `no answer within ${timeoutMs} ms` });
        break;
      case 'crash':
        report.crashes++;
        if (report.crashSamples.length < 20)
          report.crashSamples.push({ index, mutation, error: outcome.error });
        break;
    }
  }
  collectGarbage();
  report.rssAfterMb = rssMb();
  report.durationMs = Math.round(performance.now() - started);
  return report;
}
