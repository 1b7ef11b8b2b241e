import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { projectRoot } from '../src/config.ts';

function runModelCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/model.ts', ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
