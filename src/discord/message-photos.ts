/**
 * The photos a message carries, wherever Discord put them: uploaded attachments, image links typed into the
 * text, and the image/thumbnail of the embeds Discord adds when it unfurls a link (often in a MESSAGE_UPDATE
 * after the create). Links go through the same guarded URL intake as `/classify url:`.
 */
import type { Embed, Message } from 'discord.js';
import { imageAttachments, uploadedPhotos, type PhotoRef } from './classify-flow.ts';

/**
 * A typed link counts as a photo only when its path names an image file: any other link (an article, a video
 * page) waits for Discord's unfurl to say whether it shows an image, so ordinary links are never fetched.
 * Punctuation after the link ("look: …/dog.jpg, and") ends it, as in Discord.
 */
const IMAGE_LINK =
  /https?:\/\/[^\s<>()]+?\.(?:jpe?g|png|webp|gif|avif|tiff?)(?:\?[^\s<>()]*?)?(?=[,.!?;:]*(?:[\s<>()"']|$))/gi;

export function imageLinksInText(text: string): string[] {
  return [...text.matchAll(IMAGE_LINK)].map(([url]) => url);
}

/** The picture of an unfurled link: the image itself, else its preview thumbnail. */
function embedPhotoUrl(embed: Embed): string | null {
  const url = embed.image?.url ?? embed.thumbnail?.url ?? null;
  return url && /^https?:\/\//i.test(url) ? url : null;
}

/** Attachments first, then links in the text, then embeds; one entry per URL. */
export function photosOfMessage(message: Pick<Message, 'attachments' | 'content' | 'embeds'>): PhotoRef[] {
  const links = [
    ...imageLinksInText(message.content ?? ''),
    ...message.embeds.map(embedPhotoUrl).filter((u): u is string => u !== null),
  ];
  const photos = uploadedPhotos(imageAttachments(message.attachments.values()));
  const seen = new Set(photos.map((p) => p.url));
  for (const url of links) {
    if (seen.has(url)) continue;
    seen.add(url);
    photos.push({ url, origin: 'link' });
  }
  return photos;
}
