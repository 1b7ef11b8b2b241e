/** What `/forget` tells the person besides the counts: what stayed, and why. */
import type { ForgetOutcome } from '../features/privacy/types.ts';

export function keptLines({ imagesKept }: Pick<ForgetOutcome, 'imagesKept'>): string[] {
  const lines: string[] = [];
  if (imagesKept > 0) {
    lines.push(
      `${imagesKept} image(s) were also posted or labelled by other people: they stay for them, without your name.`,
    );
  }
  lines.push(
    "Messages in Discord itself (your posts and the bot's replies) are Discord's to delete, not the bot's.",
  );
  return lines;
}
