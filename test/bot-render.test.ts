import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ApplicationCommandType, PermissionFlagsBits } from 'discord.js';
import type { ReplyItem } from '../src/features/classify/types.ts';
import { statsEmbed } from '../commands/stats.ts';
import { loadCommands } from '../src/discord/command-loader.ts';
import { parseMessageRef } from '../src/discord/message-ref.ts';
import { confidenceBar, crowdLine, reactionPosition, renderReply, safeText } from '../src/discord/render.ts';

const dog = (top: string, p: number, version = 'base-x'): ReplyItem => ({
  predictionId: '1',
  imageId: '1',
  crowd: null,
  result: {
    isDog: true,
    dogProbability: 0.95,
    modelVersion: version,
    top5: [top, 'B', 'C', 'D', 'E'].map((breed, i) => ({ breed, probability: i === 0 ? p : (1 - p) / 4 })),
  },
});

test('confidence bars are ten blocks and a rounded percentage', () => {
  assert.equal(confidenceBar(0.41), '████░░░░░░ 41%');
  assert.equal(confidenceBar(1), '██████████ 100%');
  assert.equal(confidenceBar(Number.NaN), '░░░░░░░░░░ 0%');
});

test('one dog photo: an embed with five bars, the model version, and reactions wanted', () => {
  const r = renderReply([dog('Beagle', 0.81, 'v7')]);
  assert.equal(r.wantsReactions, true);
  const e = r.embeds[0]!.toJSON();
  assert.match(e.title!, /Beagle/);
  assert.equal(e.description!.split('\n').length, 5);
  assert.match(e.description!, /1️⃣ \*\*Beagle\*\* {2}`████████░░ 81%`/);
  assert.match(e.footer!.text, /model v7/);
});

test('a low top-1 asks people for help', () => {
  assert.match(renderReply([dog('Beagle', 0.2)]).embeds[0]!.toJSON().description!, /Not sure: which is it\?/);
});

test('not a dog: a short line and no reactions', () => {
  const cat: ReplyItem = {
    ...dog('x', 0.5),
    result: { ...dog('x', 0.5).result, isDog: false, lookslike: { label: 'tabby', probability: 0.81 } },
  };
  const r = renderReply([cat]);
  assert.equal(r.content, "That doesn't look like a dog — more like tabby (81%).");
  assert.equal(r.embeds.length, 0);
  assert.equal(r.wantsReactions, false);
});

test('several photos: one embed each; reactions only when exactly one is a dog', () => {
  const two = renderReply([dog('Beagle', 0.8), dog('Pug', 0.9)]);
  assert.equal(two.embeds.length, 2);
  assert.equal(two.wantsReactions, false);
  assert.match(two.content!, /photo:<n>/);
  const oneDog = renderReply([dog('Beagle', 0.8), { error: 'That file is empty.' }]);
  assert.equal(oneDog.wantsReactions, true);
  assert.match(oneDog.embeds[1]!.toJSON().description!, /empty/);
});

test('user text is escaped, defused and truncated', () => {
  assert.equal(safeText('@everyone'), '@\u200beveryone');
  assert.equal(safeText('**bold**'), '\\*\\*bold\\*\\*');
  assert.equal(safeText('x'.repeat(500)).length, 100);
  const r = renderReply([
    { ...dog('@everyone', 0.9), crowd: { breed: '@here', votes: 3, voters: 4, byModerator: false } },
  ]);
  const json = JSON.stringify(r.embeds[0]!.toJSON());
  assert.doesNotMatch(json, /@everyone|@here/);
  assert.equal(
    crowdLine({ breed: 'Beagle', votes: 3, voters: 3, byModerator: false }),
    '3 people say: **Beagle**',
  );
});

test('a tie shows the disagreement instead of dropping the Labels line', () => {
  const split = [
    { breed: 'Leonberg', votes: 1 },
    { breed: 'Tibetan Mastiff', votes: 1 },
  ];
  const crowd = { breed: 'Leonberg', votes: 1, voters: 2, byModerator: false, split };
  assert.equal(crowdLine(crowd), '1 says **Leonberg**, 1 says **Tibetan Mastiff**');
  assert.equal(
    crowdLine({ ...crowd, split: split.map((s) => ({ ...s, votes: 2 })) }),
    '2 say **Leonberg**, 2 say **Tibetan Mastiff**',
  );
  const r = renderReply([{ ...dog('Leonberg', 0.5), crowd }]);
  const field = r.embeds[0]!.toJSON().fields!.find((f) => f.name === 'Labels');
  assert.equal(field?.value, '1 says **Leonberg**, 1 says **Tibetan Mastiff**');
});

test('/stats says what its percentages measure, and that there is nothing to measure yet on a new server', () => {
  const field = (e: ReturnType<typeof statsEmbed>, name: string) =>
    e.toJSON().fields!.find((f) => f.name === name)?.value ?? '';
  const empty = statsEmbed({
    labels: 0,
    labelsPerBreed: [],
    topLabellers: [],
    agreementRate: null,
    agreementImages: 0,
    botMatch: { matched: 0, compared: 0 },
    mostConfused: [],
  });
  assert.match(field(empty, 'Bot vs people'), /^Nothing to measure yet/);
  assert.match(field(empty, 'Agreement between people'), /^Nothing to compare yet/);
  assert.doesNotMatch(JSON.stringify(empty.toJSON()), /\b0%/);
  const some = statsEmbed({
    labels: 7,
    labelsPerBreed: [],
    topLabellers: [],
    agreementRate: 0,
    agreementImages: 1,
    botMatch: { matched: 3, compared: 4 },
    mostConfused: [],
  });
  assert.equal(
    field(some, 'Bot vs people'),
    "75% — the bot's top guess matched the people's answer on 3 of 4 photos",
  );
  assert.match(
    field(some, 'Agreement between people'),
    /^0% — of the 1 photo labelled by two or more people/,
  );
});

test('number reactions map to positions 1..5, anything else to null', () => {
  assert.deepEqual(['1️⃣', '2️⃣', '5️⃣', '❌', '6️⃣', null].map(reactionPosition), [1, 2, 5, null, null, null]);
});

test('message references: links and ids parse, junk and DMs are refused clearly', () => {
  assert.deepEqual(parseMessageRef('https://discord.com/channels/1/2/3'), {
    guildId: '1',
    channelId: '2',
    messageId: '3',
  });
  assert.deepEqual(parseMessageRef(' 123456789012345678 '), { messageId: '123456789012345678' });
  assert.throws(() => parseMessageRef('https://discord.com/channels/@me/2/3'), { code: 'foreign-guild' });
  assert.throws(() => parseMessageRef('x'.repeat(5000)), { code: 'argument-too-long' });
  assert.throws(() => parseMessageRef('hello'), { code: 'not-found' });
});

test('the loader finds every command file with valid discord.js payloads', async () => {
  const { slash, message, json } = await loadCommands();
  assert.deepEqual([...slash.keys()].sort(), [
    'classify',
    'forget',
    'label',
    'model',
    'moderate',
    'retrain',
    'settings',
    'stats',
  ]);
  assert.deepEqual([...message.keys()], ['Classify breed']);
  assert.equal(json.length, 9);
  const retrain = json.find((c) => c.name === 'retrain')!;
  assert.equal(retrain.default_member_permissions, String(PermissionFlagsBits.ManageGuild));
  const settings = json.find((c) => c.name === 'settings')!;
  assert.equal(settings.default_member_permissions, String(PermissionFlagsBits.ManageGuild));
  assert.equal(json.find((c) => c.name === 'Classify breed')!.type, ApplicationCommandType.Message);
  const label = json.find((c) => c.name === 'label') as {
    options: { name: string; autocomplete?: boolean }[];
  };
  assert.equal(label.options.find((o) => o.name === 'breed')!.autocomplete, true);
});

test('the loader refuses a command file without execute', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'breedbot-commands-'));
  writeFileSync(
    path.join(dir, 'broken.js'),
    "export default { data: { name: 'x', toJSON: () => ({ name: 'x' }) } };\n",
  );
  await assert.rejects(loadCommands(dir), /broken\.js: must export an `execute` function/);
});
