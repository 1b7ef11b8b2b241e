import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from './helpers/run-cli.ts';

const runModelCli = (args: string[], env: Record<string, string>) => runCli('src/cli/model.ts', args, env);

let tmp: string;
before(async () => (tmp = await mkdtemp(path.join(os.tmpdir(), 'breedbot-model-cli-'))));
after(async () => rm(tmp, { recursive: true, force: true }));

test('model list and info work on a fresh SQLite database (the CLI migrates it)', async () => {
  const file = path.join(tmp, 'fresh.db');
  const env = {
    DATABASE_URL: `file:${file}`,
    DATA_DIR: path.join(tmp, 'data'),
    MODELS_DIR: path.join(tmp, 'models'),
  };
  const list = await runModelCli(['list', '--json'], env);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout), { versions: [], notInDatabase: [] });
  assert.ok(existsSync(file));

  const info = await runModelCli(['info'], env);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /the base model/);
});
