/**
 * The /model switch command's own parts, without a model: its definition, the autocomplete choices over the
 * backbone entries, the progress line of its reply, and a running switch in /model info. The switch itself runs
 * end to end in test/backbone-switch.test.ts.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { modelInfoEmbed } from '../commands/model/info.ts';
import { backboneChoices, switchProgressLine } from '../commands/model/switch.ts';
import { projectRoot } from '../src/config.ts';
import { loadCommands } from '../src/discord/command-loader.ts';
import { backboneEntryIds } from '../src/learning/backbone-switch.ts';

const entries = backboneEntryIds(path.join(projectRoot, 'models'));

test('the entries a switch accepts are the models/<id>.model.json files', () => {
  assert.ok(entries.includes('mobilenet_v1_0.75_224'));
  assert.ok(entries.includes('mobilenet_edgetpu_224_1.0'));
  assert.ok(entries.every((id) => !id.endsWith('.json')));
  assert.deepEqual(entries, [...entries].sort());
});

test('/model switch takes one required, autocompleted backbone option and says it is for moderators', async () => {
  const json = (await loadCommands()).slash
    .get('model')!
    .data.toJSON() as RESTPostAPIChatInputApplicationCommandsJSONBody;
  const sub = json.options?.find((o) => o.name === 'switch') as
    | { description: string; options?: { name: string; required?: boolean; autocomplete?: boolean }[] }
    | undefined;
  assert.ok(sub, 'the switch subcommand exists');
  assert.match(sub.description, /\(moderators\)$/);
  assert.deepEqual(
    sub.options?.map((o) => [o.name, o.required, o.autocomplete]),
    [['backbone', true, true]],
  );
});

test('autocomplete filters the entries by what was typed, case-insensitively, at most 25', () => {
  assert.deepEqual(
    backboneChoices(entries, 'EDGETPU_224').map((c) => c.value),
    ['mobilenet_edgetpu_224_1.0'],
  );
  assert.deepEqual(backboneChoices(entries, 'no such backbone'), []);
  const many = Array.from({ length: 40 }, (_, i) => `net_${i}`);
  assert.equal(backboneChoices(many, '').length, 25);
});

test('the reply counts the re-embedded photos, then the training epochs', () => {
  const embedding = switchProgressLine(
    { fraction: 0.25, stage: 'embedding', done: 12, total: 48 },
    'mobilenet_edgetpu_224_1.0',
  );
  assert.match(
    embedding,
    /^Switching to mobilenet\\_edgetpu\\_224\\_1\.0… `.+` · re-embedded 12\/48 photos$/,
  );
  const training = switchProgressLine({ fraction: 0.7, stage: 'training', epoch: 3, epochs: 20 });
  assert.match(training, /^Switching the backbone… `.+` · training epoch 3\/20$/);
});

test('/model info shows a running switch', () => {
  const info = {
    activeVersion: 'base-x',
    backend: 'wasm',
    detector: null,
    backboneId: 'x',
    breeds: 118,
    history: [],
  };
  const idle = modelInfoEmbed(info).toJSON();
  assert.ok(!idle.fields?.some((f) => f.name === 'Training'));
  const running = modelInfoEmbed(info, { fraction: 0.3, stage: 'embedding', done: 5, total: 9 }).toJSON();
  assert.match(running.fields?.find((f) => f.name === 'Training')?.value ?? '', /re-embedded 5\/9 photos/);
});
