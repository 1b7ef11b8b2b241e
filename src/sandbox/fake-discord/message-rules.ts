import type { APIEmbed } from 'discord-api-types/v10';
import { DiscordApiError, invalidFormBody } from './errors.ts';

/** Discord's documented limits for a message's content and embeds (the fake answers 400 like Discord does). */
export const LIMITS = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  embedTotal: 6000,
} as const;

export function checkContent(content: unknown): void {
  if (content === undefined || content === null) return;
  if (typeof content !== 'string')
    throw invalidFormBody('content', 'STRING_TYPE_CONVERT', 'Could not interpret as string.');
  if (content.length > LIMITS.content)
    throw invalidFormBody('content', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.content} or fewer in length.`);
}

function maxLength(field: string, value: string | undefined, max: number): void {
  if (value !== undefined && value.length > max)
    throw invalidFormBody(field, 'BASE_TYPE_MAX_LENGTH', `Must be ${max} or fewer in length.`);
}

export function checkEmbeds(embeds: unknown): void {
  if (embeds === undefined || embeds === null) return;
  if (!Array.isArray(embeds)) throw invalidFormBody('embeds', 'LIST_TYPE_CONVERT', 'Must be an array.');
  if (embeds.length > LIMITS.embeds)
    throw invalidFormBody('embeds', 'BASE_TYPE_MAX_LENGTH', `Must be ${LIMITS.embeds} or fewer in length.`);
  let total = 0;
  (embeds as APIEmbed[]).forEach((e, i) => {
    const at = `embeds.${i}`;
    maxLength(`${at}.title`, e.title, LIMITS.embedTitle);
    maxLength(`${at}.description`, e.description, LIMITS.embedDescription);
    maxLength(`${at}.footer.text`, e.footer?.text, LIMITS.footerText);
    maxLength(`${at}.author.name`, e.author?.name, LIMITS.authorName);
    const fields = e.fields ?? [];
    if (fields.length > LIMITS.embedFields)
      throw invalidFormBody(
        `${at}.fields`,
        'BASE_TYPE_MAX_LENGTH',
        `Must be ${LIMITS.embedFields} or fewer in length.`,
      );
    fields.forEach((f, j) => {
      if (!f.name)
        throw invalidFormBody(`${at}.fields.${j}.name`, 'BASE_TYPE_REQUIRED', 'This field is required');
      if (!f.value)
        throw invalidFormBody(`${at}.fields.${j}.value`, 'BASE_TYPE_REQUIRED', 'This field is required');
      maxLength(`${at}.fields.${j}.name`, f.name, LIMITS.fieldName);
      maxLength(`${at}.fields.${j}.value`, f.value, LIMITS.fieldValue);
      total += f.name.length + f.value.length;
    });
    total += (e.title?.length ?? 0) + (e.description?.length ?? 0) + (e.footer?.text.length ?? 0);
    total += e.author?.name.length ?? 0;
  });
  if (total > LIMITS.embedTotal)
    throw invalidFormBody('embeds', 'MAX_EMBED_SIZE_EXCEEDED', 'Embed size exceeds maximum size of 6000');
}

export function emptyMessage(): DiscordApiError {
  return new DiscordApiError(400, 50006, 'Cannot send an empty message');
}
