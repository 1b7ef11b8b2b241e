/**
 * `npm run db:generate` (also `postinstall`): writes the PostgreSQL schema derived from prisma/schema.prisma and
 * generates both Prisma clients into src/generated/prisma/{sqlite,postgresql}, with no network access.
 *
 * The Prisma CLI wants to download its Rust schema engine before generating, which fails offline; generation
 * itself does not run that engine, so pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file (node itself)
 * skips the download. The generated clients run on driver adapters and need no engine at all.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../src/config.ts';
import { providerFiles, writeDerivedPostgresSchema, type Provider } from '../src/storage/schema-files.ts';

const require = createRequire(import.meta.url);

function prismaCliPath(): string {
  const pkgPath = require.resolve('prisma/package.json');
  const bin = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { bin: Record<string, string> }).bin.prisma;
  if (!bin) throw new Error('the prisma package declares no `prisma` bin');
  return path.resolve(path.dirname(pkgPath), bin);
}

const offlinePrismaEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
  PRISMA_HIDE_PREVIEW_FLAG_WARNINGS: '1',
});

function generate(provider: Provider): void {
  const { configPath } = providerFiles[provider];
  const result = spawnSync(process.execPath, [prismaCliPath(), 'generate', '--config', configPath], {
    cwd: projectRoot,
    env: offlinePrismaEnv(),
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`prisma generate failed for ${provider} (exit ${result.status ?? result.signal})`);
  }
  process.stderr.write(
    `prisma: generated the ${provider} client into ${path.relative(projectRoot, providerFiles[provider].clientDir)}\n`,
  );
}

{
  try {
    if (writeDerivedPostgresSchema())
      process.stderr.write('prisma: updated prisma/postgresql/schema.prisma\n');
    generate('sqlite');
    generate('postgresql');
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  }
}
