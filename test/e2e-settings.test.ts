/**
 * /settings end to end: moderators change where photos are classified, auto-classify, the moderator role and
 * the server's own rate limits through the fake Discord with the real bot; members without rights change nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { MessageFlags } from 'discord.js';
import { startBotRig, type BotRig } from './abuse/bot-rig.ts';
import { dogPhotos, missingSharedInputs } from './helpers/shared-data.ts';
import type { FakeMessage, RecordedRequest } from '../src/sandbox/fake-discord/index.ts';
import { snowflake } from '../src/sandbox/fake-discord/snowflake.ts';

const POLITE_GUILD = /^This server is going a bit fast\. Please try again in \d+ s\.$/;
const files = dogPhotos(4);
const photo = (i: number) => ({
  filename: `s${i}.jpg`,
  bytes: readFileSync(files[i % files.length]!),
  contentType: 'image/jpeg',
});
const DEFAULTS = {
  classifyPerUser: 100,
  classifyPerGuild: 500,
  labelPerUser: 100,
  labelPerGuild: 500,
};

const fields = (m: FakeMessage) =>
  Object.fromEntries((m.embeds[0]?.fields ?? []).map((f) => [f.name, f.value])) as Record<string, string>;
const isEphemeral = (m: FakeMessage) => ((m.flags ?? 0) & MessageFlags.Ephemeral) !== 0;

describe('/settings through the fake Discord', { skip: missingSharedInputs() ?? false }, () => {
  let rig: BotRig;
  let general: string;
  before(async () => {
    rig = await startBotRig({
      RATE_CLASSIFY_PER_USER: String(DEFAULTS.classifyPerUser),
      RATE_CLASSIFY_PER_GUILD: String(DEFAULTS.classifyPerGuild),
      RATE_LABEL_PER_USER: String(DEFAULTS.labelPerUser),
      RATE_LABEL_PER_GUILD: String(DEFAULTS.labelPerGuild),
    });
    general = rig.fake.channel('general').id;
  });
  after(async () => {
    await rig?.close();
  });

  const settings = async (
    userId: string,
    sub: string,
    options: Record<string, string | number | boolean> = {},
  ) => {
    const run = await rig.fake.runCommand({
      name: `settings ${sub}`,
      userId,
      channelId: rig.channelId,
      options,
    });
    return run.reply();
  };
  const post = (channelId: string, userId: string, i: number) =>
    rig.fake.postMessage({ channelId, userId, files: [photo(i)] });
  const repliesTo = (channelId: string, messageId: string) =>
    rig.fake.channelMessages(channelId).filter((m) => m.message_reference?.message_id === messageId);

  test('a member without rights is refused every subcommand, and nothing changes', async () => {
    const attempts: [string, Record<string, string | number | boolean>][] = [
      ['show', {}],
      ['channel', { channel: general, enabled: true }],
      ['auto-classify', { enabled: false }],
      ['moderator-role', { role: rig.fake.guild.moderatorRole.id }],
      ['rate-limits', { 'classify-per-server': 1 }],
      ['rate-limits', { reset: true }],
    ];
    for (const [sub, options] of attempts) {
      const reply = await settings('newbie', sub, options);
      assert.match(reply.content, /^Only moderators can (see|change) breedbot's settings/, sub);
      assert.ok(isEphemeral(reply), sub);
    }
    assert.deepEqual(await rig.app.store.guildSettings(rig.guildId), {
      moderatorRoleId: null,
      autoClassify: true,
      enabledChannelIds: [],
      rateLimits: { classifyPerUser: null, classifyPerGuild: null, labelPerUser: null, labelPerGuild: null },
    });
  });

  test('show: every channel, auto-classify on, no role, the configured limits marked (default)', async () => {
    const reply = await settings('moderator', 'show');
    assert.ok(isEphemeral(reply));
    const f = fields(reply);
    assert.equal(f['Auto-classify'], 'on');
    assert.equal(f['Channels'], 'every channel (none listed)');
    assert.equal(f['Moderator role'], 'none (Manage Server only)');
    assert.equal(
      f['Rate limits'],
      [
        'Classifications per person: 100 per minute (default)',
        'Classifications per server: 500 per minute (default)',
        'Labels per person: 100 per minute (default)',
        'Labels per server: 500 per minute (default)',
      ].join('\n'),
    );
  });

  test('a channel list: photos elsewhere are not classified, in the listed channel they are', async () => {
    const enabled = await settings('moderator', 'channel', { channel: rig.channelId, enabled: true });
    assert.match(enabled.content, /are classified now\. Only the listed channels classify photos/);
    assert.equal(fields(enabled)['Channels'], `<#${rig.channelId}>`);

    const elsewhere = await post(general, 'alice', 0);
    const here = await post(rig.channelId, 'alice', 1);
    assert.equal((await rig.replyTo(here.id, 6)).embeds.length, 1); // handled after the post in #general
    assert.equal(repliesTo(general, elsewhere.id).length, 0);

    const refused = await settings('moderator', 'channel', { channel: general, enabled: false });
    assert.match(refused.content, /was not listed: nothing changed/);

    const removed = await settings('moderator', 'channel', { channel: rig.channelId, enabled: false });
    assert.match(
      removed.content,
      /no longer classified\. No channel is listed now, so photos are classified in \*\*every\*\* channel/,
    );
    assert.equal(fields(removed)['Channels'], 'every channel (none listed)');
    const anywhere = await post(general, 'alice', 2);
    assert.equal((await rig.replyTo(anywhere.id, 6)).embeds.length, 1);

    // With no list, one channel cannot be switched off alone: the answer says what to do instead.
    const explained = await settings('moderator', 'channel', { channel: general, enabled: false });
    assert.match(explained.content, /classified in every channel: one channel cannot be switched off/);
    assert.deepEqual((await rig.app.guildSettings(rig.guildId)).enabledChannelIds, []);
  });

  test('auto-classify off: posted photos get no reply, the menu still works; on again', async () => {
    const off = await settings('moderator', 'auto-classify', { enabled: false });
    assert.equal(fields(off)['Auto-classify'], 'off');
    const quiet = await post(rig.channelId, 'bob', 3);
    const menu = rig.fake.runMessageCommand({
      name: 'Classify breed',
      userId: 'bob',
      channelId: rig.channelId,
      targetMessageId: quiet.id,
    });
    await menu.waitForReply((m) => m.reactions.length === 6, 60_000);
    assert.equal(repliesTo(rig.channelId, quiet.id).length, 0);

    const on = await settings('moderator', 'auto-classify', { enabled: true });
    assert.equal(fields(on)['Auto-classify'], 'on');
    const again = await post(rig.channelId, 'bob', 0);
    assert.equal((await rig.replyTo(again.id, 6)).embeds.length, 1);
  });

  test('a moderator role lets its members use moderator commands; clearing it takes that back', async () => {
    // A role without Manage Server, held by carol.
    const walkers = {
      ...rig.fake.guild.moderatorRole,
      id: snowflake(),
      name: 'Dog walkers',
      permissions: '0',
    };
    rig.fake.guild.guild.roles.push(walkers);
    rig.fake.guild.members.get(rig.fake.users.carol.id)!.roles.push(walkers.id);
    const review = async () =>
      (
        await rig.fake.runCommand({ name: 'moderate review', userId: 'carol', channelId: rig.channelId })
      ).reply();

    assert.match((await review()).content, /Only moderators can review labels/);
    const everyone = await settings('moderator', 'moderator-role', { role: rig.guildId });
    assert.match(everyone.content, /@everyone role would make everyone a moderator/);

    const set = await settings('moderator', 'moderator-role', { role: walkers.id });
    assert.equal(set.content, `Members with <@&${walkers.id}> are moderators for breedbot now.`);
    assert.equal(fields(set)['Moderator role'], `<@&${walkers.id}> (and Manage Server)`);
    assert.equal((await review()).embeds[0]?.title, 'Most disputed photos');
    assert.equal(
      fields(await settings('carol', 'show'))['Moderator role'],
      `<@&${walkers.id}> (and Manage Server)`,
    );

    const cleared = await settings('moderator', 'moderator-role');
    assert.equal(fields(cleared)['Moderator role'], 'none (Manage Server only)');
    assert.match((await review()).content, /Only moderators can review labels/);
  });

  test("the server's own limits apply on photos, /classify and labels; another server is unaffected; reset", async () => {
    const out = await settings('moderator', 'rate-limits', {
      'classify-per-server': 2,
      'label-per-server': 1,
      'label-per-user': 0,
    });
    assert.equal(out.content, 'Rate limits updated.');
    assert.equal(
      fields(out)['Rate limits'],
      [
        'Classifications per person: 100 per minute (default)',
        'Classifications per server: 2 per minute',
        'Labels per person: off',
        'Labels per server: 1 per minute',
      ].join('\n'),
    );
    const range = await rig.fake.runCommand({
      name: 'settings rate-limits',
      userId: 'moderator',
      channelId: rig.channelId,
      options: { 'classify-per-user': 10_001 },
    });
    // Discord itself enforces the option's maximum; the fake passes it through, the services refuse it.
    assert.match((await range.reply()).content, /whole numbers from 0 \(off\) to 10000 per minute/);

    const first = await rig.replyTo((await post(rig.channelId, 'alice', 0)).id, 6);
    await rig.replyTo((await post(rig.channelId, 'bob', 1)).id, 6);
    const third = await rig.replyTo((await post(rig.channelId, 'carol', 2)).id);
    assert.match(third.content, POLITE_GUILD);
    assert.equal(third.embeds.length, 0);
    const url = rig.fake.hostFile('settings-limit.jpg', photo(3).bytes, 'image/jpeg');
    const slash = await rig.fake.runCommand({
      name: 'classify',
      userId: 'owner',
      channelId: rig.channelId,
      options: { url },
    });
    assert.match((await slash.reply()).content, POLITE_GUILD);

    // Cat Cafe keeps the defaults.
    const lobby = rig.fake.channel('lobby').id;
    const elsewhere = await rig.replyTo((await post(lobby, 'carol', 2)).id, 6);
    assert.equal(elsewhere.embeds.length, 1);

    // Labels: one per minute in this server; a reaction spends it, /label is then refused politely.
    const [item] = await rig.app.replyItems(first.id);
    rig.fake.addReaction({ messageId: first.id, userId: 'bob', emoji: '1️⃣' });
    const bobLabelled = async () =>
      (await rig.app.store.labelsForImage(item!.imageId)).some((l) => l.userId === rig.fake.users.bob.id);
    for (let i = 0; i < 100 && !(await bobLabelled()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await bobLabelled());
    const label = await rig.fake.runCommand({
      name: 'label',
      userId: 'carol',
      channelId: rig.channelId,
      options: { breed: 'Beagle', message: rig.link(first.id) },
    });
    assert.match((await label.reply()).content, POLITE_GUILD);

    const reset = await settings('moderator', 'rate-limits', { reset: true });
    assert.equal(reset.content, 'Rate limits are back to the defaults.');
    assert.match(fields(reset)['Rate limits']!, /^(.+\(default\)\n){3}.+\(default\)$/);
    assert.deepEqual((await rig.app.store.guildSettings(rig.guildId))?.rateLimits, {
      classifyPerUser: null,
      classifyPerGuild: null,
      labelPerUser: null,
      labelPerGuild: null,
    });
    const afterReset = await rig.replyTo((await post(rig.channelId, 'carol', 3)).id, 6);
    assert.equal(afterReset.embeds.length, 1);
  });

  test('no /settings answer could ping anyone', () => {
    const answers = rig.fake.requests.filter(
      (r: RecordedRequest) =>
        r.method === 'POST' &&
        r.route === '/interactions/:interaction/:token/callback' &&
        (r.body as { data?: { embeds?: { title?: string }[]; content?: string } }).data !== undefined,
    );
    assert.ok(answers.length > 20);
    for (const r of answers) {
      const body = r.body as { data: { allowed_mentions?: unknown; content?: string; embeds?: unknown[] } };
      if (!body.data.content && !body.data.embeds?.length) continue; // a defer
      assert.deepEqual(body.data.allowed_mentions, { parse: [], replied_user: false }, r.path);
    }
  });
});
