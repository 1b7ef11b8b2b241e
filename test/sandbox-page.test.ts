/**
 * The sandbox page in a real headless Chromium (Debian's, driven by playwright-core) against the fake Discord
 * with a throwaway discord.js client as the bot: upload a photo, see the embed reply, react, run a slash command
 * with live autocomplete.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Browser, Page } from 'playwright-core';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  EmbedBuilder,
  escapeMarkdown,
  Events,
  Routes,
  type TextChannel,
} from 'discord.js';
import { startSandbox, type Sandbox } from '../src/sandbox/index.ts';
import { launchChromium, openSandboxPage, skipWithoutChromium } from './helpers/chromium.ts';
import { fullIntentsClient, loginAndWaitReady } from './helpers/discord-client.ts';
import { labelCommandJson } from './helpers/label-command.ts';

const skip = skipWithoutChromium;

let sandbox: Sandbox;
let client: Client;
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  sandbox = await startSandbox();
  client = fullIntentsClient(sandbox.apiUrl);
  client.on(Events.MessageCreate, async (message) => {
    if (message.author.bot || message.attachments.size === 0) return;
    const reply = await message.reply({
      embeds: [
        new EmbedBuilder()
          .setTitle('pong')
          .setDescription(`saw ${message.attachments.first()!.name}`)
          .addFields({ name: '1. Beagle', value: '91%' })
          .setFooter({ text: 'model v1' })
          .setColor(0x22aa55),
      ],
    });
    for (const emoji of ['1️⃣', '2️⃣', '❌']) await reply.react(emoji);
  });
  client.on(Events.InteractionCreate, async (interaction) => {
    if (interaction.isAutocomplete()) {
      const typed = interaction.options.getFocused().toLowerCase();
      await interaction.respond(
        ['Beagle', 'Bernese', 'Pug']
          .filter((b) => b.toLowerCase().includes(typed))
          .map((b) => ({ name: b, value: b })),
      );
    } else if (interaction.isButton()) {
      await interaction.update({ content: `clicked ${interaction.customId}`, components: [] });
    } else if (interaction.isChatInputCommand()) {
      await interaction.deferReply();
      await interaction.editReply(`labelled **${interaction.options.getString('breed', true)}**`);
    }
  });
  await loginAndWaitReady(client, sandbox.token);
  await client.rest.put(
    Routes.applicationGuildCommands(sandbox.fake.applicationId, sandbox.fake.guild.guild.id),
    {
      body: [
        labelCommandJson,
        // like /retrain: says "(moderators)" itself and is limited to them
        { name: 'retrain', description: 'Train the model (moderators)', default_member_permissions: '32' },
      ],
    },
  );
  browser = await launchChromium();
  page = await openSandboxPage(browser, sandbox.pageUrl);
});

after(async () => {
  await browser?.close();
  await client?.destroy();
  await sandbox?.close();
});

test("upload a photo on the page and see the bot's embed reply with reactions", { skip }, async () => {
  assert.equal(await page.getByTestId('channel-title').textContent(), '# dog-photos');
  const photo = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#a0522d' } })
    .jpeg()
    .toBuffer();
  await page
    .getByTestId('file-input')
    .setInputFiles({ name: 'rex.jpg', mimeType: 'image/jpeg', buffer: photo });
  await page.getByTestId('send-button').click();

  const posted = page.locator('[data-testid="message"][data-author="person"]').last();
  await posted.getByTestId('attachment-image').waitFor();
  const reply = page.locator('[data-testid="message"][data-author="bot"]').last();
  await reply.getByTestId('embed-title').waitFor();
  assert.equal(await reply.getByTestId('embed-title').textContent(), 'pong');
  assert.equal(await reply.getByTestId('embed-description').textContent(), 'saw rex.jpg');
  assert.equal(await reply.getByTestId('embed-field').textContent(), '1. Beagle91%');
  assert.equal(await reply.getByTestId('embed-footer').textContent(), 'model v1');
  await reply.locator('[data-emoji="❌"] [data-testid="reaction-count"]').waitFor();
  // only the reactions the message really has: no 3️⃣–5️⃣ buttons the bot never added
  assert.deepEqual(
    await reply.getByTestId('reaction-button').evaluateAll((els) => els.map((e) => e.dataset.emoji)),
    ['1️⃣', '2️⃣', '❌'],
  );

  await reply.locator('[data-emoji="2️⃣"]').click();
  await reply.locator('[data-emoji="2️⃣"][aria-pressed="true"]').waitFor();
  assert.equal(await reply.locator('[data-emoji="2️⃣"] [data-testid="reaction-count"]').textContent(), '2');
  const stored = sandbox.fake.message((await reply.getAttribute('data-message-id'))!);
  assert.deepEqual(stored?.reactions.find((r) => r.emoji.name === '2️⃣')?.users, [
    sandbox.fake.users.bot.id,
    sandbox.fake.users.alice.id,
  ]);
});

test('run a registered slash command with live autocomplete suggestions', { skip }, async () => {
  await page.getByTestId('user-select').selectOption({ label: 'Bob' });
  await page.getByTestId('command-select').selectOption('label');
  await page.getByTestId('option-breed').fill('be');
  const choices = page.getByTestId('autocomplete-choice');
  await choices.first().waitFor();
  assert.deepEqual(await choices.allTextContents(), ['Beagle', 'Bernese']);
  await choices.filter({ hasText: 'Bernese' }).click();
  await page.getByTestId('run-command').click();
  const reply = page.locator('[data-testid="message"][data-author="bot"]').filter({ hasText: 'labelled' });
  await reply.waitFor();
  assert.equal(await reply.getByTestId('message-content').innerHTML(), 'labelled <strong>Bernese</strong>');
  assert.match((await reply.locator('.badge').textContent()) ?? '', /Bob/);
});

test('a bot message without reactions (a command reply) shows no reaction buttons', { skip }, async () => {
  const reply = page.locator('[data-testid="message"][data-author="bot"]').filter({ hasText: 'labelled' });
  await reply.waitFor();
  assert.equal(await reply.getByTestId('reaction-button').count(), 0);
});

test('a command limited to moderators says "(moderators)" once', { skip }, async () => {
  await page.getByTestId('command-select').selectOption('retrain');
  assert.equal(await page.locator('#command-description').textContent(), 'Train the model (moderators)');
  await page.getByTestId('command-select').selectOption('label');
});

test('the page and its icon load without a 404', { skip }, async () => {
  for (const icon of ['favicon.ico', 'favicon.svg']) {
    const res = await fetch(new URL(icon, sandbox.pageUrl));
    assert.equal(res.status, 200, icon);
    assert.equal(res.headers.get('content-type'), 'image/svg+xml');
    assert.match(await res.text(), /^<svg/);
  }
  const failed: string[] = [];
  const fresh = await browser.newPage();
  fresh.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await fresh.goto(sandbox.pageUrl);
  await fresh.getByTestId('channel-title').waitFor();
  await new Promise((r) => setTimeout(r, 300));
  await fresh.close();
  assert.deepEqual(failed, []);
});

test(
  'every message has "Copy message link" (Discord\'s link form), and a message\'s buttons can be clicked',
  { skip },
  async () => {
    const { fake } = sandbox;
    const channelId = fake.channel('dog-photos').id;
    const channel = (await client.channels.fetch(channelId)) as TextChannel;
    const sent = await channel.send({
      content: 'pick one',
      components: [
        new ActionRowBuilder<ButtonBuilder>().addComponents(
          new ButtonBuilder().setCustomId('yes').setLabel('Yes').setStyle(ButtonStyle.Primary),
        ),
      ],
    });
    const message = page.locator(`[data-testid="message"][data-message-id="${sent.id}"]`);
    await message.waitFor();
    const link = `https://discord.com/channels/${fake.guild.guild.id}/${channelId}/${sent.id}`;
    assert.equal(await message.getByTestId('copy-link').getAttribute('data-link'), link);
    // The page's clipboard is recorded instead of the system's (headless Chromium may have none).
    // As a string: tsx's keepNames would wrap a function written here in a __name() the page lacks.
    await page.evaluate(`
      window.copied = [];
      Object.defineProperty(navigator, 'clipboard', {
        configurable: true,
        value: { writeText: async (text) => void window.copied.push(text) },
      });
    `);
    await message.getByTestId('copy-link').click();
    await message.getByTestId('copy-link').filter({ hasText: 'Copied!' }).waitFor();
    assert.deepEqual(await page.evaluate(() => (window as unknown as { copied: string[] }).copied), [link]);

    await message.getByTestId('component-button').filter({ hasText: 'Yes' }).click();
    await message.getByTestId('message-content').filter({ hasText: 'clicked yes' }).waitFor();
    assert.equal(await message.getByTestId('component-button').count(), 0);
  },
);

test(
  'Discord markdown: escapes show the character, bold/italic/code/links render, text stays text',
  { skip },
  async () => {
    const channel = (await client.channels.fetch(sandbox.fake.channel('dog-photos').id)) as TextChannel;
    const sent = await channel.send({
      content:
        `backbone ${escapeMarkdown('mobilenet_v1_0.75_224')} · **bold** *italic* _also_ __under__ ~~gone~~ ` +
        '`a\\_b` [the reply](https://example.com/x) <b>not html</b>',
      embeds: [
        new EmbedBuilder()
          .setTitle('Breed model')
          .addFields({ name: 'History', value: '`v2` active\n`v1` retired\n`base` rejected' }),
      ],
    });
    const message = page.locator(`[data-testid="message"][data-message-id="${sent.id}"]`);
    await message.waitFor();
    const content = message.getByTestId('message-content');
    assert.match((await content.textContent()) ?? '', /^backbone mobilenet_v1_0\.75_224 · /);
    assert.equal(await content.locator('strong').textContent(), 'bold');
    assert.deepEqual(await content.locator('em').allTextContents(), ['italic', 'also']);
    assert.equal(await content.locator('u').textContent(), 'under');
    assert.equal(await content.locator('s').textContent(), 'gone');
    assert.equal(await content.locator('code').textContent(), 'a\\_b', 'escapes inside code stay verbatim');
    assert.equal(await content.locator('a').getAttribute('href'), 'https://example.com/x');
    assert.equal(await content.locator('a').textContent(), 'the reply');
    assert.equal(await content.locator('b').count(), 0, 'HTML in a message is shown as text');

    // A multi-line field keeps its line breaks, as in Discord.
    const value = message.getByTestId('embed-field').locator('.embed-field-value');
    assert.equal(await value.evaluate((n) => getComputedStyle(n).whiteSpace), 'pre-wrap');
    const lineHeight = await value.evaluate((n) => parseFloat(getComputedStyle(n).lineHeight) || 16);
    assert.ok((await value.evaluate((n) => n.getBoundingClientRect().height)) >= 2.5 * lineHeight);
    assert.equal(await value.innerText(), 'v2 active\nv1 retired\nbase rejected');
  },
);

test('below 700 px wide the page is one column with nothing cut off sideways', { skip }, async () => {
  const narrow = await browser.newPage({ viewport: { width: 400, height: 800 } });
  try {
    await narrow.goto(sandbox.pageUrl);
    await narrow.getByTestId('channel-title').waitFor();
    await narrow.locator('[data-testid="message"]').first().waitFor();
    // No named helper inside evaluate: tsx's keepNames would wrap it in a __name() the page lacks.
    const layout = await narrow.evaluate(() => {
      const [nav, chat, aside, composer] = ['nav', '.chat', 'aside', '#composer'].map((selector) =>
        document.querySelector(selector)!.getBoundingClientRect(),
      ) as [DOMRect, DOMRect, DOMRect, DOMRect];
      return {
        scrollWidth: document.documentElement.scrollWidth,
        width: window.innerWidth,
        stacked: nav.bottom <= chat.top + 1 && chat.bottom <= aside.top + 1,
        widths: [nav.width, chat.width, aside.width],
        composerRight: composer.right,
      };
    });
    assert.ok(
      layout.scrollWidth <= layout.width,
      `page is ${layout.scrollWidth}px wide in ${layout.width}px`,
    );
    assert.ok(layout.stacked, 'channels, chat and commands one under another');
    for (const w of layout.widths)
      assert.ok(w >= layout.width - 1, `a column is ${w}px of ${layout.width}px`);
    assert.ok(layout.composerRight <= layout.width);
  } finally {
    await narrow.close();
  }
});
