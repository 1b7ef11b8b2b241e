/**
 * The bot end to end: real discord.js (our bot code) against the local fake Discord, with the real model on
 * ../shared's MobileNet and a temporary SQLite database. Issue 3 §4.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FakeMessage, RecordedRequest } from '../src/sandbox/fake-discord/index.ts';
import { recordModelVersion } from '../src/storage/model-versions.ts';
import { attachSandboxPage } from '../src/sandbox/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, notDogsDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');
const SAMOYED_DIR = path.join(imagewoofValDir, 'n02111889');
const SAMOYED_FOR_NEW_BREED = 'n02111889_10170.jpg';
const CAT = path.join(notDogsDir, 'n02123045_tabby.jpg');
const jpeg = (file: string, filename = 'dog.jpg') => ({
  filename,
  bytes: readFileSync(file),
  contentType: 'image/jpeg',
});
const NUMBERS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'];

const embedText = (m: FakeMessage) => JSON.stringify(m.embeds);
/** The "Labels" line under the top-5 (the crowd's answer), without markdown. */
const crowdField = (m: FakeMessage) =>
  (m.embeds[0]?.fields?.find((f) => f.name === 'Labels')?.value ?? '')
    .replace(/\*\*/g, '')
    .replace(/\\/g, '');
/** Breed names in the order the reply lists them. */
const listedBreeds = (m: FakeMessage) =>
  [...(m.embeds[0]?.description ?? '').matchAll(/\*\*(.+?)\*\*/g)].map((x) => x[1]!.replace(/\\/g, ''));

describe('the bot against the fake Discord', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  let beagleReply: FakeMessage;

  test('a posted dog photo gets the top-5 with the right breed, then six reactions in order', async () => {
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(BEAGLE)],
    });
    beagleReply = await h.replyTo(posted.id, 6);
    assert.ok(
      listedBreeds(beagleReply).includes('Beagle'),
      `top-5 was ${listedBreeds(beagleReply).join(', ')}`,
    );
    assert.equal(listedBreeds(beagleReply).length, 5);
    assert.match(embedText(beagleReply), /█+░*\s\d+%/);
    assert.match(beagleReply.embeds[0]!.footer!.text, /model base-mobilenet_v1_0\.75_224/);
    assert.deepEqual(
      beagleReply.reactions.map((r) => r.emoji.name),
      [...NUMBERS, '❌'],
    );
    assert.equal(await h.app.replyForSourceMessage(posted.id), beagleReply.id);
    // The bot's own six reactions are not labels.
    const [item] = await h.app.replyItems(beagleReply.id);
    assert.deepEqual(await h.app.store.labelsForImage(item!.imageId), []);
  });

  test('a close top two well above the rest is answered as a mix, still with the five reactions', async () => {
    // A Lhasa Apso MobileNet v1 splits almost evenly with Shih-Tzu (`BACKBONE=mobilenet_v1_0.75_224 npm run bench:mixed`).
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(path.join(imagewoofValDir, 'n02086240', 'n02086240_7092.jpg'))],
    });
    const reply = await h.replyTo(posted.id, 6);
    assert.equal(reply.embeds[0]!.title, 'Looks like a mix of Lhasa Apso and Shih-Tzu');
    assert.deepEqual(listedBreeds(reply).slice(0, 2), ['Lhasa Apso', 'Shih-Tzu']);
    assert.doesNotMatch(embedText(reply), /Not sure/);
    assert.deepEqual(
      reply.reactions.map((r) => r.emoji.name),
      [...NUMBERS, '❌'],
    );
  });

  test("another person's 2️⃣ stores their label; changing it replaces it; removing it retracts it", async () => {
    const second = listedBreeds(beagleReply)[1]!;
    const third = listedBreeds(beagleReply)[2]!;
    const bob = h.fake.users.bob.id;
    const [item] = await h.app.replyItems(beagleReply.id);
    assert.ok(item);

    h.fake.addReaction({ messageId: beagleReply.id, userId: 'bob', emoji: '2️⃣' });
    await h.fake.waitForMessage(
      (m) => m.id === beagleReply.id && crowdField(m) === `1 person says: ${second}`,
    );
    assert.deepEqual(await h.app.store.labelsForImage(item.imageId), [
      { userId: bob, breed: second, source: 'reaction' },
    ]);

    h.fake.addReaction({ messageId: beagleReply.id, userId: 'bob', emoji: '3️⃣' });
    await h.fake.waitForMessage(
      (m) => m.id === beagleReply.id && crowdField(m) === `1 person says: ${third}`,
    );
    assert.deepEqual(await h.app.store.labelsForImage(item.imageId), [
      { userId: bob, breed: third, source: 'reaction' },
    ]);

    h.fake.removeReaction({ messageId: beagleReply.id, userId: 'bob', emoji: '3️⃣' });
    await h.fake.waitForMessage((m) => m.id === beagleReply.id && crowdField(m) === '');
    assert.deepEqual(await h.app.store.labelsForImage(item.imageId), []);
  });

  test('two people who disagree (a tie) see the disagreement on the Labels line, not nothing', async () => {
    const [fourth, fifth] = [listedBreeds(beagleReply)[3]!, listedBreeds(beagleReply)[4]!];
    h.fake.addReaction({ messageId: beagleReply.id, userId: 'bob', emoji: '4️⃣' });
    await h.fake.waitForMessage(
      (m) => m.id === beagleReply.id && crowdField(m) === `1 person says: ${fourth}`,
    );
    h.fake.addReaction({ messageId: beagleReply.id, userId: 'carol', emoji: '5️⃣' });
    const [a, b] = [fourth, fifth].sort((x, y) => x.localeCompare(y));
    await h.fake.waitForMessage(
      (m) => m.id === beagleReply.id && crowdField(m) === `1 says ${a}, 1 says ${b}`,
    );
    // back to no labels, so the later tests start from a clean photo
    h.fake.removeReaction({ messageId: beagleReply.id, userId: 'bob', emoji: '4️⃣' });
    h.fake.removeReaction({ messageId: beagleReply.id, userId: 'carol', emoji: '5️⃣' });
    await h.fake.waitForMessage((m) => m.id === beagleReply.id && crowdField(m) === '');
  });

  test('the same MESSAGE_CREATE delivered twice gets one reply', async () => {
    const files = [jpeg(path.join(SAMOYED_DIR, 'n02111889_10130.jpg'))];
    const posted = await h.fake.postMessage({ channelId: h.channelId, userId: 'carol', files });
    await h.replyTo(posted.id, 6);
    h.fake.replayLastDispatch('MESSAGE_CREATE');
    // A later message proves the replay has been processed (events are handled in order of arrival).
    const marker = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'carol',
      files: [jpeg(CAT, 'cat.jpg')],
    });
    await h.replyTo(marker.id);
    const replies = h.fake
      .channelMessages(h.channelId)
      .filter((m) => m.message_reference?.message_id === posted.id);
    assert.equal(replies.length, 1);
  });

  test('a photo that is not a dog gets a short reply and no reactions', async () => {
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(CAT, 'cat.jpg')],
    });
    const reply = await h.replyTo(posted.id);
    assert.match(reply.content, /^That doesn't look like a dog — more like .+ \(\d+%\)\.$/);
    assert.equal(reply.embeds.length, 0);
    await h.fake.waitForRequest(
      (r) =>
        r.method === 'POST' &&
        r.route === '/channels/:channel/messages' &&
        (r.response as { id?: string }).id === reply.id,
    );
    assert.equal(h.fake.requests.filter((r) => r.path.includes(`/messages/${reply.id}/reactions`)).length, 0);
  });

  test('a corrupt attachment gets a clear reply and nothing is stored', async () => {
    const before = await h.app.store.counts();
    const bytes = readFileSync(BEAGLE).subarray(0, 2000); // a truncated JPEG
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [{ filename: 'broken.jpg', bytes, contentType: 'image/jpeg' }],
    });
    const reply = await h.replyTo(posted.id);
    assert.match(reply.content, /damaged or truncated/);
    assert.deepEqual(await h.app.store.counts(), before);
  });

  test('/classify url: on the fake file host replies with the embed and reactions', async () => {
    const url = h.fake.hostFile('beagle.jpg', readFileSync(BEAGLE), 'image/jpeg');
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url },
    });
    const reply = await run.waitForReply((m) => m.reactions.length === 6, 60_000);
    assert.ok(listedBreeds(reply).includes('Beagle'));
  });

  test('/classify url: on a private address is refused with a clear message', async () => {
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url: 'http://10.0.0.1/dog.jpg' },
    });
    const reply = await run.reply();
    assert.match(reply.content, /private or local network address/);
    // Loopback is refused too, except for the fake's own file host.
    const other = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url: 'http://127.0.0.1:9/dog.jpg' },
    });
    assert.match((await other.reply()).content, /private or local network address/);
  });

  test('/label autocompletes with typo tolerance and stores the label on the latest photo', async () => {
    const choices = await h.fake.autocomplete({
      name: 'label',
      userId: 'carol',
      channelId: h.channelId,
      focusedOption: 'breed',
      value: 'beagel',
    });
    assert.ok(choices.length <= 25);
    assert.equal(choices[0]?.name, 'Beagle');

    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(BEAGLE, 'again.jpg')],
    });
    const reply = await h.replyTo(posted.id, 6);
    const run = await h.fake.runCommand({
      name: 'label',
      userId: 'carol',
      channelId: h.channelId,
      options: { breed: 'Beagle' },
    });
    assert.match((await run.reply()).content, /labelled that photo \*\*Beagle\*\*/);
    const [item] = await h.app.replyItems(reply.id);
    assert.ok(
      (await h.app.store.labelsForImage(item!.imageId)).some(
        (l) => l.userId === h.fake.users.carol.id && l.breed === 'Beagle',
      ),
    );
  });

  test('/label with an unknown breed from a member is refused with the five nearest names', async () => {
    const run = await h.fake.runCommand({
      name: 'label',
      userId: 'alice',
      channelId: h.channelId,
      options: { breed: 'Beaglx Hund' },
    });
    const content = (await run.reply()).content;
    assert.match(content, /I don't know a breed called "Beaglx Hund"\. Did you mean: /);
    assert.equal(content.split('Did you mean: ')[1]!.split(', ').length, 5);
  });

  test('/label with a message link from another server is refused', async () => {
    const other = h.fake.guilds[1]!;
    const link = `https://discord.com/channels/${other.guild.id}/${other.channels[0]!.id}/123456789012345678`;
    const run = await h.fake.runCommand({
      name: 'label',
      userId: 'alice',
      channelId: h.channelId,
      options: { breed: 'Beagle', message: link },
    });
    assert.match((await run.reply()).content, /another server/);
  });

  test("a member's /retrain is refused; a moderator is told honestly that training is not available", async () => {
    const refused = await h.fake.runCommand({ name: 'retrain', userId: 'newbie', channelId: h.channelId });
    assert.match((await refused.reply()).content, /Only moderators can retrain/);
    const mod = await h.fake.runCommand({ name: 'retrain', userId: 'owner', channelId: h.channelId });
    assert.match((await mod.reply()).content, /Training isn't available/);
  });

  test('/model info shows the active version and backend', async () => {
    const run = await h.fake.runCommand({ name: 'model info', userId: 'alice', channelId: h.channelId });
    const text = embedText(await run.reply());
    assert.match(text, /base-mobilenet_v1_0\.75_224/);
    assert.match(text, new RegExp(h.app.backend));
  });

  test('/classify image: and the "Classify breed" message menu give the same reply', async () => {
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'alice',
      channelId: h.channelId,
      options: { image: jpeg(BEAGLE, 'upload.jpg') },
    });
    const reply = await run.waitForReply((m) => m.reactions.length === 6, 60_000);
    assert.ok(listedBreeds(reply).includes('Beagle'));

    // A post in #general (the bot answers there too); the menu works from the resolved message alone.
    const posted = await h.fake.postMessage({
      channelId: h.fake.channel('general').id,
      userId: 'carol',
      files: [jpeg(BEAGLE)],
    });
    await h.replyTo(posted.id, 6);
    const menu = h.fake.runMessageCommand({
      name: 'Classify breed',
      userId: 'bob',
      channelId: h.fake.channel('general').id,
      targetMessageId: posted.id,
    });
    const menuReply = await menu.waitForReply((m) => m.reactions.length === 6, 60_000);
    assert.deepEqual(listedBreeds(menuReply), listedBreeds(await h.replyTo(posted.id)));
  });

  test('❌ explains /label in a DM to whoever clicked it, once per person and photo, never in the channel', async () => {
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(BEAGLE, 'x.jpg')],
    });
    const reply = await h.replyTo(posted.id, 6);
    const link = `https://discord.com/channels/${h.fake.guild.guild.id}/${h.channelId}/${reply.id}`;
    // bob clicks ❌, takes it back and clicks again; carol clicks once; dave does not take DMs.
    h.fake.addReaction({ messageId: reply.id, userId: 'bob', emoji: '❌' });
    await h.fake.waitUntil(() => (h.fake.dmsTo('bob').length ? true : undefined), 15_000, "bob's DM");
    h.fake.removeReaction({ messageId: reply.id, userId: 'bob', emoji: '❌' });
    h.fake.addReaction({ messageId: reply.id, userId: 'bob', emoji: '❌' });
    h.fake.addReaction({ messageId: reply.id, userId: 'carol', emoji: '❌' });
    const dave = h.fake.addPerson('dave');
    h.fake.refuseDms(dave.id);
    h.fake.addReaction({ messageId: reply.id, userId: dave.id, emoji: '❌' });
    await h.fake.waitUntil(() => (h.fake.dmsTo('carol').length ? true : undefined), 15_000, "carol's DM");
    await h.fake.waitForRequest(
      (r) => r.method === 'POST' && r.status === 403 && r.path.startsWith('/channels/'),
      15_000,
    );
    // Events are handled concurrently: once a later post is answered, the clicks above were handled too.
    const marker = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(CAT, 'cat.jpg')],
    });
    await h.replyTo(marker.id);

    for (const who of ['bob', 'carol']) {
      const dms = h.fake.dmsTo(who);
      assert.equal(dms.length, 1, `${who} got ${dms.length} DMs`);
      assert.match(dms[0]!.content, /`\/label breed:`/);
      assert.ok(dms[0]!.content.includes(link), 'the DM links to the photo it is about');
      assert.deepEqual(dms[0]!.mentions, []);
    }
    assert.deepEqual(h.fake.dmsTo(dave.id), []);
    // The sandbox page lists a person's DMs.
    attachSandboxPage(h.fake);
    const listed = (await (
      await fetch(`${h.fake.baseUrl}/sandbox/api/dms?userId=${h.fake.users.bob.id}`)
    ).json()) as { content: string }[];
    assert.deepEqual(
      listed.map((m) => m.content),
      h.fake.dmsTo('bob').map((m) => m.content),
    );
    const inChannel = h.fake
      .channelMessages(h.channelId)
      .filter((m) => m.author.id === h.fake.users.bot.id && /\/label breed:/.test(m.content));
    assert.deepEqual(inChannel, [], 'no help message in the channel');
  });

  test('a moderator may name a new breed with /label; members may not; /stats counts labels', async () => {
    // A photo of its own, named with message: (the beagle is the newest dog photo and keeps its labels).
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(path.join(SAMOYED_DIR, SAMOYED_FOR_NEW_BREED))],
    });
    const message = (await h.replyTo(posted.id)).id;
    const member = await h.fake.runCommand({
      name: 'label',
      userId: 'newbie',
      channelId: h.channelId,
      options: { breed: 'Cavapoo', message },
    });
    assert.match((await member.reply()).content, /I don't know a breed called "Cavapoo"/);
    const mod = await h.fake.runCommand({
      name: 'label',
      userId: 'moderator',
      channelId: h.channelId,
      options: { breed: 'Cavapoo', message },
    });
    const content = (await mod.reply()).content;
    assert.match(content, /\*\*Cavapoo\*\* is a new breed/);
    assert.match(content, /A moderator says: \*\*Cavapoo\*\*/);
    const bad = await h.fake.runCommand({
      name: 'label',
      userId: 'moderator',
      channelId: h.channelId,
      options: { breed: '@everyone', message },
    });
    assert.match((await bad.reply()).content, /can't be a breed name/);

    const stats = await h.fake.runCommand({ name: 'stats', userId: 'alice', channelId: h.channelId });
    const fields = (await stats.reply()).embeds[0]!.fields!;
    assert.ok(Number(fields.find((f) => f.name === 'Labels')!.value) >= 2);
    assert.match(fields.find((f) => f.name === 'Labels per breed')!.value, /Cavapoo: 1/);
    // the percentages say what they measure
    assert.match(
      fields.find((f) => f.name === 'Bot vs people')!.value,
      /the bot's top guess matched the people's answer on \d+ of \d+ photos?|^Nothing to measure yet/,
    );
    assert.match(
      fields.find((f) => f.name === 'Agreement between people')!.value,
      /labelled by two or more people|^Nothing to compare yet/,
    );
  });

  test('/model rollback is for moderators only', async () => {
    const run = await h.fake.runCommand({
      name: 'model rollback',
      userId: 'newbie',
      channelId: h.channelId,
      options: { version: 'v1' },
    });
    assert.match((await run.reply()).content, /Only moderators can roll the model back/);
  });

  test('/model rollback autocompletes the base model and versions that can serve, never rejected ones', async () => {
    for (const [id, status] of [
      ['v-rejected', 'rejected'],
      ['v-retired', 'retired'],
      ['v-candidate', 'candidate'],
    ] as const) {
      await recordModelVersion(h.app.db, { id, path: path.join(h.dir, id), status });
    }
    const choices = async (value: string) =>
      (
        await h.fake.autocomplete({
          name: 'model rollback',
          userId: 'moderator',
          channelId: h.channelId,
          focusedOption: 'version',
          value,
        })
      ).map((c) => c.value);
    assert.deepEqual(await choices(''), ['base', 'v-retired']);
    assert.deepEqual(await choices('v-'), ['v-retired']);
    assert.deepEqual(await choices('ba'), ['base']);
  });

  test('the same INTERACTION_CREATE delivered twice is answered once', async () => {
    const run = await h.fake.runCommand({ name: 'stats', userId: 'alice', channelId: h.channelId });
    await run.reply();
    h.fake.replayLastDispatch('INTERACTION_CREATE');
    const marker = await h.fake.runCommand({ name: 'stats', userId: 'bob', channelId: h.channelId });
    await marker.reply();
    const callbacks = h.fake.requests.filter((r) =>
      r.path.startsWith(`/interactions/${run.interaction.id}/`),
    );
    assert.equal(callbacks.length, 1);
  });

  test('after a restart: reactions on older replies still label, and a replayed post gets no second reply', async () => {
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [jpeg(BEAGLE, 'old.jpg')],
    });
    const reply = await h.replyTo(posted.id, 6);
    await h.restartBot(); // empty caches: the reply is now an "older message" (partials)
    h.fake.addReaction({ messageId: reply.id, userId: 'carol', emoji: '1️⃣' });
    await h.fake.waitForMessage((m) => m.id === reply.id && crowdField(m) === '1 person says: Beagle');
    const [item] = await h.app.replyItems(reply.id);
    assert.deepEqual(await h.app.store.labelsForImage(item!.imageId), [
      { userId: h.fake.users.carol.id, breed: 'Beagle', source: 'reaction' },
    ]);

    h.fake.replayLastDispatch('MESSAGE_CREATE'); // the post from before the restart, to a fresh in-memory LRU
    const marker = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'carol',
      files: [jpeg(CAT, 'cat.jpg')],
    });
    await h.replyTo(marker.id);
    assert.equal(
      h.fake.channelMessages(h.channelId).filter((m) => m.message_reference?.message_id === posted.id).length,
      1,
    );
  });

  test('guild settings: enabled channels, auto-classify off, and the configured moderator role', async () => {
    // Through the services, which drop their cached copy of the settings (as /settings does).
    const guildId = h.fake.guild.guild.id;
    const general = h.fake.channel('general').id;
    try {
      await h.app.updateGuildSettings(guildId, { enabledChannelIds: [h.channelId] });
      const elsewhere = await h.fake.postMessage({
        channelId: general,
        userId: 'alice',
        files: [jpeg(BEAGLE)],
      });
      const here = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        files: [jpeg(BEAGLE)],
      });
      await h.replyTo(here.id, 6); // handled after the post in #general, which got nothing
      assert.equal(
        h.fake.channelMessages(general).filter((m) => m.message_reference?.message_id === elsewhere.id)
          .length,
        0,
      );

      await h.app.updateGuildSettings(guildId, { enabledChannelIds: [], autoClassify: false });
      const off = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        files: [jpeg(BEAGLE)],
      });
      const menu = h.fake.runMessageCommand({
        name: 'Classify breed',
        userId: 'alice',
        channelId: h.channelId,
        targetMessageId: off.id,
      });
      await menu.waitForReply((m) => m.reactions.length === 6, 60_000); // the menu still works
      assert.equal(
        h.fake.channelMessages(h.channelId).filter((m) => m.message_reference?.message_id === off.id).length,
        0,
      );

      // Everyone holds the @everyone role (id = guild id): making it the moderator role makes newbie a moderator.
      const before = await h.fake.runCommand({ name: 'retrain', userId: 'newbie', channelId: h.channelId });
      assert.match((await before.reply()).content, /Only moderators/);
      await h.app.updateGuildSettings(guildId, { moderatorRoleId: guildId });
      const after = await h.fake.runCommand({ name: 'retrain', userId: 'newbie', channelId: h.channelId });
      assert.match((await after.reply()).content, /Training isn't available/);
    } finally {
      await h.app.updateGuildSettings(guildId, {
        enabledChannelIds: [],
        autoClassify: true,
        moderatorRoleId: null,
      });
    }
  });

  test('no message the bot sent could ping anyone', () => {
    const sent = h.fake.requests.filter(
      (r: RecordedRequest) =>
        (r.method === 'POST' || r.method === 'PATCH') &&
        (r.route === '/channels/:channel/messages' ||
          r.route === '/channels/:channel/messages/:message' ||
          r.route === '/webhooks/:app/:token/messages/:message' ||
          r.route === '/interactions/:interaction/:token/callback'),
    );
    assert.ok(sent.length > 10);
    for (const r of sent) {
      const body = r.body as {
        allowed_mentions?: unknown;
        data?: { allowed_mentions?: unknown; content?: string };
      };
      const isDefer = r.route?.includes('callback') && !body.data?.content;
      if (isDefer) continue;
      const allowed = body.allowed_mentions ?? body.data?.allowed_mentions;
      assert.deepEqual(allowed, { parse: [], replied_user: false }, `${r.method} ${r.path}`);
    }
  });
});
