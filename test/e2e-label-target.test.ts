/**
 * Which photo `/label` without `message:` labels (issue 14 §3), through the fake Discord: the newest photo the
 * bot answered that was a dog, said with a link to the reply showing it; a channel whose answered photos are
 * all not dogs gets a question with buttons, and only the confirmation stores the label.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, notDogsDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');
const SAILBOAT = path.join(notDogsDir, 'n04612504_yawl.jpg');
const jpeg = (file: string) => ({
  filename: path.basename(file),
  bytes: readFileSync(file),
  contentType: 'image/jpeg',
});

describe('/label without message:', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  /** Posts a photo and returns the bot's reply and the image it shows. */
  const post = async (channelId: string, file: string) => {
    const posted = await h.fake.postMessage({ channelId, userId: 'alice', files: [jpeg(file)] });
    const reply = await h.replyTo(posted.id);
    // The reply is linked to its prediction just after it is sent.
    let items = await h.app.replyItems(reply.id);
    for (let i = 0; items.length === 0 && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25));
      items = await h.app.replyItems(reply.id);
    }
    const [item] = items;
    return { reply, imageId: item!.imageId, isDog: item!.result.isDog };
  };
  const labelsBy = async (imageId: string, userKey: string) =>
    (await h.app.store.labelsForImage(imageId)).filter((l) => l.userId === h.fake.user(userKey).id);
  const linkTo = (channelId: string, messageId: string) =>
    `https://discord.com/channels/${h.fake.guild.guild.id}/${channelId}/${messageId}`;

  test('a sailboat answered after a dog: the label goes to the dog, and the answer links to its reply', async () => {
    const dog = await post(h.channelId, BEAGLE);
    const boat = await post(h.channelId, SAILBOAT);
    assert.equal(dog.isDog, true);
    assert.equal(boat.isDog, false, 'the sailboat is not a dog');

    const run = await h.fake.runCommand({
      name: 'label',
      userId: 'carol',
      channelId: h.channelId,
      options: { breed: 'Golden Retriever' },
    });
    const content = (await run.reply()).content;
    assert.match(content, /labelled that photo \*\*Golden Retriever\*\*/);
    assert.ok(content.includes(`(${linkTo(h.channelId, dog.reply.id)})`), content);
    assert.deepEqual(
      (await labelsBy(dog.imageId, 'carol')).map((l) => l.breed),
      ['Golden Retriever'],
    );
    assert.deepEqual(await labelsBy(boat.imageId, 'carol'), [], 'nothing on the sailboat');
  });

  describe('a channel whose only answered photo is not a dog', () => {
    let channelId: string;
    let boat: Awaited<ReturnType<typeof post>>;
    before(async () => {
      channelId = h.fake.channel('general').id;
      boat = await post(channelId, SAILBOAT);
    });

    const ask = async (userKey: string, breed: string) => {
      const run = await h.fake.runCommand({ name: 'label', userId: userKey, channelId, options: { breed } });
      const question = await run.reply();
      const buttons = question.components!.flatMap((row) =>
        'components' in row ? (row.components as { custom_id: string; label: string }[]) : [],
      );
      return { question, buttons };
    };

    test('is not labelled without a confirmation; confirming stores it and says which photo', async () => {
      const { question, buttons } = await ask('bob', 'Beagle');
      assert.match(question.content, /doesn't look like a dog/);
      assert.ok(question.content.includes(linkTo(channelId, boat.reply.id)), question.content);
      assert.deepEqual(
        buttons.map((b) => b.label),
        ['Label it Beagle', 'Cancel'],
      );
      assert.deepEqual(await labelsBy(boat.imageId, 'bob'), [], 'nothing stored before the confirmation');

      const click = h.fake.clickButton({
        messageId: question.id,
        customId: buttons[0]!.custom_id,
        userId: 'bob',
      });
      const answered = await click.waitForReply((m) => /labelled that photo/.test(m.content));
      assert.match(answered.content, /Thanks! You labelled that photo \*\*Beagle\*\*/);
      assert.ok(answered.content.includes(linkTo(channelId, boat.reply.id)));
      assert.deepEqual(answered.components, [], 'the buttons are gone');
      assert.deepEqual(
        (await labelsBy(boat.imageId, 'bob')).map((l) => l.breed),
        ['Beagle'],
      );
    });

    test('Cancel stores nothing', async () => {
      const { question, buttons } = await ask('carol', 'Beagle');
      const click = h.fake.clickButton({
        messageId: question.id,
        customId: buttons[1]!.custom_id,
        userId: 'carol',
      });
      const answered = await click.waitForReply((m) => /Nothing was labelled/.test(m.content));
      assert.deepEqual(answered.components, []);
      assert.deepEqual(await labelsBy(boat.imageId, 'carol'), []);
    });

    test('message: names the photo directly, without a question', async () => {
      const run = await h.fake.runCommand({
        name: 'label',
        userId: 'alice',
        channelId,
        options: { breed: 'Beagle', message: boat.reply.id },
      });
      assert.match((await run.reply()).content, /Thanks! You labelled that photo \*\*Beagle\*\*/);
      assert.equal((await labelsBy(boat.imageId, 'alice')).length, 1);
    });
  });
});
