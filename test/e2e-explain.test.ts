/**
 * The "why?" heatmap through the fake Discord (issue 12 §2): `/classify explain:true` attaches a PNG whose
 * description names the breed and where the heat is, and the 🔍 button under a classification reply answers
 * the person who pressed it with the same picture.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import { projectRoot } from '../src/config.ts';
import type { FakeMessage } from '../src/sandbox/fake-discord/index.ts';
import { startBotHarness, type BotHarness } from './helpers/bot-harness.ts';
import { imagewoofValDir, notDogPhotos, skipWithoutPhotos } from './helpers/shared-data.ts';
import { createOpenApiChecker } from './rigs/openapi-check.ts';

const SPEC = path.resolve(projectRoot, '../shared/specs/discord-openapi.json');

const BEAGLE = path.join(imagewoofValDir, 'n02088364', 'n02088364_10651.jpg');
const ALT =
  /^Heatmap of what made me say Beagle \(\d+%\): most heat in the (top|centre|bottom)(-(left|centre|right))?/;

const buttonsOf = (m: FakeMessage) =>
  (m.components ?? []).flatMap((row) =>
    'components' in row ? (row.components as { custom_id: string; label: string }[]) : [],
  );

async function decodedHeatmap(m: FakeMessage) {
  const file = m.attachments.find((a) => a.filename === 'why.png');
  assert.ok(file, `attachments: ${m.attachments.map((a) => a.filename).join(', ') || 'none'}`);
  assert.equal(file.content_type, 'image/png');
  const meta = await sharp(Buffer.from(await (await fetch(file.url)).arrayBuffer())).metadata();
  return { file, meta };
}

describe('the "why?" heatmap through the fake Discord', { skip: skipWithoutPhotos }, () => {
  let h: BotHarness;
  before(async () => {
    h = await startBotHarness();
  });
  after(async () => {
    await h?.close();
  });

  test('/classify explain:true attaches a heatmap PNG with alt text, beside the usual answer', async () => {
    const url = h.fake.hostFile('beagle.jpg', readFileSync(BEAGLE), 'image/jpeg');
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'alice',
      channelId: h.channelId,
      options: { url, explain: true },
    });
    const reply = await run.waitForReply((m) => m.reactions.length === 6, 120_000);
    assert.match(reply.embeds[0]!.title ?? '', /Looks like: Beagle/);
    const { file, meta } = await decodedHeatmap(reply);
    assert.match(file.description ?? '', ALT);
    const photo = await sharp(BEAGLE).metadata();
    assert.equal(meta.format, 'png');
    assert.deepEqual([meta.width, meta.height], [photo.width, photo.height], 'the photo is under 1024 px');
  });

  test('/classify without explain has no picture, and a not-a-dog photo gets no heatmap', async () => {
    const url = h.fake.hostFile('beagle-again.jpg', readFileSync(BEAGLE), 'image/jpeg');
    const plain = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url },
    });
    assert.deepEqual((await plain.waitForReply((m) => m.reactions.length === 6, 60_000)).attachments, []);

    const cat = h.fake.hostFile(
      'cat.jpg',
      readFileSync(notDogPhotos().find((f) => /tabby/.test(f))!),
      'image/jpeg',
    );
    const run = await h.fake.runCommand({
      name: 'classify',
      userId: 'bob',
      channelId: h.channelId,
      options: { url: cat, explain: true },
    });
    const reply = await run.reply(60_000);
    assert.match(reply.content, /No heatmap: I only explain breeds/);
    assert.deepEqual(reply.attachments, []);
    assert.deepEqual(buttonsOf(reply), [], 'no 🔍 under a photo that is not a dog');
  });

  test('the 🔍 button under an auto-classified photo answers the person who pressed it', async () => {
    const posted = await h.fake.postMessage({
      channelId: h.channelId,
      userId: 'carol',
      files: [{ filename: 'beagle.jpg', bytes: readFileSync(BEAGLE), contentType: 'image/jpeg' }],
    });
    const reply = await h.replyTo(posted.id, 6);
    const [button] = buttonsOf(reply);
    assert.ok(button, 'a 🔍 button under the reply');
    assert.equal(button.label, 'Why?');

    const click = h.fake.clickButton({ messageId: reply.id, customId: button.custom_id, userId: 'bob' });
    const answer = await click.waitForReply((m) => m.content !== '', 120_000);
    assert.match(answer.content, /Why \*\*Beagle\*\*: mostly the /);
    const { file, meta } = await decodedHeatmap(answer);
    assert.match(file.description ?? '', ALT);
    assert.ok((meta.width ?? 0) > 100 && (meta.height ?? 0) > 100);
    assert.ok((answer.flags ?? 0) & 64, 'only the person who pressed sees it (ephemeral)');
  });

  test("the bot's replies with buttons and heatmap uploads match Discord's OpenAPI description", async (t) => {
    if (!existsSync(SPEC)) return t.skip('needs ../shared/specs/discord-openapi.json (absent)');
    const checker = createOpenApiChecker(JSON.parse(readFileSync(SPEC, 'utf8')));
    // What the bot sends when it replies (the fake's own responses are the fake's business, checked elsewhere).
    const replies = new Set([
      'POST /channels/:channel/messages',
      'PATCH /webhooks/:app/:token/messages/:message',
      'POST /interactions/:interaction/:token/callback',
    ]);
    const sent = h.fake.requests.filter(
      (r) => r.route !== null && r.status < 300 && replies.has(`${r.method} ${r.route}`),
    );
    assert.ok(sent.length >= 6, `${sent.length} replies recorded`);
    assert.deepEqual(
      sent.flatMap((r) => checker.check(r)).filter((problem) => / request: /.test(problem)),
      [],
    );
  });
});
