/**
 * Issue 14 §13: a CLI on a terminal logs short human lines (warnings and errors by default); piped, it logs JSON
 * lines as the services do.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { chooseLogSetup } from '../src/log.ts';
import { humanLogLine } from '../src/log-human.ts';
import { imagewoofValDir, sharedModelEnv, skipWithoutPhotos } from './helpers/shared-data.ts';

describe('the log setup', () => {
  test('CLIs on a terminal: human lines at warn; piped CLIs and services: JSON at info', () => {
    assert.deepEqual(chooseLogSetup({}, { cli: true, stderrIsTTY: true }), {
      format: 'human',
      level: 'warn',
    });
    assert.deepEqual(chooseLogSetup({}, { cli: true, stderrIsTTY: false }), {
      format: 'json',
      level: 'info',
    });
    assert.deepEqual(chooseLogSetup({}, { cli: false, stderrIsTTY: true }), {
      format: 'json',
      level: 'info',
    });
    assert.deepEqual(chooseLogSetup({ NODE_ENV: 'test' }, { cli: false, stderrIsTTY: false }), {
      format: 'json',
      level: 'warn',
    });
  });

  test('LOG_FORMAT and LOG_LEVEL override the choice', () => {
    assert.deepEqual(chooseLogSetup({ LOG_FORMAT: 'json' }, { cli: true, stderrIsTTY: true }), {
      format: 'json',
      level: 'info',
    });
    assert.deepEqual(chooseLogSetup({ LOG_LEVEL: 'debug' }, { cli: true, stderrIsTTY: true }), {
      format: 'human',
      level: 'debug',
    });
    assert.deepEqual(chooseLogSetup({ LOG_FORMAT: 'human' }, { cli: false, stderrIsTTY: false }), {
      format: 'human',
      level: 'info',
    });
  });

  test('a human line keeps the level, the message, the error and the plain fields', () => {
    const json = JSON.stringify({
      level: 40,
      time: 1,
      pid: 2,
      hostname: 'h',
      backend: 'wasm',
      skipped: [{ name: 'x' }],
      err: { message: 'boom', stack: '…' },
      msg: 'model sync by timer failed',
    });
    assert.equal(humanLogLine(json + '\n'), 'warn: model sync by timer failed (boom, backend=wasm)\n');
    assert.equal(humanLogLine('not json\n'), 'not json\n');
  });
});

const hasScript = spawnSync('script', ['--version']).status === 0;
const photo = path.join(imagewoofValDir, 'n02111889', 'n02111889_10130.jpg');
// The runner's own LOG_LEVEL / NODE_ENV / LOG_FORMAT would decide for the CLI: leave the choice to it.
const {
  LOG_LEVEL: _level,
  NODE_ENV: _nodeEnv,
  LOG_FORMAT: _format,
  ...env
} = { ...process.env, ...sharedModelEnv } as NodeJS.ProcessEnv;
const jsonLines = (text: string) => text.split('\n').filter((l) => l.startsWith('{"level":'));

describe('npm run classify', { skip: skipWithoutPhotos }, () => {
  test('with stderr piped (not a terminal): JSON log lines at info, the answer on stdout', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/classify.ts', photo], {
      cwd: projectRoot,
      encoding: 'utf8',
      env,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Samoyed/);
    const lines = jsonLines(run.stderr);
    assert.ok(lines.length > 0, run.stderr);
    for (const line of lines) assert.equal((JSON.parse(line) as { level: number }).level, 30);
  });

  test(
    'on a terminal (script(1) pseudo-TTY): no JSON; nothing at info by default, human lines with LOG_LEVEL=info',
    { skip: hasScript ? false : 'needs script(1) from util-linux (absent)' },
    () => {
      const onTerminal = (extraEnv: Record<string, string>) => {
        const command = `node --import tsx src/cli/classify.ts '${photo}'`;
        const run = spawnSync('script', ['-qec', command, '/dev/null'], {
          cwd: projectRoot,
          encoding: 'utf8',
          env: { ...env, ...extraEnv },
        });
        assert.equal(run.status, 0, run.stdout);
        assert.match(run.stdout, /Samoyed/);
        assert.deepEqual(jsonLines(run.stdout), []);
        return run.stdout;
      };
      assert.doesNotMatch(onTerminal({}), /^info: /m);
      assert.match(
        onTerminal({ LOG_LEVEL: 'info' }),
        /^info: backbone loaded \(backbone=mobilenet_v1_0\.75_224/m,
      );
    },
  );
});
