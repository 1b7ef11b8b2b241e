/**
 * Gateway trouble (issue 6 §3): the fake drops the connection (the bot resumes and gets what it missed exactly
 * once), sends INVALID_SESSION (the bot identifies again), and replays dispatches. Nothing is processed twice:
 * replies and labels are counted.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startBotRig, type BotRig } from './abuse/bot-rig.ts';
import { dogPhotos, missingSharedInputs } from './helpers/shared-data.ts';

const files = dogPhotos(8);
const photo = (i: number) => ({
  filename: `g${i}.jpg`,
  bytes: readFileSync(files[i]!),
  contentType: 'image/jpeg',
});

describe('gateway trouble', { skip: missingSharedInputs() ?? false }, () => {
  let rig: BotRig;
  before(async () => {
    rig = await startBotRig();
  });
  after(async () => {
    await rig?.close();
  });

  const repliesTo = (messageId: string) =>
    rig.fake.channelMessages(rig.channelId).filter((m) => m.message_reference?.message_id === messageId);
  const labelsOn = async (replyId: string) => {
    const [item] = await rig.app.replyItems(replyId);
    return rig.app.store.labelsForImage(item!.imageId);
  };
  /** Polls: a reconnect makes no REST call, so the fake's own waiters would not notice it. */
  const reconnected = async () => {
    for (let i = 0; i < 300 && rig.fake.connectedSessions !== 1; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(rig.fake.connectedSessions, 1, 'the bot did not reconnect');
  };
  /** Request counts settle: a later photo's reply proves earlier events were handled. */
  const marker = async (i: number) => {
    const m = await rig.fake.postMessage({ channelId: rig.channelId, userId: 'carol', files: [photo(i)] });
    await rig.replyTo(m.id, 6);
  };

  test('a dropped connection resumes: events sent while away arrive once', async () => {
    const first = await rig.fake.postMessage({
      channelId: rig.channelId,
      userId: 'alice',
      files: [photo(0)],
    });
    const reply = await rig.replyTo(first.id, 6);
    const edits = () =>
      rig.fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${reply.id}`))
        .length;

    rig.fake.dropConnection({ resumable: true });
    // Sent while the bot is disconnected: the fake buffers them for RESUME.
    const away = await rig.fake.postMessage({ channelId: rig.channelId, userId: 'alice', files: [photo(1)] });
    rig.fake.addReaction({ messageId: reply.id, userId: 'bob', emoji: '2️⃣' });
    await reconnected();
    await rig.replyTo(away.id, 6);
    await marker(2);
    assert.equal(repliesTo(away.id).length, 1);
    assert.equal(repliesTo(first.id).length, 1);
    assert.equal((await labelsOn(reply.id)).length, 1);
    assert.equal(edits(), 1);

    // The same reaction and message delivered again (a replay after reconnect): no second label, edit or reply.
    rig.fake.replayLastDispatch('MESSAGE_REACTION_ADD');
    rig.fake.replayLastDispatch('MESSAGE_CREATE');
    await marker(3);
    assert.equal((await labelsOn(reply.id)).length, 1);
    assert.equal(edits(), 1);
    assert.equal(repliesTo(first.id).length + repliesTo(away.id).length, 2);
  });

  test('an abrupt drop and an op 7 reconnect request: the bot comes back and answers once', async () => {
    rig.fake.dropConnection({ resumable: true, abrupt: true });
    await reconnected();
    rig.fake.requestReconnect();
    const posted = await rig.fake.postMessage({ channelId: rig.channelId, userId: 'bob', files: [photo(4)] });
    await rig.replyTo(posted.id, 6);
    await marker(5);
    assert.equal(repliesTo(posted.id).length, 1);
  });

  test('an invalid session makes the bot identify again; later events are handled once', async () => {
    rig.fake.invalidateSession({ resumable: false });
    await new Promise((r) => setTimeout(r, 200));
    await reconnected();
    const posted = await rig.fake.postMessage({
      channelId: rig.channelId,
      userId: 'alice',
      files: [photo(6)],
    });
    const reply = await rig.replyTo(posted.id, 6);
    rig.fake.addReaction({ messageId: reply.id, userId: 'carol', emoji: '3️⃣' });
    rig.fake.replayLastDispatch('MESSAGE_CREATE');
    await marker(7);
    assert.equal(repliesTo(posted.id).length, 1);
    assert.equal((await labelsOn(reply.id)).length, 1);
  });
});
