/**
 * Unexpected failures through the fake Discord: with the labels table gone from the app's database (closing the
 * connection is not enough: Prisma reconnects on the next query), a command answers with a message naming that
 * command, never the photo wording nor the internal error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { skipWithoutSharedModel } from './helpers/shared-data.ts';

describe('a command that fails unexpectedly', { skip: skipWithoutSharedModel }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  const run = async (name: string, userId: string, options: Record<string, string | number | boolean> = {}) =>
    (await h.fake.runCommand({ name, userId, channelId: h.channelId, options })).reply(30_000);

  test('answers with a generic message naming the command, without internals', async () => {
    assert.ok((await run('stats', 'alice')).embeds.length > 0, 'stats works while the database is open');
    await h.app.db.prisma.$executeRawUnsafe('ALTER TABLE "Label" RENAME TO "LabelGone"');

    const stats = await run('stats', 'alice');
    assert.equal(stats.content, 'Something went wrong with /stats. It has been logged; please try again.');
    const review = await run('moderate review', 'moderator');
    assert.equal(
      review.content,
      'Something went wrong with /moderate review. It has been logged; please try again.',
    );
    for (const text of [stats.content, review.content])
      assert.doesNotMatch(text, /photo|prisma|sql|database|Error/i);
  });
});
