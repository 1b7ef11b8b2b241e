/**
 * Where a photo comes from, through the fake Discord (issue 14 §4, §1): an uploaded file that is not an image is
 * refused as "that file", a link as "the link", on every entry point; image links posted as messages and the
 * embeds Discord adds to them go through the same guarded URL intake as `/classify url:`, answered once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { skipWithoutPhotos } from './helpers/shared-data.ts';

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
});
