/**
 * `npm run gpu:pack`: writes gpu-pack/ (git-ignored, under 60 MiB), a folder that runs the GPU proof
 * (src/gpu-proof) on a bare x86-64 Linux machine with no network and no Node.js: `./run.sh`, results in $OUT.
 *
 *   node.gz          this machine's node binary (stripped when `strip` exists), gzip: the target unpacks it with gzip
 *   payload.tar.br   everything else, brotli (unpacked by that node): the proof bundle, Dawn, sharp, the wasm
 *                    files, the default backbone, photos resized to its input size, and the Vulkan loader .debs
 *   run.sh           unpacks, sets the Vulkan variables, runs the proof, writes gpu-proof.json and logs to $OUT
 *
 * Flags: --out=DIR (default gpu-pack), --photos=N (default 300), --fast (quick, larger compression: for tests),
 * --debs=DIR (where the Vulkan loader .debs are kept between runs; default .gl, as the device README does).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import sharp from 'sharp';
import { loadConfig, projectRoot } from '../src/config.ts';
import { loadClassifierRuntime } from '../src/model/index.ts';
import { PHOTO_LIST } from '../src/gpu-proof/photos.ts';

export const PACK_LIMIT_BYTES = 60 * 1024 * 1024;
/** The packages the device README fetches for Vulkan (and EGL/GL, whose dispatch libraries NVIDIA's ICD uses). */
export const VULKAN_DEBS = [
  'libvulkan1',
  'libegl1',
  'libglvnd0',
  'libopengl0',
  'libgl1',
  'libglx0',
  'libgles2',
];

const require = createRequire(import.meta.url);

/** The folder of an installed package, found from its entry point (some packages do not export package.json). */
function packageDir(name: string): string {
  let dir = path.dirname(require.resolve(name));
  while (!existsSync(path.join(dir, 'package.json')) || !dir.endsWith(path.join('node_modules', name))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of the package ${name}`);
    dir = parent;
  }
  return dir;
}

interface PackOptions {
  out: string;
  photos: number;
  fast: boolean;
  debs: string;
}

function parseArgs(argv: string[]): PackOptions {
  const options: PackOptions = {
    out: path.join(projectRoot, 'gpu-pack'),
    photos: 300,
    fast: false,
    debs: path.join(projectRoot, '.gl'),
  };
  for (const arg of argv) {
    const [name, value] = arg.replace(/^--/, '').split('=', 2) as [string, string | undefined];
    if (name === 'fast') options.fast = true;
    else if (name === 'out' && value) options.out = path.resolve(value);
    else if (name === 'debs' && value) options.debs = path.resolve(value);
    else if (name === 'photos' && value && Number.isInteger(Number(value))) options.photos = Number(value);
    else throw new Error(`unknown argument '${arg}' (--out=DIR --photos=N --fast --debs=DIR)`);
  }
  return options;
}

const say = (line: string) => process.stderr.write(`gpu-pack: ${line}\n`);

/** The default backbone as the bot resolves it (BACKBONE / BASE_MODEL and the model loader), and its config. */
async function resolveDefaultBackbone(): Promise<{
  modelDir: string;
  configPath: string;
  inputSize: number;
}> {
  const runtime = await loadClassifierRuntime(
    { ...loadConfig(), TF_BACKEND: 'wasm' },
    { embedEngine: 'inprocess' },
  );
  try {
    const { backbone, modelConfig } = runtime;
    if ((backbone as { members?: unknown[] }).members?.length) {
      throw new Error(`the default backbone ${backbone.id} is an ensemble; the proof packs one network`);
    }
    return {
      modelDir: backbone.source.dir,
      configPath: modelConfig.configPath,
      inputSize: modelConfig.inputSize,
    };
  } finally {
    await runtime.close();
  }
}

/** The model folder and its config; a TFLite entry's resolved folder is a tfjs layers model, so the copy says so. */
async function packModel(
  app: string,
  model: Awaited<ReturnType<typeof resolveDefaultBackbone>>,
): Promise<void> {
  await cp(model.modelDir, path.join(app, 'model'), { recursive: true });
  const configDir = path.join(app, 'model-config');
  await mkdir(configDir);
  const entry = JSON.parse(await readFile(model.configPath, 'utf8')) as Record<string, unknown>;
  if (entry.format === 'tflite') {
    entry.format = 'layers';
    delete entry.sha256;
  }
  await writeFile(path.join(configDir, 'model.json'), JSON.stringify(entry, null, 2));
  for (const key of ['labelsFile', 'synsetsFile']) {
    const file = entry[key];
    const source = typeof file === 'string' ? path.join(path.dirname(model.configPath), file) : '';
    if (source && existsSync(source)) await copyFile(source, path.join(configDir, file as string));
  }
}

/** `count` imagewoof training photos, class by class in turn, centre-cropped to size x size JPEGs. */
async function packPhotos(app: string, count: number, size: number): Promise<void> {
  const root = path.resolve(projectRoot, '../shared/datasets/imagewoof/train');
  if (!existsSync(root))
    throw new Error(`needs ../shared/datasets/imagewoof/train for the photos (absent: ${root})`);
  const classes = readdirSync(root).sort();
  const files = classes.map((synset) =>
    readdirSync(path.join(root, synset))
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort(),
  );
  const dir = path.join(app, 'photos');
  await mkdir(dir);
  const rows: string[] = [];
  for (let i = 0; rows.length < count; i++) {
    const synset = classes[i % classes.length]!;
    const file = files[i % classes.length]![Math.floor(i / classes.length)];
    if (file === undefined) throw new Error(`only ${rows.length} photos in ${root}, asked for ${count}`);
    const name = `${String(rows.length).padStart(4, '0')}.jpg`;
    await sharp(path.join(root, synset, file))
      .rotate()
      .resize(size, size, { fit: 'cover' })
      .jpeg({ quality: 80 })
      .toFile(path.join(dir, name));
    rows.push(`${name}\t${synset}`);
  }
  await writeFile(path.join(dir, PHOTO_LIST), rows.join('\n') + '\n');
}

/** The proof as one ESM file; native addons stay outside it, in app/node_modules. */
async function bundleProof(app: string): Promise<void> {
  await build({
    entryPoints: [path.join(projectRoot, 'src/gpu-proof/main.ts')],
    outfile: path.join(app, 'gpu-proof.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['webgpu', 'sharp', '*.node'],
    minify: true,
    keepNames: true,
    // CommonJS packages inside the bundle still call require and read __dirname.
    banner: {
      js: [
        "import { createRequire as __packRequire } from 'node:module';",
        "import { fileURLToPath as __packPath } from 'node:url';",
        'const require = __packRequire(import.meta.url);',
        'const __filename = __packPath(import.meta.url);',
        "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
      ].join('\n'),
    },
    logLevel: 'warning',
  });
  const modules = path.join(app, 'node_modules');
  const webgpu = packageDir('webgpu');
  await mkdir(path.join(modules, 'webgpu/dist/linux-x64'), { recursive: true });
  for (const file of ['index.js', 'package.json']) {
    await copyFile(path.join(webgpu, file), path.join(modules, 'webgpu', file));
  }
  await copyStripped(
    path.join(webgpu, 'dist/linux-x64/dawn.node'),
    path.join(modules, 'webgpu/dist/linux-x64/dawn.node'),
  );
  const sharpDir = packageDir('sharp');
  // Node's lookup from sharp's own folder: its node_modules first, then the project's.
  const installed = (pkg: string) =>
    [path.join(sharpDir, 'node_modules', pkg), path.join(projectRoot, 'node_modules', pkg)].find((d) =>
      existsSync(path.join(d, 'package.json')),
    );
  for (const pkg of [
    'sharp',
    '@img/colour',
    'detect-libc',
    'semver',
    '@img/sharp-linux-x64',
    '@img/sharp-libvips-linux-x64',
  ]) {
    const dir = pkg === 'sharp' ? sharpDir : installed(pkg);
    if (!dir) throw new Error(`sharp needs ${pkg}, which is not installed`);
    await cp(dir, path.join(modules, pkg), {
      recursive: true,
      filter: (f) => !f.includes(`${path.sep}src${path.sep}`),
    });
  }
  const wasm = packageDir('@tensorflow/tfjs-backend-wasm');
  const wasmOut = path.join(modules, '@tensorflow/tfjs-backend-wasm');
  await mkdir(path.join(wasmOut, 'dist'), { recursive: true });
  await copyFile(path.join(wasm, 'package.json'), path.join(wasmOut, 'package.json'));
  // Node runs tfjs-wasm single-threaded (its thread check fails there), so the threaded build is left out.
  for (const f of readdirSync(path.join(wasm, 'dist')).filter(
    (f) => f.endsWith('.wasm') && !f.includes('threaded'),
  )) {
    await copyFile(path.join(wasm, 'dist', f), path.join(wasmOut, 'dist', f));
  }
}

/** The Vulkan loader .debs, fetched with apt-get download as the device README does (kept in `cache`). */
function fetchVulkanDebs(cache: string): string[] {
  const have = () => (existsSync(cache) ? readdirSync(cache).filter((f) => f.endsWith('.deb')) : []);
  const missing = VULKAN_DEBS.filter((pkg) => !have().some((f) => f.startsWith(`${pkg}_`)));
  if (missing.length > 0) {
    say(`fetching ${missing.join(' ')} with apt-get download into ${cache}`);
    const lists = path.join(os.tmpdir(), 'amd64');
    execFileSync('mkdir', ['-p', cache, path.join(lists, 'partial')]);
    const o = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
    execFileSync('apt-get', [...o, 'update'], { stdio: 'ignore' });
    execFileSync('apt-get', [...o, 'download', ...missing], { cwd: cache, stdio: 'ignore' });
  }
  return VULKAN_DEBS.map((pkg) => {
    const file = have().find((f) => f.startsWith(`${pkg}_`));
    if (!file) throw new Error(`apt-get download gave no ${pkg} .deb in ${cache}`);
    return path.join(cache, file);
  });
}

/** The debs themselves, and their libraries unpacked here too: the target may have no dpkg. */
async function packVulkan(app: string, debs: string[]): Promise<void> {
  await mkdir(path.join(app, 'debs'));
  for (const deb of debs) {
    await copyFile(deb, path.join(app, 'debs', path.basename(deb)));
    execFileSync('dpkg-deb', ['-x', deb, path.join(app, 'vulkan')]);
  }
  await rm(path.join(app, 'vulkan/usr/share'), { recursive: true, force: true });
}

/** A copy without debug symbols (the pack's size limit is tight); a plain copy where `strip` is missing. */
async function copyStripped(from: string, to: string): Promise<void> {
  try {
    execFileSync('strip', ['-o', to, from], { stdio: 'ignore' });
  } catch {
    say(`strip is not available: ${path.basename(from)} keeps its symbols`);
    await copyFile(from, to);
  }
}

async function packNode(out: string, staging: string, fast: boolean): Promise<void> {
  const binary = path.join(staging, 'node');
  await copyStripped(process.execPath, binary);
  await pipeline(
    createReadStream(binary),
    zlib.createGzip({ level: fast ? 1 : 9 }),
    createWriteStream(path.join(out, 'node.gz')),
  );
}

async function packPayload(out: string, staging: string, fast: boolean): Promise<void> {
  const tar = path.join(staging, 'payload.tar');
  execFileSync('tar', ['-cf', tar, '-C', staging, 'app']);
  const size = statSync(tar).size;
  await pipeline(
    createReadStream(tar),
    zlib.createBrotliCompress({
      params: {
        [zlib.constants.BROTLI_PARAM_QUALITY]: fast ? 4 : 9,
        [zlib.constants.BROTLI_PARAM_LGWIN]: 24,
        [zlib.constants.BROTLI_PARAM_SIZE_HINT]: size,
      },
    }),
    createWriteStream(path.join(out, 'payload.tar.br')),
  );
}

async function writeRunScript(out: string): Promise<void> {
  const script = path.join(out, 'run.sh');
  await copyFile(path.join(projectRoot, 'src/gpu-proof/run.sh'), script);
  await chmod(script, 0o755);
}

const folderBytes = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const full = path.join(dir, entry.name);
    return sum + (entry.isDirectory() ? folderBytes(full) : statSync(full).size);
  }, 0);

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const began = performance.now();
  const staging = await mkdtemp(path.join(os.tmpdir(), 'gpu-pack-'));
  const app = path.join(staging, 'app');
  try {
    await mkdir(app);
    const model = await resolveDefaultBackbone();
    say(`backbone ${model.configPath} from ${model.modelDir}`);
    await packModel(app, model);
    await packPhotos(app, options.photos, model.inputSize);
    say(`${options.photos} photos at ${model.inputSize}x${model.inputSize}`);
    await bundleProof(app);
    await packVulkan(app, fetchVulkanDebs(options.debs));
    await rm(options.out, { recursive: true, force: true });
    await mkdir(options.out, { recursive: true });
    await packNode(options.out, staging, options.fast);
    await packPayload(options.out, staging, options.fast);
    await writeRunScript(options.out);
    const bytes = folderBytes(options.out);
    const summary = {
      builtAt: new Date().toISOString(),
      node: process.version,
      backbone: path.basename(model.configPath),
      photos: options.photos,
      bytes,
      limitBytes: PACK_LIMIT_BYTES,
    };
    await writeFile(path.join(options.out, 'pack.json'), JSON.stringify(summary, null, 2) + '\n');
    say(
      `${options.out}: ${(bytes / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - began) / 1000).toFixed(0)} s`,
    );
    if (options.fast) say('--fast compresses less: the 60 MiB limit is only checked without it');
    else if (bytes > PACK_LIMIT_BYTES) {
      throw new Error(
        `the pack is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the 60 MiB limit: use fewer --photos`,
      );
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

try {
  await main();
  process.exit(0);
} catch (err) {
  process.stderr.write(`gpu-pack failed: ${(err as Error).message}\n`);
  process.exit(1);
}
