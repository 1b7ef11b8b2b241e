/**
 * Which photo `/label` without `message:` labels (issue 14 §3), through the fake Discord: the newest photo the
 * bot answered that was a dog, said with a link to the reply showing it; a channel whose answered photos are
 * all not dogs gets a question with buttons, and only the confirmation stores the label. `message:` takes the
 * link the sandbox page's "Copy message link" gives (Discord's form), and refuses links it cannot follow (§6).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { attachSandboxPage } from '../src/sandbox/index.ts';
import type { FakeMessage } from '../src/sandbox/fake-discord/index.ts';
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

  describe('message: with a message link (issue 14 §6)', () => {
    let page: { baseUrl: string };
    before(() => {
      attachSandboxPage(h.fake);
      page = { baseUrl: h.fake.baseUrl };
    });
    /** The messages of a channel as the sandbox page gets them, each with its "Copy message link" link. */
    const pageMessages = async (channelId: string, viewer: string) =>
      (await (
        await fetch(`${page.baseUrl}/sandbox/api/messages?channelId=${channelId}&userId=${viewer}`)
      ).json()) as (FakeMessage & { link: string })[];
    const label = async (userKey: string, message: string) =>
      (
        await (
          await h.fake.runCommand({
            name: 'label',
            userId: userKey,
            channelId: h.channelId,
            options: { breed: 'Beagle', message },
          })
        ).reply()
      ).content;

    test('the link the page copies for my reply labels that photo', async () => {
      const dog = await post(h.channelId, BEAGLE);
      const shown = (await pageMessages(h.channelId, h.fake.users.alice.id)).find(
        (m) => m.id === dog.reply.id,
      )!;
      assert.equal(shown.link, linkTo(h.channelId, dog.reply.id));
      const content = await label('moderator', shown.link);
      assert.match(content, /Thanks! You labelled that photo \*\*Beagle\*\*/);
      assert.equal((await labelsBy(dog.imageId, 'moderator')).length, 1);
    });

    test("the page's buttons answer the bot's question (a click through the page API)", async () => {
      const channelId = h.fake.channel('general').id;
      const run = await h.fake.runCommand({
        name: 'label',
        userId: 'moderator',
        channelId,
        options: { breed: 'Pug' },
      });
      const question = await run.reply();
      const row = question.components![0] as { components: { custom_id: string }[] };
      const response = await fetch(`${page.baseUrl}/sandbox/api/buttons`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          messageId: question.id,
          customId: row.components[0]!.custom_id,
          userId: h.fake.users.moderator.id,
        }),
      });
      assert.equal(response.status, 200);
      await h.fake.waitForMessage(
        (m) => m.id === question.id && /labelled that photo \*\*Pug\*\*/.test(m.content),
      );
    });

    test('links it cannot follow are refused clearly and label nothing', async () => {
      const before = (await h.app.store.counts()).labels;
      const guildId = h.fake.guild.guild.id;
      const unknownChannel = `https://discord.com/channels/${guildId}/123456789012345678/123456789012345679`;
      assert.match(await label('alice', unknownChannel), /a channel I can't see in this server/);
      const other = h.fake.guilds[1]!;
      const foreign = `https://discord.com/channels/${other.guild.id}/${other.channels[0]!.id}/123456789012345679`;
      assert.match(await label('alice', foreign), /in another server/);
      assert.match(await label('alice', 'https://example.com/not-a-message'), /Copy Message Link/);
      assert.equal((await h.app.store.counts()).labels, before);
    });
  });
});
