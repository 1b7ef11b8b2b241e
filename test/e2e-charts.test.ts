/**
 * Charts through the fake Discord (issue 12 §3): /stats answers with its embed plus PNG attachments whose
 * description is the alt text; the fake keeps them on the message as Discord does (url, filename, description).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');
const ANOTHER_BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const SAMOYED = path.join(imagewoofValDir, 'n02111889', 'n02111889_10170.jpg');
const jpeg = (file: string) => ({
  filename: path.basename(file),
  bytes: readFileSync(file),
  contentType: 'image/jpeg',
});

describe('charts on /stats through the fake Discord', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  const label = async (file: string, breed: string, userId: string) => {
    const posted = await h.fake.postMessage({ channelId: h.channelId, userId, files: [jpeg(file)] });
    const reply = await h.replyTo(posted.id);
    const run = await h.fake.runCommand({
      name: 'label',
      userId,
      channelId: h.channelId,
      options: { breed, message: reply.id },
    });
    await run.reply(30_000);
  };
  const attachment = (m: FakeMessage, filename: string) => m.attachments.find((a) => a.filename === filename);

  test('/stats before any label has the embed and no chart of nothing', async () => {
    const run = await h.fake.runCommand({ name: 'stats', userId: 'alice', channelId: h.channelId });
    const reply = await run.reply();
    assert.ok(reply.embeds.length > 0);
    assert.deepEqual(reply.attachments, []);
  });

  test('/stats after a few labels has a labels-per-breed PNG whose alt text names the breeds', async () => {
    await label(BEAGLE, 'Beagle', 'alice');
    await label(SAMOYED, 'Samoyed', 'bob');
    // A beagle nobody would take for a Samoyed: people and the bot disagree, so the confusion matrix has a pair.
    await label(ANOTHER_BEAGLE, 'Samoyed', 'carol');

    const run = await h.fake.runCommand({ name: 'stats', userId: 'alice', channelId: h.channelId });
    const reply = await run.reply();
    const fields = reply.embeds[0]!.fields!;
    assert.match(fields.find((f) => f.name === 'Labels per breed')!.value, /Samoyed: 2/, 'the numbers stay');

    const labels = attachment(reply, 'labels-per-breed.png');
    assert.ok(labels, `attachments: ${reply.attachments.map((a) => a.filename).join(', ')}`);
    assert.match(labels.description ?? '', /^Labels per breed: Samoyed 2, Beagle 1\./);
    const bytes = Buffer.from(await (await fetch(labels.url)).arrayBuffer());
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format, 'png');
    assert.ok((meta.width ?? 0) >= 400 && (meta.height ?? 0) >= 100, `${meta.width}x${meta.height}`);
    assert.equal(labels.content_type, 'image/png');

    const confusion = attachment(reply, 'confusion-matrix.png');
    assert.ok(confusion, 'the most-confused breeds are drawn');
    assert.match(
      confusion.description ?? '',
      /Most confused breeds \(actual → predicted\): Samoyed → (?!Samoyed)/,
    );
    assert.equal(
      (await sharp(Buffer.from(await (await fetch(confusion.url)).arrayBuffer())).metadata()).format,
      'png',
    );
  });
});
