/**
 * Every dog in the photo on Discord (issue 12 §1), through the fake Discord with DETECTOR=on: a beagle and a
 * golden retriever side by side first get the whole-photo answer (the detector runs after it), then that reply
 * is edited to one block per dog, numbered left to right with where each one is, and the photo with numbered
 * boxes; `/label dog:2` labels the second dog's crop, an image of its own whose parent is the photo, and the
 * reply is re-rendered with that dog's label. A one-dog photo's reply is never edited.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { FakeMessage, RecordedRequest } from '../src/sandbox/fake-discord/index.ts';
import { embeddingFor } from '../src/storage/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { sideBySide, skipWithoutDetector } from './helpers/detector-data.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

// The same two photos as test/detector-classify.test.ts: each crop is named right.
const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10971.jpg');
const GOLDEN = path.join(imagewoofValDir, 'n02099601', 'n02099601_10122.jpg');

describe('several dogs in one photo on Discord', { skip: skipWithoutPhotos || skipWithoutDetector }, () => {
  let h: BotHarness;
  let twoDogs: Buffer;
  let posted: FakeMessage;
  let reply: FakeMessage;
  before(async () => {
    h = await startBotHarness({ DETECTOR: 'on' });
    ({ png: twoDogs } = await sideBySide([BEAGLE, GOLDEN]));
    posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [{ filename: 'two-dogs.png', bytes: twoDogs, contentType: 'image/png' }],
    });
    // The edited reply: two blocks.
    reply = await h.fake.waitForMessage(
      (m) => m.message_reference?.message_id === posted.id && m.embeds.length === 2,
      60_000,
    );
  });
  after(async () => {
    await h?.close();
  });

  /** The bot's REST calls that posted or edited the reply, in order. */
  const writesOf = (replyId: string, sourceId: string) =>
    h.fake.requests.filter(
      (r: RecordedRequest) =>
        (r.method === 'POST' &&
          r.route === '/channels/:channel/messages' &&
          (r.body as { message_reference?: { message_id?: string } }).message_reference?.message_id ===
            sourceId) ||
        (r.method === 'PATCH' && r.path.endsWith(`/messages/${replyId}`)),
    );
  type Written = { embeds?: { title?: string }[] };

  test('the first answer is the whole photo; the same reply is then edited to the dogs and their boxes', async () => {
    const [sent, edit, ...more] = writesOf(reply.id, posted.id);
    assert.equal(sent?.method, 'POST');
    const first = sent.body as Written;
    assert.equal(first.embeds?.length, 1);
    assert.match(first.embeds![0]!.title ?? '', /^Looks like: /);
    assert.deepEqual(sent.files, [], 'no boxes picture before the detector has answered');
    assert.equal(edit?.method, 'PATCH');
    assert.deepEqual(
      (edit.body as Written).embeds?.map((e) => e.title),
      ['Dog 1, left: Beagle', 'Dog 2, right: Golden Retriever'],
    );
    assert.deepEqual(
      edit.files.map((f) => f.name),
      ['dogs-1.png'],
    );
    assert.deepEqual(more, [], 'one edit');
  });

  test('the reply has one block per dog, left to right, and the photo with numbered boxes', async () => {
    assert.deepEqual(
      reply.embeds.map((e) => e.title),
      ['Dog 1, left: Beagle', 'Dog 2, right: Golden Retriever'],
    );
    assert.match(reply.content, /Several dogs in the photo .*`\/label breed: dog:<n>`/);
    assert.deepEqual(reply.reactions, [], 'no vote reactions: 2️⃣ would not say which dog');
    const file = reply.attachments.find((a) => a.filename === 'dogs-1.png');
    assert.ok(file, `attachments: ${reply.attachments.map((a) => a.filename).join(', ') || 'none'}`);
    assert.equal(file.content_type, 'image/png');
    assert.equal(
      file.description,
      'The photo with 2 dogs boxed and numbered left to right. 1 (left): Beagle; 2 (right): Golden Retriever.',
    );
    const meta = await sharp(Buffer.from(await (await fetch(file.url)).arrayBuffer())).metadata();
    const photo = await sharp(twoDogs).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [photo.width, photo.height], 'the photo is under 1024 px');
  });

  test('/label dog:2 labels the second crop, whose parent is the photo; the reply shows it on dog 2', async () => {
    const run = await h.fake.runCommand({
      name: 'label',
      userId: 'carol',
      channelId: h.channelId,
      options: { breed: 'Golden Retriever', dog: 2 },
    });
    assert.match((await run.reply()).content, /labelled that photo \*\*Golden Retriever\*\*/);

    const stored = await h.app.store.predictionsForMessage(posted.id);
    const whole = stored.find((p) => p.dogNumber === null);
    const dogs = stored.filter((p) => p.dogNumber !== null);
    assert.ok(whole, 'the whole photo keeps its own prediction');
    assert.deepEqual(
      dogs.map((d) => [d.dogNumber, d.topBreed, d.replyMessageId]),
      [
        [1, 'Beagle', reply.id],
        [2, 'Golden Retriever', reply.id],
      ],
    );
    const second = dogs[1]!;
    const crop = await h.app.store.dogCropOf(second.imageId);
    assert.equal(crop?.parentImageId, whole.imageId);
    assert.ok(crop.box.x > crop.parentWidth / 3, `the second crop is on the right: ${JSON.stringify(crop)}`);
    const carol = h.fake.user('carol').id;
    assert.deepEqual(
      (await h.app.store.labelsForImage(second.imageId))
        .filter((l) => l.userId === carol)
        .map((l) => l.breed),
      ['Golden Retriever'],
    );
    assert.deepEqual(await h.app.store.labelsForImage(dogs[0]!.imageId), []);
    // Training reads embeddings per labelled image: the crop's own is stored with its prediction.
    const embedding = await embeddingFor(h.app.db, second.imageId, second.backboneId);
    const photoEmbedding = await embeddingFor(h.app.db, whole.imageId, whole.backboneId);
    assert.ok(embedding && photoEmbedding && embedding.some((v, i) => v !== photoEmbedding[i]));
    assert.deepEqual(await h.app.store.labelsForImage(whole.imageId), []);

    const rerendered = await h.fake.waitForMessage(
      (m) => m.id === reply.id && (m.embeds[1]?.fields?.some((f) => f.name === 'Labels') ?? false),
    );
    assert.deepEqual(
      rerendered.embeds.map((e) => e.title),
      ['Dog 1, left: Beagle', 'Dog 2, right: Golden Retriever'],
    );
    assert.equal(rerendered.embeds[0]!.fields?.length ?? 0, 0);
    assert.equal(rerendered.attachments.length, 1, 'the boxes picture stays');
  });

  test('/classify url: with the two-dog photo answers the same way, boxes picture included', async () => {
    const url = h.fake.hostFile('two-dogs-again.png', twoDogs, 'image/png');
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url },
    });
    const answer = await run.waitForReply((m) => m.embeds.length === 2, 60_000);
    assert.deepEqual(
      answer.embeds.map((e) => e.title),
      ['Dog 1, left: Beagle', 'Dog 2, right: Golden Retriever'],
    );
    assert.deepEqual(
      answer.attachments.map((a) => a.filename),
      ['dogs-1.png'],
    );
  });

  test('/label without dog: on that reply asks which dog; dog:3 is out of range', async () => {
    const ask = await h.fake.runCommand({
      name: 'label',
      userId: 'bob',
      channelId: h.channelId,
      options: { breed: 'Beagle' },
    });
    assert.match((await ask.reply()).content, /shows 2 dogs: say which with `dog:`/);
    const tooFar = await h.fake.runCommand({
      name: 'label',
      userId: 'bob',
      channelId: h.channelId,
      options: { breed: 'Beagle', dog: 3 },
    });
    assert.match((await tooFar.reply()).content, /pick `dog:` between 1 and 2/);
  });

  test('a one-dog photo gets its answer and its vote reactions, and its reply is never edited', async () => {
    const alone = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [{ filename: 'beagle.jpg', bytes: await readFile(BEAGLE), contentType: 'image/jpeg' }],
    });
    // The reactions come once the detector has had its say (a reply that became several dogs has none).
    const answer = await h.replyTo(alone.id, 6);
    assert.deepEqual(
      answer.embeds.map((e) => e.title),
      ['Looks like: Beagle'],
    );
    assert.deepEqual(
      writesOf(answer.id, alone.id).map((r) => r.method),
      ['POST'],
    );
    assert.equal(answer.attachments.length, 0);
  });

  test('reactions on the edited reply: ❌ still explains /label; a number names no dog, so labels nothing', async () => {
    const dora = h.fake.addPerson('dora').id;
    h.fake.addReaction({ messageId: reply.id, userId: 'dora', emoji: '1️⃣' });
    h.fake.addReaction({ messageId: reply.id, userId: 'dora', emoji: '❌' });
    await h.fake.waitUntil(() => (h.fake.dmsTo('dora').length ? true : undefined), 15_000, "dora's DM");
    assert.match(h.fake.dmsTo('dora')[0]!.content, /dog:/);
    for (const p of await h.app.store.predictionsForMessage(posted.id)) {
      const hers = (await h.app.store.labelsForImage(p.imageId)).filter((l) => l.userId === dora);
      assert.deepEqual(hers, [], `prediction ${p.dogNumber ?? 'whole'}`);
    }
  });
});
