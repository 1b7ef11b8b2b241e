/**
 * `npm test`: makes sure generated code exists, then runs every test/**\/*.test.ts file with node's
 * own test runner (its closing `ℹ pass N` / `ℹ fail N` lines are what CI reads).
 * Pass file paths or name fragments to run a subset: `npm test -- images fake-discord`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/config.ts';

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return name === 'fixtures' ? [] : findTests(full);
    return name.endsWith('.test.ts') ? [full] : [];
  });
}

if (!existsSync(path.join(projectRoot, 'src/generated/prisma'))) {
  const gen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/prisma-generate.ts'], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  if (gen.status !== 0) process.exit(gen.status ?? 1);
}

const filters = process.argv.slice(2);
const all = findTests(path.join(projectRoot, 'test')).sort();
const selected = filters.length ? all.filter((f) => filters.some((q) => f.includes(q))) : all;
if (selected.length === 0) {
  console.error(`No test files match ${JSON.stringify(filters)}`);
  process.exit(1);
}

const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=600000', ...selected],
  { cwd: projectRoot, stdio: 'inherit', env: { NODE_ENV: 'test', ...process.env } },
);
process.exit(result.status ?? 1);
