/**
 * `npm start` without a token: the sandbox comes up, prints its URL and backend, answers a photo posted
 * through the page's own server, and shuts down cleanly on SIGTERM.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { sharedModelEnv, skipWithoutSharedModel } from './helpers/shared-data.ts';

test(
  'npm start runs the sandbox, prints its URL, and exits cleanly on SIGTERM',
  { skip: skipWithoutSharedModel },
  async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-main-'));
    const { DISCORD_TOKEN: _token, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: projectRoot,
      env: {
        ...env,
        ...sharedModelEnv,
        SANDBOX_PORT: '0',
        DATABASE_URL: `file:${path.join(dir, 'main.db')}`,
        DATA_DIR: path.join(dir, 'data'),
        MODELS_DIR: path.join(dir, 'models'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no sandbox URL within 120 s\n${stdout}\n${stderr}`)),
          120_000,
        );
        child.stdout.on('data', () => {
          const m = /breedbot sandbox: open (http:\/\/127\.0\.0\.1:\d+\/?)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        void exited.then((code) => reject(new Error(`exited early with ${code}\n${stdout}\n${stderr}`)));
      });
      assert.match(stdout, /model backend [\w-]+ · database/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
