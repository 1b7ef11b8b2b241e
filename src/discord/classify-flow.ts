/**
 * The part of classifying that every entry point shares (auto-classify, /classify, the "Classify breed" menu):
 * attachments → app.classifyUrl one by one → render items. One photo failing does not sink the others.
 */
import type { Attachment, AttachmentBuilder, RepliableInteraction } from 'discord.js';
import { isUserFacing } from '../refusals.ts';
import { refusalText } from './refusal-text.ts';
import type { Breedbot } from '../app/breedbot.ts';
import type {
  Classification,
  DogClassification,
  ImageSource,
  PhotoDogs,
  PhotoOrigin,
  ReplyItem,
} from '../features/classify/types.ts';
import { answerClassified, type ClassifiedItems, type ReplyExtras } from './classify-reply.ts';

export { addVoteReactions, type ClassifiedItems, type ReplyExtras } from './classify-reply.ts';
import { dogsAttachment } from './dogs-answer.ts';
import { log } from '../log.ts';
import { MAX_PHOTOS_PER_REPLY, type RenderItem } from './render.ts';

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

/** One photo's part of the reply: its whole-photo block, or one block per dog, and its boxes picture. */
interface PhotoPart {
  items: RenderItem[];
  predictionIds: string[];
  files: AttachmentBuilder[];
}

function partOf(c: Classification, dogs: PhotoDogs | undefined, index: number): PhotoPart {
  const items = dogs ? dogItems(dogs.dogs) : [toReplyItem(c)];
  return {
    items,
    predictionIds: items.map((i) => i.predictionId),
    files: dogs ? [dogsAttachment(dogs.dogs, dogs.picture, index)] : [],
  };
}

function joinParts(parts: readonly PhotoPart[], extra: readonly RenderItem[]): ClassifiedItems {
  return {
    items: [...parts.flatMap((p) => p.items), ...extra],
    predictionIds: parts.flatMap((p) => p.predictionIds),
    files: parts.flatMap((p) => p.files),
  };
}

/**
 * Classifies each photo in turn (keeps batches small so the event loop stays responsive). The reply this gives
 * does not wait for the detector: `dogsLater` brings the per-dog blocks after.
 */
export async function classifyUrls(
  app: Breedbot,
  photos: PhotoRef[],
  source: ImageSource,
): Promise<ClassifiedItems> {
  const parts: PhotoPart[] = [];
  const later: { at: number; c: Classification; dogs: Promise<PhotoDogs | null> }[] = [];
  for (const [index, photo] of photos.slice(0, MAX_PHOTOS_PER_REPLY).entries()) {
    try {
      const c = await app.classifyUrl(photo.url, { ...source, attachmentIndex: index }, photo.origin);
      parts.push(partOf(c, c.dogs, index));
      if (c.dogsLater) later.push({ at: index, c, dogs: c.dogsLater });
    } catch (error) {
      const failed = { error: describeFailure(error, { ...source, attachmentIndex: index }) };
      parts.push({ items: [failed], predictionIds: [], files: [] });
    }
  }
  // Photos beyond the limit still count in the note under the reply.
  const extra: RenderItem[] = [];
  for (let i = MAX_PHOTOS_PER_REPLY; i < photos.length; i++) extra.push({ error: 'not shown' });
  const first = joinParts(parts, extra);
  if (later.length === 0) return first;
  const dogsLater = Promise.all(later.map((l) => l.dogs)).then((found) => {
    if (found.every((dogs) => !dogs)) return null;
    const edited = [...parts];
    later.forEach((l, i) => {
      if (found[i]) edited[l.at] = partOf(l.c, found[i], l.at);
    });
    return joinParts(edited, extra);
  });
  return { ...first, dogsLater };
}

/**
 * Finishes a deferred interaction with the classification reply (🔍 buttons under its dog photos), links it to
 * its predictions and adds the vote reactions to the reply message; with the detector on, edits it to the
 * per-dog blocks when they come (answerClassified).
 */
export async function editInteractionWithItems(
  interaction: RepliableInteraction,
  app: Breedbot,
  classified: ClassifiedItems,
  extras: ReplyExtras = {},
): Promise<void> {
  await answerClassified(
    app,
    classified,
    {
      send: (payload) => interaction.editReply(payload),
      edit: (_, payload) => interaction.editReply(payload),
    },
    extras,
  );
}
