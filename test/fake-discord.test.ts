/**
 * Real discord.js 14 against the local fake Discord: log-in, messages with attachments, replies with embeds,
 * reactions, slash commands (defer + edit, autocomplete), a message context-menu command, command registration,
 * resume after a dropped connection, invalid sessions, replays and MESSAGE_CONTENT filtering. At the end every
 * REST call discord.js made is checked against Discord's own OpenAPI description (../shared/specs).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  Client,
  EmbedBuilder,
  Events,
  GatewayIntentBits,
  MessageFlags,
  Routes,
  type Message,
} from 'discord.js';
import { projectRoot } from '../src/config.ts';
import {
  startFakeDiscord,
  type FakeDiscord,
  type RecordedRequest,
} from '../src/sandbox/fake-discord/index.ts';
import { createOpenApiChecker } from './rigs/openapi-check.ts';
import { fullIntentsClient, loginAndWaitReady } from './helpers/discord-client.ts';
import { labelCommandJson } from './helpers/label-command.ts';

const SPEC = path.resolve(projectRoot, '../shared/specs/discord-openapi.json');

let fake: FakeDiscord;
let client: Client;
const seen = {
  messages: [] as Message[],
  reactionsAdded: [] as { messageId: string; userId: string; emoji: string }[],
  reactionsRemoved: [] as { messageId: string; userId: string; emoji: string }[],
  resumed: 0,
  readyShards: 0,
};

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } })
    .png()
    .toBuffer();
}

const commands = [
  labelCommandJson,
  {
    name: 'classify',
    description: 'Classify an image',
    options: [
      { name: 'url', description: 'image URL', type: ApplicationCommandOptionType.String },
      { name: 'image', description: 'image', type: ApplicationCommandOptionType.Attachment },
    ],
  },
  { name: 'Classify breed', type: ApplicationCommandType.Message },
];
const BREEDS = ['Beagle', 'Basset Hound', 'Border Collie', 'Boxer', 'Pug'];

before(async () => {
  fake = await startFakeDiscord();
  client = fullIntentsClient(fake.apiUrl);
  client.on(Events.MessageCreate, async (message) => {
    seen.messages.push(message);
    if (message.author.bot || message.attachments.size === 0) return;
    const attachment = message.attachments.first()!;
    const bytes = Buffer.from(await (await fetch(attachment.url)).arrayBuffer());
    const reply = await message.reply({
      embeds: [
        new EmbedBuilder()
          .setTitle('Top breeds')
          .setDescription(`downloaded ${bytes.length} bytes, ${attachment.width}x${attachment.height}`)
          .addFields({ name: '1. Beagle', value: '91%' })
          .setFooter({ text: 'model v1' })
          .setColor(0x3366ff),
      ],
      allowedMentions: { parse: [] },
    });
    await reply.react('1️⃣');
    await reply.react('❌');
  });
  client.on(Events.MessageReactionAdd, (reaction, user) => {
    seen.reactionsAdded.push({
      messageId: reaction.message.id,
      userId: user.id,
      emoji: reaction.emoji.name ?? '',
    });
  });
  client.on(Events.MessageReactionRemove, (reaction, user) => {
    seen.reactionsRemoved.push({
      messageId: reaction.message.id,
      userId: user.id,
      emoji: reaction.emoji.name ?? '',
    });
  });
  client.on(Events.InteractionCreate, async (interaction) => {
    if (interaction.isAutocomplete()) {
      const typed = interaction.options.getFocused().toLowerCase();
      await interaction.respond(
        BREEDS.filter((b) => b.toLowerCase().startsWith(typed)).map((b) => ({ name: b, value: b })),
      );
    } else if (interaction.isChatInputCommand() && interaction.commandName === 'label') {
      await interaction.deferReply();
      await interaction.editReply(`labelled: ${interaction.options.getString('breed', true)}`);
    } else if (interaction.isChatInputCommand() && interaction.commandName === 'classify') {
      const image = interaction.options.getAttachment('image');
      const url = interaction.options.getString('url');
      if (url === 'private')
        await interaction.reply({ content: 'only for you', flags: MessageFlags.Ephemeral });
      else await interaction.reply({ content: `got ${image?.name ?? url}`, withResponse: true });
    } else if (interaction.isMessageContextMenuCommand()) {
      await interaction.reply({
        content: `classifying ${interaction.targetMessage.attachments.size} image(s)`,
        ephemeral: false,
      });
    }
  });
  client.on(Events.ShardResume, () => seen.resumed++);
  client.on(Events.ShardReady, () => seen.readyShards++);
  await loginAndWaitReady(client, fake.token);
});

after(async () => {
  await client?.destroy();
  await fake?.close();
});

const channelId = () => fake.channel('dog-photos').id;

test('discord.js logs in and sees the guild, its channels, roles and members', () => {
  const guild = client.guilds.cache.get(fake.guild.guild.id);
  assert.ok(guild, 'guild cached from GUILD_CREATE');
  assert.equal(client.user?.id, fake.users.bot.id);
  assert.equal(client.application?.id, fake.applicationId);
  assert.ok(guild.channels.cache.has(channelId()));
  assert.ok(guild.roles.cache.find((r) => r.name === 'Moderators'));
  assert.equal(guild.roles.everyone.id, guild.id);
  const mod = guild.members.cache.get(fake.users.moderator.id);
  assert.ok(mod?.permissions.has('ManageGuild'), 'moderator has ManageGuild through the Moderators role');
  assert.equal(guild.members.cache.get(fake.users.newbie.id)?.permissions.has('ManageGuild'), false);
  assert.equal(client.guilds.cache.size, 2);
});

test('a posted image reaches the bot, which downloads it, replies with an embed and reacts', async () => {
  const bytes = await png(64, 48);
  const posted = await fake.postMessage({
    channelId: channelId(),
    userId: 'alice',
    content: 'what dog is this?',
    files: [{ filename: 'dog.png', bytes, contentType: 'image/png' }],
  });
  assert.equal(posted.attachments[0]?.width, 64);
  assert.equal(posted.attachments[0]?.height, 48);
  const reply = await fake.waitForMessage((m) => m.message_reference?.message_id === posted.id);
  assert.equal(reply.author.id, fake.users.bot.id);
  assert.equal(reply.type, 19);
  assert.equal(reply.embeds[0]?.title, 'Top breeds');
  assert.equal(reply.embeds[0]?.description, `downloaded ${bytes.length} bytes, 64x48`);
  assert.equal(reply.mentions.length, 0, 'allowedMentions parse [] pings nobody');
  const reacted = await fake.waitForMessage((m) => m.id === reply.id && m.reactions.length === 2);
  assert.deepEqual(
    reacted.reactions.map((r) => [r.emoji.name, r.count, r.me]),
    [
      ['1️⃣', 1, true],
      ['❌', 1, true],
    ],
  );
  const receivedByBot = seen.messages.find((m) => m.id === posted.id);
  assert.equal(receivedByBot?.content, 'what dog is this?');
  assert.equal(receivedByBot?.attachments.first()?.contentType, 'image/png');
});

test('reaction add and remove by a person reach the bot', async () => {
  const reply = await fake.waitForMessage(
    (m) => m.author.id === fake.users.bot.id && m.reactions.length === 2,
  );
  fake.addReaction({ messageId: reply.id, userId: 'bob', emoji: '1️⃣' });
  await waitFor(() => seen.reactionsAdded.find((r) => r.userId === fake.users.bob.id));
  assert.deepEqual(fake.message(reply.id)?.reactions[0]?.users, [fake.users.bot.id, fake.users.bob.id]);
  fake.removeReaction({ messageId: reply.id, userId: 'bob', emoji: '1️⃣' });
  const removed = await waitFor(() => seen.reactionsRemoved.find((r) => r.userId === fake.users.bob.id));
  assert.deepEqual(removed, { messageId: reply.id, userId: fake.users.bob.id, emoji: '1️⃣' });
  assert.equal(fake.message(reply.id)?.reactions[0]?.count, 1);
});

test('commands registered through REST PUT get ids; slash command defer + edit; autocomplete', async () => {
  const registered = (await client.rest.put(
    Routes.applicationGuildCommands(fake.applicationId, fake.guild.guild.id),
    {
      body: commands,
    },
  )) as { id: string; name: string }[];
  assert.deepEqual(
    registered.map((c) => c.name),
    ['label', 'classify', 'Classify breed'],
  );
  assert.ok(registered.every((c) => /^\d+$/.test(c.id)));
  const again = (await client.rest.put(
    Routes.applicationGuildCommands(fake.applicationId, fake.guild.guild.id),
    {
      body: commands,
    },
  )) as { id: string }[];
  assert.deepEqual(
    again.map((c) => c.id),
    registered.map((c) => c.id),
    'same names keep their ids',
  );

  const choices = await fake.autocomplete({
    name: 'label',
    userId: 'alice',
    channelId: channelId(),
    focusedOption: 'breed',
    value: 'b',
  });
  assert.deepEqual(
    choices.map((c) => c.name),
    ['Beagle', 'Basset Hound', 'Border Collie', 'Boxer'],
  );

  const run = await fake.runCommand({
    name: 'label',
    userId: 'carol',
    channelId: channelId(),
    options: { breed: 'Beagle' },
  });
  const ack = await run.acknowledged();
  assert.equal(ack.type, 5, 'deferred');
  const reply = await run.reply();
  assert.equal(reply.content, 'labelled: Beagle');
  assert.equal(reply.interaction_metadata?.user.id, fake.users.carol.id);
  assert.equal(fake.channelMessages(channelId()).at(-1)?.id, reply.id);
  const editCall = await fake.waitForRequest(
    (r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'),
  );
  assert.equal(editCall.status, 200, '%40original is decoded before routing');
});

test('attachment options and withResponse replies; message context-menu command', async () => {
  const run = await fake.runCommand({
    name: 'classify',
    userId: 'alice',
    channelId: channelId(),
    options: { image: { filename: 'pup.png', bytes: await png(10, 10), contentType: 'image/png' } },
  });
  assert.ok(
    run.interaction.type === 2 &&
      run.interaction.data.type === 1 &&
      run.interaction.data.resolved?.attachments,
  );
  assert.equal((await run.reply()).content, 'got pup.png');
  const callback = fake.requests.find((r) => r.path.startsWith(`/interactions/${run.interaction.id}/`));
  assert.equal(callback?.query.with_response, 'true');
  assert.equal(callback?.status, 200);

  const target = fake.channelMessages(channelId()).find((m) => m.attachments.length > 0)!;
  const menu = fake.runMessageCommand({
    name: 'Classify breed',
    userId: 'bob',
    channelId: channelId(),
    targetMessageId: target.id,
  });
  assert.equal((await menu.reply()).content, 'classifying 1 image(s)');
});

test('a second callback to the same interaction is refused like Discord (40060)', async () => {
  const run = await fake.runCommand({
    name: 'classify',
    userId: 'alice',
    channelId: channelId(),
    options: { url: 'https://x/y.png' },
  });
  await run.reply();
  const token = run.interaction.token;
  const res = await fetch(`${fake.apiUrl}/v10/interactions/${run.interaction.id}/${token}/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 4, data: { content: 'again' } }),
  });
  assert.equal(res.status, 400);
  assert.equal(((await res.json()) as { code: number }).code, 40060);
});

test('after a resumable drop the client resumes and gets a message sent while away exactly once', async () => {
  const resumedBefore = seen.resumed;
  fake.dropConnection({ resumable: true });
  const posted = await fake.postMessage({
    channelId: channelId(),
    userId: 'bob',
    content: 'posted while the bot was away',
  });
  await waitFor(() => (seen.resumed > resumedBefore ? true : undefined), 15_000);
  await waitFor(() => seen.messages.find((m) => m.id === posted.id));
  const after = await fake.postMessage({ channelId: channelId(), userId: 'bob', content: 'after resume' });
  await waitFor(() => seen.messages.find((m) => m.id === after.id));
  assert.equal(seen.messages.filter((m) => m.id === posted.id).length, 1);
});

test('replayLastDispatch delivers the same MESSAGE_CREATE again with a new sequence number', async () => {
  const raw: { s: number; id: string }[] = [];
  const onRaw = (p: { t?: string; s?: number; d?: { id?: string } }) => {
    if (p.t === 'MESSAGE_CREATE') raw.push({ s: p.s!, id: p.d!.id! });
  };
  client.on('raw', onRaw);
  try {
    const posted = await fake.postMessage({
      channelId: channelId(),
      userId: 'carol',
      content: 'say it twice',
    });
    await waitFor(() => seen.messages.find((m) => m.id === posted.id));
    const replayed = fake.replayLastDispatch('MESSAGE_CREATE');
    assert.equal((replayed.d as { id: string }).id, posted.id);
    const twice = await waitFor(() => {
      const got = raw.filter((r) => r.id === posted.id);
      return got.length === 2 ? got : undefined;
    });
    assert.ok(twice[1]!.s > twice[0]!.s);
    // discord.js itself swallows a replayed MESSAGE_CREATE while the message is still in its cache.
    assert.equal(seen.messages.filter((m) => m.id === posted.id).length, 1);
  } finally {
    client.off('raw', onRaw);
  }
});

test('an invalid session makes the client identify again and keep working', async () => {
  const readyBefore = seen.readyShards;
  fake.invalidateSession();
  await waitFor(() => (seen.readyShards > readyBefore ? true : undefined), 15_000);
  const posted = await fake.postMessage({ channelId: channelId(), userId: 'alice', content: 'hello again' });
  await waitFor(() => seen.messages.find((m) => m.id === posted.id));
});

test('without MESSAGE_CONTENT, guild messages arrive empty unless they mention the bot', async () => {
  const limited = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages],
    rest: { api: fake.apiUrl },
  });
  const got: Message[] = [];
  limited.on(Events.MessageCreate, (m) => void got.push(m));
  try {
    await loginAndWaitReady(limited, fake.token);
    const plain = await fake.postMessage({
      channelId: channelId(),
      userId: 'alice',
      content: 'secret',
      files: [{ filename: 'a.png', bytes: await png(8, 8) }],
    });
    const mention = await fake.postMessage({
      channelId: channelId(),
      userId: 'alice',
      content: `<@${fake.users.bot.id}> look`,
    });
    const p = await waitFor(() => got.find((m) => m.id === plain.id));
    const m = await waitFor(() => got.find((x) => x.id === mention.id));
    assert.equal(p.content, '');
    assert.equal(p.attachments.size, 0);
    assert.equal(m.content, `<@${fake.users.bot.id}> look`);
    assert.ok(m.mentions.users.has(fake.users.bot.id));
  } finally {
    await limited.destroy();
  }
});

test('image links unfurl in a MESSAGE_UPDATE after the create; pings follow allowed_mentions; ephemeral replies stay out of the channel', async () => {
  const updated = new Promise<{ id: string; embeds: string[] }>((resolve) =>
    client.once(Events.MessageUpdate, (_old, m) =>
      resolve({ id: m.id, embeds: m.embeds.map((e) => e.thumbnail?.url ?? '') }),
    ),
  );
  const link = await fake.postMessage({
    channelId: channelId(),
    userId: 'alice',
    content: 'look https://example.org/dog.jpg',
  });
  assert.deepEqual(link.embeds, [], 'like Discord, the create carries no embed yet');
  assert.deepEqual(await updated, { id: link.id, embeds: ['https://example.org/dog.jpg'] });
  const unfurled = fake.message(link.id)!;
  assert.deepEqual(
    unfurled.embeds.map((e) => [e.type, e.url]),
    [['image', 'https://example.org/dog.jpg']],
  );
  assert.equal(unfurled.edited_timestamp, null, 'an unfurl is not an edit');

  const loud = (await client.rest.post(Routes.channelMessages(channelId()), {
    body: { content: `@everyone <@${fake.users.bob.id}> Beagle` },
  })) as { mention_everyone: boolean; mentions: { id: string }[] };
  assert.equal(loud.mention_everyone, true, 'no allowed_mentions: the bot pings everyone');
  assert.deepEqual(
    loud.mentions.map((u) => u.id),
    [fake.users.bob.id],
  );
  const quiet = (await client.rest.post(Routes.channelMessages(channelId()), {
    body: { content: `@everyone <@${fake.users.bob.id}> Beagle`, allowed_mentions: { parse: [] } },
  })) as { mention_everyone: boolean; mentions: unknown[] };
  assert.equal(quiet.mention_everyone, false);
  assert.equal(quiet.mentions.length, 0);

  const run = await fake.runCommand({
    name: 'classify',
    userId: 'carol',
    channelId: channelId(),
    options: { url: 'private' },
  });
  const reply = await run.reply();
  assert.equal(reply.content, 'only for you');
  assert.ok(!fake.channelMessages(channelId()).some((m) => m.id === reply.id), 'ephemeral: not listed');
  assert.ok(fake.channelMessages(channelId(), { includeEphemeral: true }).some((m) => m.id === reply.id));
});

test('with two shards each client gets READY and events only for its own guilds', async () => {
  const sharded = await startFakeDiscord({ shards: 2 });
  const clients = [0, 1].map(
    (shard) =>
      new Client({
        intents: [
          GatewayIntentBits.Guilds,
          GatewayIntentBits.GuildMessages,
          GatewayIntentBits.MessageContent,
        ],
        rest: { api: sharded.apiUrl },
        shards: shard,
        shardCount: 2,
      }),
  );
  const got: string[][] = [[], []];
  clients.forEach((c, i) => c.on(Events.MessageCreate, (m) => void got[i]!.push(m.content)));
  try {
    await Promise.all(clients.map((c) => loginAndWaitReady(c, sharded.token)));
    const [park, cafe] = sharded.guilds;
    const shardOfPark = clients.findIndex((c) => c.guilds.cache.has(park!.guild.id));
    assert.ok(shardOfPark >= 0);
    assert.ok(
      !clients[shardOfPark]!.guilds.cache.has(cafe!.guild.id),
      'the two guilds live on different shards',
    );
    await sharded.postMessage({ channelId: 'general', userId: 'alice', content: 'park' });
    await sharded.postMessage({ channelId: 'lobby', userId: 'alice', content: 'cafe' });
    await waitFor(() => (got[0]!.length + got[1]!.length === 2 ? true : undefined));
    assert.deepEqual(got[shardOfPark], ['park']);
    assert.deepEqual(got[1 - shardOfPark], ['cafe']);
  } finally {
    await Promise.all(clients.map((c) => c.destroy()));
    await sharded.close();
  }
});

test('the fake answers 404 JSON for unknown routes and 401 without the token', async () => {
  const unknown = await fetch(`${fake.apiUrl}/v10/no/such/route`, {
    headers: { authorization: `Bot ${fake.token}` },
  });
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { message: '404: Not Found', code: 0 });
  const noAuth = await fetch(`${fake.apiUrl}/v10/users/@me`);
  assert.equal(noAuth.status, 401);
  const tooLong = await client.rest
    .post(Routes.channelMessages(channelId()), { body: { content: 'x'.repeat(2001) } })
    .catch((e: { code?: number }) => e);
  assert.equal((tooLong as { code?: number }).code, 50035);
});

test('the bot can DM a person (POST /users/@me/channels, then the DM channel); a person who refuses DMs gets 50007', async () => {
  const sent = await client.users.send(fake.users.bob.id, {
    content: 'just for you',
    allowedMentions: { parse: [] },
  });
  assert.equal(sent.channel.isDMBased(), true);
  const again = await client.users.createDM(fake.users.bob.id, { force: true });
  assert.equal(again.id, sent.channelId, 'Discord returns the same DM channel every time');
  assert.deepEqual(
    fake.dmsTo('bob').map((m) => m.content),
    ['just for you'],
  );
  assert.deepEqual(
    fake.channelMessages(channelId()).filter((m) => m.content === 'just for you'),
    [],
  );
  fake.refuseDms('carol');
  const refused = await client.users.send(fake.users.carol.id, 'hello?').catch((e: { code?: number }) => e);
  assert.equal((refused as { code?: number }).code, 50007);
  assert.deepEqual(fake.dmsTo('carol'), []);
});

test(
  "every REST call discord.js made matches Discord's OpenAPI description",
  { skip: existsSync(SPEC) ? false : 'needs ../shared/specs/discord-openapi.json (absent)' },
  () => {
    const checker = createOpenApiChecker(JSON.parse(readFileSync(SPEC, 'utf8')));
    const checked = fake.requests.filter((r: RecordedRequest) => r.route !== null && r.status < 300);
    const problems = checked.flatMap((r) => checker.check(r));
    assert.deepEqual(problems, []);
    const operations = new Set(checked.map((r) => `${r.method} ${r.route}`));
    for (const op of [
      'GET /gateway/bot',
      'POST /channels/:channel/messages',
      'PATCH /webhooks/:app/:token/messages/:message',
      'POST /interactions/:interaction/:token/callback',
      'PUT /applications/:app/guilds/:guild/commands',
      'POST /users/@me/channels',
    ])
      assert.ok(operations.has(op), `${op} was exercised and validated`);
    assert.ok(checker.validatedResponses >= 8, `validated ${checker.validatedResponses} responses`);
  },
);

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
