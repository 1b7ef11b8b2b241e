/**
 * /label with a typed-out breed (issue 14 §2), through the fake Discord: a typo that matches one breed is taken
 * and the reply says how it was read; several matches are listed; an autocomplete query that matches nothing
 * shows one "no breed matches" entry whose value, when sent, is refused and labels nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_BREED_MATCH_VALUE } from '../src/storage/breed-search.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, skipWithoutPhotos } from './helpers/shared-data.ts';

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');

describe('/label with a typed-out breed', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  let imageId: string;
  before(async () => {
    h = await startBotHarness();
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'alice',
      files: [{ filename: 'dog.jpg', bytes: readFileSync(BEAGLE), contentType: 'image/jpeg' }],
    });
    const reply = await h.replyTo(posted.id, 6);
    imageId = (await h.app.replyItems(reply.id))[0]!.imageId;
  });
  after(async () => {
    await h?.close();
  });

  const label = async (userId: string, breed: string) =>
    (
      await (
        await h.fake.runCommand({ name: 'label', userId, channelId: h.channelId, options: { breed } })
      ).reply()
    ).content;

  test('a typo that matches exactly one breed is taken, and the reply says how it was read', async () => {
    const content = await label('carol', 'goldn retreiver');
    assert.match(content, /I read that as \*\*Golden Retriever\*\*/);
    assert.match(content, /labelled that photo \*\*Golden Retriever\*\*/);
    const labels = await h.app.store.labelsForImage(imageId);
    assert.ok(labels.some((l) => l.userId === h.fake.users.carol.id && l.breed === 'Golden Retriever'));
  });

  test('a name several breeds match is answered with the list to choose from, and labels nothing', async () => {
    const before = (await h.app.store.labelsForImage(imageId)).length;
    const content = await label('alice', 'terrier');
    assert.match(content, /"terrier" could be several breeds: .+Terrier.*, .+\. Which one\?/);
    assert.equal((await h.app.store.labelsForImage(imageId)).length, before);
  });

  test('an autocomplete query with no match shows one "no breed matches" entry; sending it does nothing', async () => {
    const choices = await h.fake.autocomplete({
      name: 'label',
      userId: 'owner',
      channelId: h.channelId,
      focusedOption: 'breed',
      value: 'qqqqzzzz',
    });
    assert.equal(choices.length, 1);
    assert.match(choices[0]!.name, /No breed matches "qqqqzzzz"/);
    assert.equal(choices[0]!.value, NO_BREED_MATCH_VALUE);

    const before = (await h.app.store.labelsForImage(imageId)).length;
    const breedsBefore = await h.app.autocompleteBreeds('no breed');
    // the owner is a moderator: even so, the entry creates no breed
    const content = await label('owner', String(choices[0]!.value));
    assert.match(content, /no breed matched what you typed/);
    assert.equal((await h.app.store.labelsForImage(imageId)).length, before);
    assert.deepEqual(await h.app.autocompleteBreeds('no breed'), breedsBefore);
  });

  test('a name nothing matches is still refused with the nearest names', async () => {
    assert.match(
      await label('alice', 'Beaglx Hund'),
      /I don't know a breed called "Beaglx Hund"\. Did you mean: /,
    );
  });
});
