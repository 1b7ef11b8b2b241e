/**
 * Posting a classification reply in two stages: the whole-photo answer at once, then, with the detector on and
 * several dogs in a photo, an edit of that same reply to one block per dog and the numbered boxes picture. The
 * edit links the dogs' predictions to the reply first, so `/label dog:` and re-renders find them; vote
 * reactions wait for the detector, since a reply that becomes several dogs must not carry them.
 */
import type { AttachmentBuilder, Message } from 'discord.js';
import type { Breedbot } from '../app/breedbot.ts';
import { log } from '../log.ts';
import { explainButtons } from './explain-answer.ts';
import { NO_MENTIONS, REPLY_REACTIONS, renderReply, type RenderedReply, type RenderItem } from './render.ts';
import { editReplyInTurn, rerenderFromStore } from './reply-rerender.ts';

export interface ClassifiedItems {
  items: RenderItem[];
  predictionIds: string[];
  /** The numbered boxes picture of each photo with several dogs. */
  files: AttachmentBuilder[];
  /**
   * With the detector on: settles once every new photo's dogs are looked for, with what the reply becomes when at
   * least one photo had several dogs (its block replaced by one block per dog, plus its boxes picture), else null.
   */
  dogsLater?: Promise<ClassifiedItems | null>;
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

export interface ReplyPayload {
  content: string;
  embeds: RenderedReply['embeds'];
  components: ReturnType<typeof explainButtons>;
  files: AttachmentBuilder[];
  allowedMentions: typeof NO_MENTIONS;
}

export interface ReplyTarget {
  send(payload: ReplyPayload): Promise<Message>;
  /** Edits the reply `send` posted (a message's reply, or the interaction's); what is left out stays. */
  edit(
    reply: Message,
    payload: Partial<Omit<ReplyPayload, 'content'>> & { content: string | null },
  ): Promise<unknown>;
}

function payloadOf({ items, files }: ClassifiedItems, extras: ReplyExtras) {
  const rendered = renderReply(items);
  const payload: ReplyPayload = {
    content: [rendered.content, extras.note].filter(Boolean).join('\n'),
    embeds: rendered.embeds,
    components: explainButtons(items),
    // Every file each time: an edit that names files replaces the reply's attachments with them.
    files: [...files, ...(extras.files ?? [])],
    allowedMentions: NO_MENTIONS,
  };
  return { payload, wantsReactions: rendered.wantsReactions };
}

/** Sends the first answer, and edits it to the dogs when they come; returns the reply. */
export async function answerClassified(
  app: Breedbot,
  classified: ClassifiedItems,
  target: ReplyTarget,
  extras: ReplyExtras = {},
): Promise<Message> {
  const first = payloadOf(classified, extras);
  const reply = await target.send(first.payload);
  if (classified.predictionIds.length) await app.recordReply(classified.predictionIds, reply.id);
  const withDogs = classified.dogsLater ? await classified.dogsLater : null;
  let wantsReactions = first.wantsReactions;
  if (withDogs) {
    const edited = payloadOf(withDogs, extras);
    wantsReactions = edited.wantsReactions;
    try {
      // The whole photo's prediction stays linked too (its reply showed it); the reply's items skip it.
      await app.recordReply(withDogs.predictionIds, reply.id);
      await editReplyInTurn(
        reply.id,
        () => target.edit(reply, edited.payload).then(() => undefined),
        () => rerenderFromStore(app, reply.id, (payload) => target.edit(reply, payload)),
      );
    } catch (err) {
      log.warn({ err, replyId: reply.id }, 'could not edit the reply to the dogs of its photo');
    }
  }
  if (wantsReactions) await addVoteReactions(reply);
  return reply;
}
