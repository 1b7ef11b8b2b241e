/** Which parts of a message count as photos (issue 14 §1): attachments, typed image links, unfurled embeds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Collection, type Attachment, type Embed, type Message } from 'discord.js';
import { imageLinksInText, photosOfMessage } from '../src/discord/message-photos.ts';

const message = (parts: {
  content?: string;
  attachments?: Partial<Attachment>[];
  /** What the code reads of an embed: its image and thumbnail. */
  embeds?: { image?: { url: string }; thumbnail?: { url: string } }[];
}) =>
  ({
    content: parts.content ?? '',
    attachments: new Collection((parts.attachments ?? []).map((a, i) => [String(i), a as Attachment])),
    embeds: (parts.embeds ?? []).map(
      (e) => ({ image: e.image ?? null, thumbnail: e.thumbnail ?? null }) as unknown as Embed,
    ),
  }) as Pick<Message, 'attachments' | 'content' | 'embeds'>;

test('a typed link counts only when it names an image file; page links wait for the unfurl', () => {
  assert.deepEqual(
    imageLinksInText(
      'look https://a.example/dog.JPG, <https://b.example/x.png?size=2> https://c.example/article ' +
        'http://d.example/pup.webp. ftp://e.example/f.jpg https://f.example/photo.jpg.html',
    ),
    ['https://a.example/dog.JPG', 'https://b.example/x.png?size=2', 'http://d.example/pup.webp'],
  );
});

test('attachments first, then links, then embeds, one entry per URL, each with where it came from', () => {
  const url = 'https://a.example/dog.jpg';
  const photos = photosOfMessage(
    message({
      content: `mine: ${url}`,
      attachments: [
        { url: 'https://cdn.example/1.png', name: '1.png', contentType: 'image/png' },
        { url: 'https://cdn.example/notes.txt', name: 'notes.txt', contentType: 'text/plain' },
      ],
      embeds: [
        { thumbnail: { url } }, // an image link's unfurl
        { thumbnail: { url: 'https://news.example/t.jpg' } }, // an article's preview picture
        {}, // an embed without a picture
      ],
    }),
  );
  assert.deepEqual(photos, [
    { url: 'https://cdn.example/1.png', origin: 'upload' },
    { url, origin: 'link' },
    { url: 'https://news.example/t.jpg', origin: 'link' },
  ]);
  assert.deepEqual(photosOfMessage(message({ content: 'just words https://c.example/article' })), []);
});
