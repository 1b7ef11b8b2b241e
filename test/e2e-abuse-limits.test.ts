/**
 * Rate limits per person and per server, on every path that classifies (posted photos, /classify, the
 * "Classify breed" menu) or labels (reactions, /label), with a polite answer; the limits come from the settings.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startBotRig, type BotRig } from './abuse/bot-rig.ts';
import { dogPhotos, missingSharedInputs } from './helpers/shared-data.ts';
import { updateGuildSettings } from '../src/storage/guild-settings.ts';

const POLITE_USER = /^You are going a bit fast\. Please try again in \d+ s\.$/;
const POLITE_GUILD = /^This server is going a bit fast\. Please try again in \d+ s\.$/;
const files = dogPhotos(12);
const photo = (i: number) => ({
  filename: `p${i}.jpg`,
  bytes: readFileSync(files[i]!),
  contentType: 'image/jpeg',
});

describe('rate limits on every path', { skip: missingSharedInputs() ?? false }, () => {
  let rig: BotRig;
  before(async () => {
    rig = await startBotRig({
      RATE_CLASSIFY_PER_USER: '2',
      RATE_CLASSIFY_PER_GUILD: '5',
      RATE_LABEL_PER_USER: '2',
      RATE_LABEL_PER_GUILD: '1000',
    });
    // Only #dog-photos is auto-classified, so photos in #general can be targets of the menu.
    await updateGuildSettings(rig.app.db, rig.guildId, { enabledChannelIds: [rig.channelId] });
  });
  after(async () => {
    await rig?.close();
  });

  const post = async (userId: string, i: number) => {
    const posted = await rig.fake.postMessage({ channelId: rig.channelId, userId, files: [photo(i)] });
    return rig.replyTo(posted.id);
  };

  test('posted photos, /classify and the menu share the per-person budget, then answer politely', async () => {
    assert.equal((await post('alice', 0)).embeds.length, 1);
    assert.equal((await post('alice', 1)).embeds.length, 1);
    assert.match((await post('alice', 2)).content, POLITE_USER);

    const url = rig.fake.hostFile('limit.jpg', photo(3).bytes, 'image/jpeg');
    const slash = await rig.fake.runCommand({
      name: 'classify',
      userId: 'alice',
      channelId: rig.channelId,
      options: { url },
    });
    assert.match((await slash.reply()).content, POLITE_USER);

    const target = await rig.fake.postMessage({
      channelId: rig.fake.channel('general').id,
      userId: 'bob',
      files: [photo(4)],
    });
    const menu = rig.fake.runMessageCommand({
      name: 'Classify breed',
      userId: 'alice',
      channelId: rig.fake.channel('general').id,
      targetMessageId: target.id,
    });
    assert.match((await menu.reply(30_000)).content, POLITE_USER);
  });

  test('the server budget stops everyone once spent', async () => {
    assert.equal((await post('bob', 5)).embeds.length, 1);
    assert.equal((await post('bob', 6)).embeds.length, 1); // alice 2 + bob 2 = 4 of 5
    assert.equal((await post('carol', 7)).embeds.length, 1); // 5 of 5
    assert.match((await post('owner', 8)).content, POLITE_GUILD);
  });

  test('reactions and /label share the per-person label budget; a refused reaction stores nothing', async () => {
    const replies = rig.fake
      .channelMessages(rig.channelId)
      .filter(
        (m) => m.author.id === rig.fake.users.bot.id && m.embeds.length === 1 && m.reactions.length === 6,
      );
    assert.ok(replies.length >= 4);
    const newbie = rig.fake.users.newbie.id;
    const labelsOf = async () => {
      let n = 0;
      for (const r of replies) {
        const [item] = await rig.app.replyItems(r.id);
        n += (await rig.app.store.labelsForImage(item!.imageId)).filter((l) => l.userId === newbie).length;
      }
      return n;
    };
    rig.fake.addReaction({ messageId: replies[0]!.id, userId: 'newbie', emoji: '1️⃣' });
    rig.fake.addReaction({ messageId: replies[1]!.id, userId: 'newbie', emoji: '1️⃣' });
    for (let i = 0; i < 100 && (await labelsOf()) < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await labelsOf(), 2);
    rig.fake.addReaction({ messageId: replies[2]!.id, userId: 'newbie', emoji: '1️⃣' });
    const label = await rig.fake.runCommand({
      name: 'label',
      userId: 'newbie',
      channelId: rig.channelId,
      options: { breed: 'Beagle', message: rig.link(replies[3]!.id) },
    });
    assert.match((await label.reply()).content, POLITE_USER);
    // The refused reaction was handled before the /label answer (events run in order of arrival).
    assert.equal(await labelsOf(), 2);
  });
});
