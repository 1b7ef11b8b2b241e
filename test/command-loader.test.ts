/**
 * The command loader's declarative side: folders are commands whose files are subcommands, in the order the
 * folder's _command.ts gives, and what is for moderators says which action a refusal names.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { loadCommands } from '../src/discord/command-loader.ts';

const subcommandsOf = (json: unknown) =>
  ((json as RESTPostAPIChatInputApplicationCommandsJSONBody).options ?? []).map((o) => o.name);

test('a folder is one command: /settings, /model and /moderate list one subcommand per file, in their order', async () => {
  const { slash } = await loadCommands();
  assert.deepEqual(subcommandsOf(slash.get('settings')!.data.toJSON()), [
    'show',
    'channel',
    'auto-classify',
    'moderator-role',
    'rate-limits',
  ]);
  assert.deepEqual(subcommandsOf(slash.get('model')!.data.toJSON()), ['info', 'rollback', 'switch']);
  assert.deepEqual(subcommandsOf(slash.get('moderate')!.data.toJSON()), ['purge', 'review']);
});

test('loading the commands again (a second bot in one process) does not register subcommands twice', async () => {
  await loadCommands();
  const { json } = await loadCommands();
  assert.equal(subcommandsOf(json.find((c) => c.name === 'settings')).length, 5);
});

test('the moderator commands are declared moderatorOnly; the others are not', async () => {
  const { slash } = await loadCommands();
  assert.equal(slash.get('retrain')!.moderatorOnly, true);
  for (const name of ['classify', 'forget', 'label', 'stats'])
    assert.ok(!slash.get(name)!.moderatorOnly, name);
});

test('the loader refuses a moderatorOnly command that does not name the action its refusal states', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-commands-'));
  writeFileSync(
    path.join(dir, 'secret.js'),
    "export default { data: { name: 'secret', toJSON: () => ({ name: 'secret' }) }, moderatorOnly: true, execute: async () => {} };\n",
  );
  await assert.rejects(loadCommands(dir), /secret\.js: a `moderatorOnly` command names its `action`/);
});
