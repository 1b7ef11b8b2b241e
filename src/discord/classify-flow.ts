/**
 * The part of classifying that every entry point shares (auto-classify, /classify, the "Classify breed" menu):
 * attachments → app.classifyUrl one by one → render items. One photo failing does not sink the others.
 */
import type { Attachment, AttachmentBuilder, Message, RepliableInteraction } from 'discord.js';
import { isUserFacing } from '../refusals.ts';
import { refusalText } from './refusal-text.ts';
import { explainButtons } from './explain-answer.ts';
import type { Breedbot } from '../app/breedbot.ts';
import type {
  Classification,
  DogClassification,
  ImageSource,
  PhotoOrigin,
  ReplyItem,
} from '../features/classify/types.ts';
import { dogsAttachment } from './dogs-answer.ts';
import { log } from '../log.ts';
import {
  MAX_PHOTOS_PER_REPLY,
  NO_MENTIONS,
  REPLY_REACTIONS,
  renderReply,
  type RenderItem,
} from './render.ts';

const IMAGE_NAME = /\.(jpe?g|png|webp|gif|avif|tiff?|bmp|heic)$/i;

/** One photo to classify: where to fetch it, and whether the person uploaded it or gave a link (wording). */
export interface PhotoRef {
  url: string;
  origin: PhotoOrigin;
}

export const uploadedPhotos = (attachments: Attachment[]): PhotoRef[] =>
  attachments.map((a) => ({ url: a.url, origin: 'upload' }));

/** Attachments worth classifying: declared images, or files with an image name when no type is declared. */
export function imageAttachments(attachments: Iterable<Attachment>): Attachment[] {
  return [...attachments].filter((a) =>
    a.contentType ? a.contentType.toLowerCase().startsWith('image/') : IMAGE_NAME.test(a.name),
  );
}

export const toReplyItem = (c: Classification): ReplyItem => ({
  predictionId: c.predictionId,
  imageId: c.imageId,
  result: c.result,
  crowd: null,
});

/** A photo with several dogs shows one item per dog (each crop's own prediction), numbered left to right. */
const dogItems = (dogs: readonly DogClassification[]): ReplyItem[] =>
  dogs.map((d) => ({
    predictionId: d.predictionId,
    imageId: d.imageId,
    result: d.view,
    crowd: null,
    dog: { number: d.number, position: d.position },
  }));

export const GENERIC_FAILURE =
  'Something went wrong while looking at that photo. It has been logged; please try again later.';

/** Turns an error into what people see; unexpected errors are logged with their details. */
export function describeFailure(error: unknown, context: Record<string, unknown>): string {
  if (isUserFacing(error)) {
    // Logged with its cause (e.g. sharp's decoder message) so operators can see why a photo was refused.
    log.warn({ ...context, code: error.code, err: error.cause ?? error }, 'photo refused');
    return refusalText(error);
  }
  log.error({ ...context, err: error }, 'classification failed');
  return GENERIC_FAILURE;
}

export interface ClassifiedItems {
  items: RenderItem[];
  predictionIds: string[];
  /** The numbered boxes picture of each photo with several dogs. */
  files: AttachmentBuilder[];
}

/** Classifies each photo in turn (keeps batches small so the event loop stays responsive). */
export async function classifyUrls(
  app: Breedbot,
  photos: PhotoRef[],
  source: ImageSource,
): Promise<ClassifiedItems> {
  const items: RenderItem[] = [];
  const predictionIds: string[] = [];
  const files: AttachmentBuilder[] = [];
  for (const [index, photo] of photos.slice(0, MAX_PHOTOS_PER_REPLY).entries()) {
    try {
      const c = await app.classifyUrl(photo.url, { ...source, attachmentIndex: index }, photo.origin);
      const shown = c.dogs?.length ? dogItems(c.dogs) : [toReplyItem(c)];
      items.push(...shown);
      predictionIds.push(...shown.map((i) => i.predictionId));
      if (c.dogs?.length && c.dogsPicture) files.push(dogsAttachment(c.dogs, c.dogsPicture, index));
    } catch (error) {
      items.push({ error: describeFailure(error, { ...source, attachmentIndex: index }) });
    }
  }
  // Photos beyond the limit still count in the note under the reply.
  for (let i = MAX_PHOTOS_PER_REPLY; i < photos.length; i++) items.push({ error: 'not shown' });
  return { items, predictionIds, files };
}

/** Adds 1️⃣–5️⃣ and ❌ in order (sequentially: Discord shows reactions in the order they arrive). */
export async function addVoteReactions(message: Message): Promise<void> {
  for (const emoji of REPLY_REACTIONS) await message.react(emoji);
}

/** What a reply may carry besides the classification: files (the /classify explain:true heatmap) and a note. */
export interface ReplyExtras {
  files?: AttachmentBuilder[];
  note?: string;
}

/**
 * Finishes a deferred interaction with the classification reply (🔍 buttons under its dog photos), links it to
 * its predictions and adds the vote reactions to the reply message.
 */
export async function editInteractionWithItems(
  interaction: RepliableInteraction,
  app: Breedbot,
  { items, predictionIds, files: dogFiles }: ClassifiedItems,
  extras: ReplyExtras = {},
): Promise<void> {
  const rendered = renderReply(items);
  const files = [...dogFiles, ...(extras.files ?? [])];
  const reply = await interaction.editReply({
    content: [rendered.content, extras.note].filter(Boolean).join('\n'),
    embeds: rendered.embeds,
    components: explainButtons(items),
    ...(files.length ? { files } : {}),
    allowedMentions: NO_MENTIONS,
  });
  if (predictionIds.length) await app.recordReply(predictionIds, reply.id);
  if (rendered.wantsReactions) await addVoteReactions(reply);
}
