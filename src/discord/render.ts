/**
 * Turns classification results into Discord message payloads. Pure: no client, no network.
 * Every piece of text that could come from a person (breed names made by moderators, file names) is escaped
 * and truncated, and every payload carries NO_MENTIONS so a reply can never ping anyone.
 */
import { EmbedBuilder, escapeMarkdown, type MessageMentionOptions } from 'discord.js';
import type { ReplyItem } from '../features/classify/types.ts';
import type { CrowdAnswer } from '../features/labelling/types.ts';
import { mixOf } from '../model/mixed-breed.ts';
import { dogTitle } from './dogs-answer.ts';

export const NUMBER_EMOJIS = ['1️⃣', '2️⃣', '3️⃣', '4️⃣', '5️⃣'] as const;
export const NONE_EMOJI = '❌';
/** Added to a reply in this order. */
export const REPLY_REACTIONS: readonly string[] = [...NUMBER_EMOJIS, NONE_EMOJI];

/** Sent with every message the bot writes. */
export const NO_MENTIONS: MessageMentionOptions = { parse: [], repliedUser: false };

/** Discord shows at most 10 embeds per message. */
export const MAX_PHOTOS_PER_REPLY = 10;
/** Below this top-1 confidence the reply asks people for help. */
export const UNSURE_BELOW = 0.4;

const EMBED_COLOUR = 0x5865f2;

/** Position 1..5 of a number reaction, or null for any other emoji. */
export function reactionPosition(emojiName: string | null | undefined): number | null {
  const i = NUMBER_EMOJIS.indexOf(emojiName as (typeof NUMBER_EMOJIS)[number]);
  return i < 0 ? null : i + 1;
}

/** Escapes markdown, defuses mentions (belt and braces: NO_MENTIONS already stops pings) and truncates. */
export function safeText(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return escapeMarkdown(cut).replace(/@/g, '@\u200b');
}

/** For places Discord shows verbatim (footers): one line, truncated, no markdown escapes. */
export function plainText(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** For inside `code spans`, where escapes would show: verbatim, but without backticks that end the span. */
export function codeText(text: string, max = 100): string {
  return plainText(text, max).replace(/`/g, 'ˋ');
}

export function confidenceBar(probability: number, width = 10): string {
  const p = Number.isFinite(probability) ? Math.min(1, Math.max(0, probability)) : 0;
  const filled = Math.round(p * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${Math.round(p * 100)}%`;
}

export function crowdLine(crowd: CrowdAnswer): string {
  if (crowd.split && crowd.split.length > 1) {
    // A tie: show the disagreement rather than nothing ("1 says Leonberg, 1 says Tibetan Mastiff").
    const parts = crowd.split
      .slice(0, 5)
      .map((s) => `${s.votes} ${s.votes === 1 ? 'says' : 'say'} **${safeText(s.breed)}**`);
    const more = crowd.split.length > 5 ? `, and ${crowd.split.length - 5} more` : '';
    return `${parts.join(', ')}${more}`;
  }
  const breed = `**${safeText(crowd.breed)}**`;
  if (crowd.byModerator) return `A moderator says: ${breed}`;
  const people = crowd.votes === 1 ? '1 person says' : `${crowd.votes} people say`;
  const of = crowd.voters > crowd.votes ? ` (of ${crowd.voters})` : '';
  return `${people}: ${breed}${of}`;
}

export function notADogLine(item: ReplyItem): string {
  const like = item.result.lookslike;
  const tail = like
    ? ` — more like ${safeText(like.label, 60)} (${Math.round(like.probability * 100)}%)`
    : '';
  return `That doesn't look like a dog${tail}`;
}

/** One image that could not be classified, with the reason people should see. */
export interface FailedItem {
  error: string;
}

export type RenderItem = ReplyItem | FailedItem;
const isFailed = (i: RenderItem): i is FailedItem => 'error' in i;

export interface RenderedReply {
  content?: string;
  embeds: EmbedBuilder[];
  /** Reactions go on a reply only when exactly one of its photos is a dog (otherwise 2️⃣ would be ambiguous). */
  wantsReactions: boolean;
}

/** "Beagle", or "a mix of Lhasa Apso and Shih-Tzu" for a close top two (src/model/mixed-breed.ts). */
function answerOf(item: ReplyItem): { text: string; mix: boolean } {
  const mix = mixOf(item.result);
  if (!mix) return { text: safeText(item.result.top5[0]?.breed ?? 'unknown'), mix: false };
  return { text: `a mix of ${safeText(mix[0], 60)} and ${safeText(mix[1], 60)}`, mix: true };
}

function breedEmbed(item: ReplyItem, title: string, single: boolean): EmbedBuilder {
  const { top5, modelVersion } = item.result;
  const lines = top5
    .slice(0, 5)
    .map((b, i) => `${NUMBER_EMOJIS[i]} **${safeText(b.breed)}**  \`${confidenceBar(b.probability)}\``);
  // A mix is an answer of its own (the title says it), not a guess to be unsure about.
  const unsure =
    (top5[0]?.probability ?? 0) < UNSURE_BELOW && !mixOf(item.result) ? '**Not sure: which is it?**\n' : '';
  const embed = new EmbedBuilder()
    .setColor(EMBED_COLOUR)
    .setTitle(title)
    .setDescription(unsure + lines.join('\n'))
    .setFooter({
      text: `model ${plainText(modelVersion, 60)}${single ? ' · react 1️⃣–5️⃣ for the right breed, ❌ if none' : ''}`,
    });
  if (item.crowd) embed.addFields({ name: 'Labels', value: crowdLine(item.crowd) });
  return embed;
}

export function renderReply(items: RenderItem[]): RenderedReply {
  const shown = items.slice(0, MAX_PHOTOS_PER_REPLY);
  const dogs = shown.filter((i): i is ReplyItem => !isFailed(i) && i.result.isDog);

  if (shown.length === 1) {
    const only = shown[0]!;
    if (isFailed(only)) return { content: only.error, embeds: [], wantsReactions: false };
    if (!only.result.isDog) return { content: `${notADogLine(only)}.`, embeds: [], wantsReactions: false };
    const answer = answerOf(only);
    const title = answer.mix ? `Looks like ${answer.text}` : `Looks like: ${answer.text}`;
    return { embeds: [breedEmbed(only, title, true)], wantsReactions: true };
  }

  const embeds = shown.map((item, n) => {
    const title = !isFailed(item) && item.dog ? dogTitle(item.dog) : `Photo ${n + 1}`;
    if (isFailed(item)) return new EmbedBuilder().setTitle(title).setDescription(safeText(item.error, 300));
    if (!item.result.isDog) return new EmbedBuilder().setTitle(title).setDescription(`${notADogLine(item)}.`);
    return breedEmbed(item, `${title}: ${answerOf(item).text}`, dogs.length === 1);
  });
  const extra = items.length - shown.length;
  const notes: string[] = [];
  if (extra > 0)
    notes.push(
      `(${extra} more photo${extra === 1 ? '' : 's'} not shown: at most ${MAX_PHOTOS_PER_REPLY} per message.)`,
    );
  const byDog = shown.some((i) => !isFailed(i) && i.dog);
  if (byDog)
    notes.push(
      'Several dogs in the photo (numbered on the picture, 1 = leftmost): correct one with `/label breed: dog:<n>` (add `message:<link to this reply>` for an older reply).',
    );
  else if (dogs.length > 1)
    notes.push('Several dogs: correct one with `/label breed: message:<link to this reply> photo:<n>`.');
  return {
    ...(notes.length ? { content: notes.join('\n') } : {}),
    embeds,
    wantsReactions: dogs.length === 1,
  };
}
