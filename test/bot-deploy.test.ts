/** `npm run deploy-commands` registers every command file, guild-scoped with GUILD_ID, against any REST URL. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { startFakeDiscord } from '../src/sandbox/fake-discord/index.ts';

/** Async spawn: the fake answering the script lives in this process's event loop. */
const run = (env: Record<string, string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/deploy-commands.ts'], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });

test('deploy-commands registers the nine commands in a guild, then globally', async () => {
  const fake = await startFakeDiscord();
  try {
    const base = { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl };
    const guildId = fake.guild.guild.id;
    const guild = await run({ ...base, GUILD_ID: guildId });
    assert.equal(guild.status, 0, guild.stderr);
    assert.match(guild.stdout, new RegExp(`Registered 9 commands \\(guild ${guildId}\\)`));
    assert.deepEqual(
      fake
        .commands(guildId)
        .map((c) => c.name)
        .sort(),
      ['Classify breed', 'classify', 'forget', 'label', 'model', 'moderate', 'retrain', 'settings', 'stats'],
    );
    const global = await run(base);
    assert.equal(global.status, 0, global.stderr);
    assert.equal(fake.commands().length, 9);
  } finally {
    await fake.close();
  }
});

test('deploy-commands without a token explains what is missing', () => {
  const { DISCORD_TOKEN: _t, ...env } = process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/deploy-commands.ts'], {
    cwd: projectRoot,
    env,
    encoding: 'utf8',
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /DISCORD_TOKEN is not set/);
});
