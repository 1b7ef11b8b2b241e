import type { APIEmbed } from 'discord-api-types/v10';

const IMAGE_URL = /\bhttps?:\/\/\S+\.(?:png|jpe?g|gif|webp)(?:\?\S*)?/gi;

/** Adds link previews to posted messages after a delay, as Discord does; cancellable on close. */
export class LinkUnfurler {
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly delayMs: number,
    private readonly unfurl: (messageId: string, embeds: APIEmbed[]) => void,
  ) {}

  schedule(messageId: string, embeds: APIEmbed[]): void {
    if (embeds.length === 0) return;
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      this.unfurl(messageId, embeds);
    }, this.delayMs);
    this.pending.add(timer);
  }

  cancelAll(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}

/** Discord unfurls image links into image embeds. */
export function unfurlImageLinks(content: string): APIEmbed[] {
  return [...content.matchAll(IMAGE_URL)].slice(0, 5).map(([url]) => ({
    type: 'image' as APIEmbed['type'],
    url,
    thumbnail: { url, proxy_url: url },
  }));
}
