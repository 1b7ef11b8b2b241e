/**
 * Where a photo comes from, through the fake Discord (issue 14 §4, §1): an uploaded file that is not an image is
 * refused as "that file", a link as "the link", on every entry point; image links posted as messages and the
 * embeds Discord adds to them go through the same guarded URL intake as `/classify url:`, answered once.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EmbedType } from 'discord-api-types/v10';
import type { FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, notDogsDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');
const CAT = path.join(notDogsDir, 'n02123045_tabby.jpg');
/** Breed names in the order the reply lists them. */
const listedBreeds = (m: FakeMessage) =>
  [...(m.embeds[0]?.description ?? '').matchAll(/\*\*(.+?)\*\*/g)].map((x) => x[1]!.replace(/\\/g, ''));

const FILE_WORDING = /That file isn't an image I can read \(I accept JPEG, PNG/;
const LINK_WORDING = /The link didn't lead to an image I can read/;

/** A text file renamed .jpg, as a new user might try. */
const notesAsJpeg = () => ({
  filename: 'notes.jpg',
  bytes: Buffer.from('These are my shopping notes, not a photo of a dog.\n'.repeat(4)),
  contentType: 'image/jpeg',
});

describe('photo sources', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  describe('a file that is not an image is worded by where it came from', () => {
    test('an uploaded file (auto-classify) says "That file isn\'t an image", not "the link"', async () => {
      const posted = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        files: [notesAsJpeg()],
      });
      const reply = await h.replyTo(posted.id);
      assert.match(reply.content, FILE_WORDING);
      assert.doesNotMatch(reply.content, /link/i);
    });

    test('/classify image: and the "Classify breed" menu on that upload say the same', async () => {
      const run = await h.fake.runCommand({
        name: 'classify',
        userId: 'bob',
        channelId: h.channelId,
        options: { image: notesAsJpeg() },
      });
      assert.match((await run.reply()).content, FILE_WORDING);

      const posted = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        files: [notesAsJpeg()],
      });
      await h.replyTo(posted.id);
      const menu = h.fake.runMessageCommand({
        name: 'Classify breed',
        userId: 'bob',
        channelId: h.channelId,
        targetMessageId: posted.id,
      });
      assert.match((await menu.reply()).content, FILE_WORDING);
    });

    test('/classify url: to the same bytes says "The link didn\'t lead to an image"', async () => {
      const url = h.fake.hostFile('notes.jpg', notesAsJpeg().bytes, 'image/jpeg');
      const run = await h.fake.runCommand({
        name: 'classify',
        userId: 'bob',
        channelId: h.channelId,
        options: { url },
      });
      const content = (await run.reply()).content;
      assert.match(content, LINK_WORDING);
      assert.doesNotMatch(content, /That file/);
    });
  });

  describe('image links posted as messages, and the embeds Discord adds to them', () => {
    const botRepliesTo = (messageId: string) =>
      h.fake
        .channelMessages(h.channelId)
        .filter((m) => m.author.id === h.fake.users.bot.id && m.message_reference?.message_id === messageId);
    /** Events are handled concurrently: a later post answered means the earlier events were seen too. */
    const settle = async () => {
      const marker = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'carol',
        files: [{ filename: 'cat.jpg', bytes: readFileSync(CAT), contentType: 'image/jpeg' }],
      });
      await h.replyTo(marker.id);
    };
    const embedArrived = (messageId: string) =>
      h.fake.waitForMessage((m) => m.id === messageId && m.embeds.length > 0);

    let linkPost: FakeMessage;

    test('a posted image link is answered once, though Discord adds its embed in an update', async () => {
      const url = h.fake.hostFile('beagle.jpg', readFileSync(BEAGLE), 'image/jpeg');
      linkPost = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        content: `my dog ${url}`,
      });
      assert.equal(linkPost.embeds.length, 0, 'like Discord, the create carries no embed yet');
      const reply = await h.replyTo(linkPost.id, 6);
      assert.ok(listedBreeds(reply).includes('Beagle'), `top-5 was ${listedBreeds(reply).join(', ')}`);
      await embedArrived(linkPost.id);
      await settle();
      assert.equal(botRepliesTo(linkPost.id).length, 1);
      assert.equal(await h.app.replyForSourceMessage(linkPost.id), reply.id);
    });

    test('a link first seen without a photo is answered once when Discord adds the image embed', async () => {
      // No image name in the link: only the unfurl tells that it shows a photo.
      const url = h.fake.hostFile('photo-of-the-day', readFileSync(BEAGLE), 'image/jpeg');
      const posted = await h.fake.postMessage({ channelId: h.channelId, userId: 'bob', content: url });
      await settle();
      assert.equal(botRepliesTo(posted.id).length, 0, 'a link that names no image file is not fetched');

      const preview = { type: EmbedType.Image, url, thumbnail: { url, proxy_url: url } };
      assert.ok(h.fake.unfurl(posted.id, [preview]));
      const reply = await h.replyTo(posted.id, 6);
      assert.ok(listedBreeds(reply).includes('Beagle'));
      // A later update (another embed, an edit) gets no second reply.
      h.fake.unfurl(posted.id, [
        { type: EmbedType.Image, url: `${url}?again`, thumbnail: { url: `${url}?again` } },
      ]);
      await settle();
      assert.equal(botRepliesTo(posted.id).length, 1);
    });

    test('a private-network link in a message is refused once, like /classify url:, and nothing is fetched or stored', async () => {
      const before = await h.app.store.counts();
      const posted = await h.fake.postMessage({
        channelId: h.channelId,
        userId: 'alice',
        content: 'http://10.0.0.1/dog.jpg and http://127.0.0.1:9/x.png',
      });
      const reply = await h.replyTo(posted.id);
      // One reply covers both links (each refused in its own embed), without vote reactions.
      const refusals = JSON.stringify([reply.content, reply.embeds]).match(
        /private or local network address/g,
      );
      assert.equal(refusals?.length, 2);
      assert.equal(reply.reactions.length, 0);
      await embedArrived(posted.id);
      await settle();
      assert.equal(botRepliesTo(posted.id).length, 1, 'the unfurl update brings no second reply');
      const after = await h.app.store.counts();
      assert.equal(after.predictions, before.predictions + 1, 'only the marker photo was classified');
    });

    test('Apps ▸ Classify breed on a posted link classifies the linked photo', async () => {
      const run = h.fake.runMessageCommand({
        name: 'Classify breed',
        userId: 'carol',
        channelId: h.channelId,
        targetMessageId: linkPost.id,
      });
      const reply = await run.waitForReply((m) => m.reactions.length === 6, 60_000);
      assert.ok(listedBreeds(reply).includes('Beagle'));
    });
  });

  test('posted links spend the same per-person budget as /classify url: (the limit applies to links too)', async () => {
    // Last in this file: the server's limit stays set.
    await h.app.updateGuildSettings(h.fake.guild.guild.id, { rateLimits: { classifyPerUser: 1 } });
    const person = h.fake.addPerson('linkposter');
    const url = h.fake.hostFile('limit.jpg', readFileSync(BEAGLE), 'image/jpeg');
    const first = await h.fake.postMessage({ channelId: h.channelId, userId: person.id, content: url });
    assert.ok(listedBreeds(await h.replyTo(first.id, 6)).includes('Beagle'));
    const second = await h.fake.postMessage({
      channelId: h.channelId,
      userId: person.id,
      content: `${url}?2`,
    });
    assert.match(
      (await h.replyTo(second.id)).content,
      /^You are going a bit fast\. Please try again in \d+ s\.$/,
    );
    const command = await h.fake.runCommand({
      name: 'classify',
      userId: person.id,
      channelId: h.channelId,
      options: { url: `${url}?3` },
    });
    assert.match((await command.reply()).content, /going a bit fast/);
  });
});
