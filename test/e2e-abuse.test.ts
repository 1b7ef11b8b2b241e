/**
 * Bad input and bad actors through the fake Discord with the real bot (issue 6 §1-2): hostile arguments never
 * ping and never render as markup; unknown breeds get the nearest five; other servers' messages and private
 * addresses are refused; members without rights are refused every moderator action with no side effect; a label
 * spammer cannot flip what others agree on (consensus and the training dataset); /moderate purge|review, /forget
 * (and the replies they change re-render)
 * and `npm run export`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBotRig, type BotRig } from './abuse/bot-rig.ts';
import { dogPhotos, missingSharedInputs } from './helpers/shared-data.ts';
import { projectRoot } from '../src/config.ts';
import { datasetFromStore } from '../src/learning/index.ts';
import type { FakeMessage, RecordedRequest } from '../src/sandbox/fake-discord/index.ts';

const skip = missingSharedInputs() ?? false;
/** Under 100 characters with real ids, so it reaches the breed lookup rather than the length check. */
const HOSTILE = '@everyone <@&ROLE> <@USER> [x](http://x.io) `c` **b**';
const photo = (i: number) => ({
  filename: `dog-${i}.jpg`,
  bytes: readFileSync(dogPhotos(i + 1)[i]!),
  contentType: 'image/jpeg',
});

/** Polls until `probe` holds (reactions have no answer to wait for). */
async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Everything the bot wrote: channel messages, interaction callbacks, edits. */
const botWrites = (requests: RecordedRequest[]) =>
  requests.filter(
    (r) =>
      ['POST', 'PATCH'].includes(r.method) &&
      /^\/(channels\/:channel\/messages|webhooks|interactions)/.test(r.route ?? '') &&
      r.body &&
      typeof r.body === 'object',
  );
/** Mentions or masked links outside code spans. */
const RAW_INJECTION = /@everyone|@here|<@[&!]?\d+>|\]\(http/;
const outsideCode = (text: string) => text.replace(/`[^`]*`/g, '');
function assertNoPingNoMarkup(rig: BotRig, from: number) {
  for (const r of botWrites(rig.fake.requests.slice(from))) {
    const body = r.body as {
      allowed_mentions?: { parse?: string[] };
      data?: { allowed_mentions?: { parse?: string[] } };
    };
    const allowed = body.allowed_mentions ?? body.data?.allowed_mentions;
    // Defers (5) and autocomplete choices (8) carry no message content.
    if ([5, 8].includes((body as { type?: number }).type ?? 0)) continue;
    assert.deepEqual(allowed?.parse, [], `${r.method} ${r.path} without allowed_mentions.parse = []`);
    const text = JSON.stringify(body.data ?? body);
    assert.doesNotMatch(
      outsideCode(text),
      RAW_INJECTION,
      `${r.path} renders raw injection: ${text.slice(0, 300)}`,
    );
  }
  for (const m of rig.fake.messages.all().filter((x) => x.author.id === rig.fake.users.bot.id)) {
    assert.equal(m.mention_everyone, false, m.content);
    assert.deepEqual(m.mentions, [], m.content);
    assert.deepEqual(m.mention_roles, [], m.content);
  }
}

describe('hostile input and bad actors against the real bot', { skip }, () => {
  let rig: BotRig;
  let hostile: string;
  const replies: FakeMessage[] = [];
  before(async () => {
    rig = await startBotRig();
    hostile = HOSTILE.replace('ROLE', rig.fake.guild.moderatorRole.id).replace(
      'USER',
      rig.fake.users.alice.id,
    );
    for (const i of [0, 1, 2, 3]) {
      const posted = await rig.fake.postMessage({
        channelId: rig.channelId,
        userId: 'alice',
        files: [photo(i)],
      });
      replies.push(await rig.replyTo(posted.id, 6));
    }
  });
  after(async () => {
    await rig?.close();
  });

  const run = async (name: string, userId: string, options: Record<string, string | number | boolean>) =>
    (await rig.fake.runCommand({ name, userId, channelId: rig.channelId, options })).reply(30_000);

  test('very long strings in every string option get a clear refusal', async () => {
    const from = rig.fake.requests.length;
    const long = 'A'.repeat(6000);
    assert.match((await run('classify', 'bob', { url: `http://x.example/${long}` })).content, /too long/);
    assert.match((await run('label', 'bob', { breed: long })).content, /at most 100 characters/);
    assert.match((await run('label', 'bob', { breed: 'Beagle', message: long })).content, /too long/);
    assert.match((await run('model rollback', 'moderator', { version: long })).content, /too long/);
    assert.ok(
      (
        await rig.fake.autocomplete({
          name: 'label',
          userId: 'bob',
          channelId: rig.channelId,
          focusedOption: 'breed',
          value: long,
        })
      ).length <= 25,
    );
    assertNoPingNoMarkup(rig, from);
  });

  test('mention and markdown injection in breed names and URLs never pings and never renders', async () => {
    const from = rig.fake.requests.length;
    const unknown = await run('label', 'bob', { breed: hostile });
    assert.match(unknown.content, /I don't know a breed called/);
    const asMod = await run('label', 'moderator', { breed: hostile });
    assert.match(asMod.content, /can't be a breed name/);
    const url = await run('classify', 'bob', { url: `http://x.example/${hostile}.jpg` });
    assert.ok(url.content.length > 0);
    const posted = await rig.fake.postMessage({
      channelId: rig.channelId,
      userId: 'bob',
      content: hostile,
      files: [{ ...photo(4), filename: `${hostile}.jpg` }],
    });
    await rig.replyTo(posted.id);
    assertNoPingNoMarkup(rig, from);
  });

  test('an unknown breed is refused with the five nearest names', async () => {
    const reply = await run('label', 'bob', { breed: 'Beaglx Hund', message: rig.link(replies[0]!.id) });
    const m = /Did you mean: (.+)\?$/.exec(reply.content);
    assert.ok(m, reply.content);
    assert.equal(m[1]!.split(', ').length, 5);
    assert.match(m[1]!, /Beagle/);
  });

  test('messages from another server are refused, by link and by id', async () => {
    const other = rig.fake.guilds[1]!;
    const lobby = other.channels[0]!.id;
    const posted = await rig.fake.postMessage({ channelId: lobby, userId: 'alice', files: [photo(5)] });
    const foreignReply = await rig.fake.waitForMessage(
      (m) => m.message_reference?.message_id === posted.id,
      60_000,
    );
    const byLink = await run('label', 'bob', {
      breed: 'Beagle',
      message: `https://discord.com/channels/${other.guild.id}/${lobby}/${foreignReply.id}`,
    });
    assert.match(byLink.content, /another server/);
    const byId = await run('label', 'bob', { breed: 'Beagle', message: foreignReply.id });
    assert.match(byId.content, /another server/);
  });

  test('URLs to private addresses are refused with a clear message', async () => {
    for (const url of [
      'http://10.0.0.1/dog.jpg',
      'http://[::1]/dog.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:192.168.0.1]/',
    ]) {
      assert.match((await run('classify', 'bob', { url })).content, /private or local network address/, url);
    }
  });

  test('a member without rights is refused every moderator action, and nothing changes', async () => {
    const before = await rig.app.store.counts();
    const breedsBefore = await rig.app.autocompleteBreeds('Cavapoo');
    const historyBefore = (await rig.app.modelInfo()).history.length;
    await run('label', 'carol', { breed: 'Beagle', message: rig.link(replies[0]!.id) });
    const labelsBefore = (await rig.app.store.counts()).labels;
    for (const [name, options, refusal] of [
      ['retrain', {}, /Only moderators can retrain/],
      ['model rollback', { version: 'v20260101-000000-abcd' }, /Only moderators can roll the model back/],
      ['moderate purge', { user: rig.fake.users.carol.id }, /Only moderators can purge labels/],
      ['moderate review', {}, /Only moderators can review labels/],
      [
        'label',
        { breed: 'Cavapoo', message: rig.link(replies[1]!.id) },
        /I don't know a breed called "Cavapoo"/,
      ],
    ] as const) {
      const reply = await run(name, 'newbie', options as Record<string, string>);
      assert.match(reply.content, refusal, name);
    }
    assert.equal((await rig.app.store.counts()).labels, labelsBefore);
    assert.equal((await rig.app.store.counts()).images, before.images);
    assert.deepEqual(await rig.app.autocompleteBreeds('Cavapoo'), breedsBefore);
    assert.equal((await rig.app.modelInfo()).history.length, historyBefore);
  });

  test('a spammer cannot flip what others agree on: crowd, consensus and the training dataset keep it', async () => {
    const spammer = rig.fake.addPerson('spammer');
    const honest = ['alice', 'bob', 'carol'];
    const items = await Promise.all(replies.map(async (r) => (await rig.app.replyItems(r.id))[0]!));
    for (const [i, reply] of replies.entries()) {
      const [right, wrong] = [items[i]!.result.top5[0]!.breed, items[i]!.result.top5[4]!.breed];
      for (const who of honest) {
        const id = rig.fake.user(who).id;
        rig.fake.addReaction({ messageId: reply.id, userId: id, emoji: '1️⃣' });
      }
      const spam = await run('label', spammer.id, { breed: wrong, message: rig.link(reply.id) });
      assert.match(spam.content, /Thanks!/);
      await until(
        async () => (await rig.app.store.labelsForImage(items[i]!.imageId)).length === 4,
        'four labels',
      );
      const crowd = await rig.app.crowdAnswer(items[i]!.imageId);
      assert.equal(crowd?.breed, right);
    }
    // A photo only the spammer labels: their trust is spent, so it stays out of training.
    const lone = await rig.fake.postMessage({ channelId: rig.channelId, userId: 'alice', files: [photo(6)] });
    const loneReply = await rig.replyTo(lone.id, 6);
    const loneItem = (await rig.app.replyItems(loneReply.id))[0]!;
    await run('label', spammer.id, {
      breed: loneItem.result.top5[4]!.breed,
      message: rig.link(loneReply.id),
    });
    const model = rig.app.model;
    const dataset = await datasetFromStore({
      db: rig.app.db,
      backboneId: model.runtime.backbone.id,
      embed: (inputs) => model.holder.model.embed(inputs),
      imageSpec: model.runtime.imageSpec,
    });
    const trained = new Map(dataset.labels.map((l) => [l.imageId, l.breed]));
    for (const [i] of replies.entries())
      assert.equal(trained.get(items[i]!.imageId), items[i]!.result.top5[0]!.breed);
    assert.equal(trained.has(loneItem.imageId), false, 'the spammer alone decided a training label');

    // Moderators see the disputes and purge the spammer.
    const review = await run('moderate review', 'moderator', {});
    const text = review.embeds[0]?.description ?? '';
    assert.match(text, /4 people/);
    assert.match(text, new RegExp(`/channels/${rig.guildId}/${rig.channelId}/${replies[0]!.id}`));
    const purge = await run('moderate purge', 'moderator', { user: spammer.id });
    assert.match(purge.content, /Removed 5 labels by <@\d+> in this server/);
    assert.deepEqual(await rig.app.store.labelsForImage(loneItem.imageId), []);
  });

  test("/forget deletes the caller's labels and the photos only they contributed, and says what stays", async () => {
    const dave = rig.fake.addPerson('dave');
    const own = await rig.fake.postMessage({ channelId: rig.channelId, userId: dave.id, files: [photo(7)] });
    const ownReply = await rig.replyTo(own.id, 6);
    const ownItem = (await rig.app.replyItems(ownReply.id))[0]!;
    rig.fake.addReaction({ messageId: ownReply.id, userId: dave.id, emoji: '2️⃣' });
    rig.fake.addReaction({ messageId: replies[0]!.id, userId: dave.id, emoji: '2️⃣' });
    const sharedImage = (await rig.app.replyItems(replies[0]!.id))[0]!.imageId;
    const hasDave = async (imageId: string) =>
      (await rig.app.store.labelsForImage(imageId)).some((l) => l.userId === dave.id);
    await until(
      async () => (await hasDave(sharedImage)) && (await hasDave(ownItem.imageId)),
      "dave's labels",
    );
    const reply = await run('forget', dave.id, { confirm: true });
    assert.match(reply.content, /Deleted 2 labels and 1 photo that only you contributed/);
    assert.match(reply.content, /Messages in Discord itself/);
    assert.deepEqual(await rig.app.replyItems(ownReply.id), []);
    assert.equal(
      (await rig.app.store.labelsForImage(sharedImage)).some((l) => l.userId === dave.id),
      false,
    );
    assert.ok((await rig.app.store.labelsForImage(sharedImage)).length > 0, "the others' labels stay");
    const no = await run('forget', 'alice', { confirm: false });
    assert.match(no.content, /Nothing was deleted/);
  });

  test('/moderate purge and /forget re-render the replies that counted the removed votes', async () => {
    const [erin, frank] = [rig.fake.addPerson('erin'), rig.fake.addPerson('frank')];
    const posted = await rig.fake.postMessage({
      channelId: rig.channelId,
      userId: 'alice',
      files: [photo(8)],
    });
    const reply = await rig.replyTo(posted.id, 6);
    const labelsField = () =>
      rig.fake.messages.get(reply.id)?.embeds[0]?.fields?.find((f) => f.name === 'Labels')?.value ?? '';
    for (const who of [erin, frank])
      rig.fake.addReaction({ messageId: reply.id, userId: who.id, emoji: '1️⃣' });
    await until(async () => labelsField().startsWith('2 people say'), 'the reply counting two votes');

    const purge = await run('moderate purge', 'moderator', { user: erin.id });
    assert.match(purge.content, /Removed 1 label by/);
    assert.doesNotMatch(purge.content, /next vote/);
    await until(async () => labelsField().startsWith('1 person says'), 'the reply without the purged vote');

    const forget = await run('forget', frank.id, { confirm: true });
    assert.match(forget.content, /Deleted 1 label/);
    await until(async () => labelsField() === '', 'the reply without any vote');
    assert.equal(rig.fake.messages.get(reply.id)?.embeds.length, 1, 'the prediction itself stays');
  });

  test('npm run export writes labels.jsonl, consensus.jsonl and the images', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'breedbot-export-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/export.ts', out, '--json'], {
        cwd: projectRoot,
        env: {
          ...process.env,
          DATABASE_URL: rig.config.DATABASE_URL,
          DATA_DIR: rig.config.dataDir,
          LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
      });
      assert.equal(r.status, 0, r.stderr);
      const summary = JSON.parse(r.stdout) as { labels: number; images: number; missingFiles: number };
      const lines = readFileSync(path.join(out, 'labels.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { file: string; breed: string; userId: string });
      assert.equal(lines.length, summary.labels);
      assert.ok(summary.labels > 0);
      assert.equal(summary.missingFiles, 0);
      for (const l of lines) assert.ok(existsSync(path.join(out, l.file)), l.file);
      assert.equal(readdirSync(path.join(out, 'images')).length, summary.images);
      assert.ok(existsSync(path.join(out, 'consensus.jsonl')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
