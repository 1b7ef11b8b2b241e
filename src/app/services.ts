/**
 * The application services: product rules between the adapters (Discord, the sandbox page, CLIs) and the domain.
 * No discord.js here. Every refusal is a UserFacingError with a message people can read.
 */
import { asUploadRefusal, ImageRejectedError, UrlRefusedError } from '../images/errors.ts';
import { log } from '../log.ts';
import {
  AmbiguousBreedError,
  NotADogConfirmationError,
  UnknownBreedError,
  UserFacingError,
} from './errors.ts';
import { NO_BREED_MATCH_VALUE } from '../storage/breed-search.ts';
import type { ModelGateway, UrlFetcher } from './ports.ts';
import { RATE_LIMIT_NAMES, type LimitedAction, type RateLimits } from './rate-limits.ts';
import type { LabelSource, Store, StoredPrediction } from './store.ts';
import type {
  AffectedReplies,
  Breedbot,
  ChannelChange,
  Classification,
  CrowdAnswer,
  DisputedImageView,
  ForgetOutcome,
  GuildSettingsChange,
  GuildSettingsReport,
  GuildSettingsView,
  GuildStats,
  ImageSource,
  LabelCommandInput,
  LabelOutcome,
  ModelInfo,
  PhotoOrigin,
  ReactionInput,
  ReplyItem,
  RetractOutcome,
} from './types.ts';

export const MAX_URL_LENGTH = 2000;
export const MAX_BREED_LENGTH = 100;
export const MAX_AUTOCOMPLETE = 25;

export const MAX_RATE_LIMIT = 10_000;
export const MAX_ENABLED_CHANNELS = 100;
/** How long a server's settings are reused before asking the database again (other processes' changes). */
export const SETTINGS_CACHE_MS = 15_000;

const DEFAULT_SETTINGS: GuildSettingsView = {
  moderatorRoleId: null,
  autoClassify: true,
  enabledChannelIds: [],
  rateLimits: { classifyPerUser: null, classifyPerGuild: null, labelPerUser: null, labelPerGuild: null },
};

const SNOWFLAKE = /^\d{1,20}$/;

/** How many of a channel's newest answered photos `/label` without `message:` looks through for a dog. */
export const LABEL_LOOKBACK = 50;

/**
 * One photo of a reply (or message): the one `photo:` names, else the only dog, else the only photo. A reply
 * with several photos and no single dog needs `photo:`.
 */
function pickPhoto(candidates: StoredPrediction[], photo: number | undefined): StoredPrediction {
  // One entry per photo, in the order the reply shows them.
  const photos = [
    ...new Map(
      [...candidates]
        .sort((a, b) => a.attachmentIndex - b.attachmentIndex)
        .map((p) => [p.attachmentIndex, p]),
    ).values(),
  ];
  if (photo !== undefined) {
    const chosen = photos[photo - 1];
    if (!chosen)
      throw new UserFacingError(
        'bad-argument',
        `That reply has ${photos.length} photo${photos.length === 1 ? '' : 's'}; pick \`photo:\` between 1 and ${photos.length}.`,
      );
    return chosen;
  }
  const dogs = photos.filter((p) => p.isDog);
  if (photos.length > 1 && dogs.length !== 1) {
    throw new UserFacingError(
      'bad-argument',
      `That reply covers ${photos.length} photos: say which with \`photo:\`.`,
    );
  }
  return dogs[0] ?? photos[0]!;
}

function checkSettingsChange(change: GuildSettingsChange): void {
  for (const [name, value] of Object.entries(change.rateLimits ?? {})) {
    if (value === null || value === undefined) continue;
    if (!Number.isInteger(value) || value < 0 || value > MAX_RATE_LIMIT) {
      throw new UserFacingError(
        'bad-argument',
        `Rate limits are whole numbers from 0 (off) to ${MAX_RATE_LIMIT} per minute; ${name} can't be ${value}.`,
      );
    }
  }
  if (change.enabledChannelIds) {
    if (change.enabledChannelIds.length > MAX_ENABLED_CHANNELS) {
      throw new UserFacingError('bad-argument', `At most ${MAX_ENABLED_CHANNELS} channels can be listed.`);
    }
    if (!change.enabledChannelIds.every((id) => SNOWFLAKE.test(id))) {
      throw new UserFacingError('bad-argument', 'That is not a channel of this server.');
    }
  }
  if (change.moderatorRoleId !== undefined && change.moderatorRoleId !== null) {
    if (!SNOWFLAKE.test(change.moderatorRoleId))
      throw new UserFacingError('bad-argument', 'That is not a role of this server.');
  }
}

export interface ServiceDeps {
  store: Store;
  model: ModelGateway;
  fetcher: UrlFetcher;
  limits: RateLimits;
  /** Origins (scheme://host:port) whose loopback addresses may be fetched: the sandbox's own file host. */
  trustedLoopbackOrigins?: string[];
}

/** Domain refusals → the application's user-facing errors (the domain's messages are already safe to show). */
function asUserFacing(error: unknown): unknown {
  if (error instanceof ImageRejectedError)
    return new UserFacingError('image-rejected', error.userMessage, { cause: error });
  if (error instanceof UrlRefusedError)
    return new UserFacingError('url-refused', error.userMessage, { cause: error });
  return error;
}

const viewOf = (p: StoredPrediction) => ({
  isDog: p.isDog,
  top5: p.top5,
  dogProbability: p.dogProbability,
  modelVersion: p.modelVersion,
  ...(p.lookslike ? { lookslike: p.lookslike } : {}),
});

const classificationOf = (p: StoredPrediction, replayed: boolean): Classification => ({
  result: viewOf(p),
  imageId: p.imageId,
  predictionId: p.id,
  replayed,
});

export class BreedbotServices implements Breedbot {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;
  private readonly settingsCache = new Map<string, { view: GuildSettingsView; expiresAt: number }>();
  /** Bumped by every change, so a read that started before it cannot put older settings back in the cache. */
  private readonly settingsGeneration = new Map<string, number>();
  /** Changes to one server's settings run one after the other (read, modify, write). */
  private readonly settingsWrites = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ServiceDeps) {}

  get backend(): string {
    return this.deps.model.backend;
  }

  /** Runs one request, refusing new ones during shutdown and tracking it so close() can wait for it. */
  private run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing)
      return Promise.reject(
        new UserFacingError('not-available', 'breedbot is restarting; please try again in a moment.'),
      );
    const p = work().catch((e: unknown) => {
      throw asUserFacing(e);
    });
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  classifyImageBytes(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    return this.run(async () => {
      const replay = await this.findReplay(source);
      if (replay) return replay;
      await this.consume('classify', source.userId, source.guildId);
      return this.classifyNew(bytes, source);
    });
  }

  classifyUrl(url: string, source: ImageSource, origin: PhotoOrigin = 'link'): Promise<Classification> {
    return this.run(async () => {
      if (url.length > MAX_URL_LENGTH) {
        throw new UserFacingError(
          'argument-too-long',
          `That link is too long (over ${MAX_URL_LENGTH} characters).`,
        );
      }
      const replay = await this.findReplay(source);
      if (replay) return replay;
      await this.consume('classify', source.userId, source.guildId);
      const bytes = await this.deps.fetcher
        .fetch(url, this.isTrustedLoopback(url))
        .catch((error: unknown) => {
          throw origin === 'upload' && error instanceof UrlRefusedError ? asUploadRefusal(error) : error;
        });
      return this.classifyNew(bytes, source);
    });
  }

  /** Spends the person's and the server's budget under the server's own limits, if it set any. */
  private async consume(action: LimitedAction, userId: string, guildId: string | null): Promise<void> {
    const overrides = guildId ? (await this.settingsOf(guildId)).rateLimits : {};
    await this.deps.limits.consume(action, userId, guildId, overrides);
  }

  private async settingsOf(guildId: string): Promise<GuildSettingsView> {
    const cached = this.settingsCache.get(guildId);
    if (cached && cached.expiresAt > Date.now()) return cached.view;
    const generation = this.settingsGeneration.get(guildId) ?? 0;
    const view = (await this.deps.store.guildSettings(guildId)) ?? DEFAULT_SETTINGS;
    if ((this.settingsGeneration.get(guildId) ?? 0) === generation)
      this.settingsCache.set(guildId, { view, expiresAt: Date.now() + SETTINGS_CACHE_MS });
    return view;
  }

  private report(view: GuildSettingsView): GuildSettingsReport {
    const effective = this.deps.limits.effective(view.rateLimits);
    const rateLimits = Object.fromEntries(
      RATE_LIMIT_NAMES.map((name) => [
        name,
        { perMinute: effective[name], isDefault: view.rateLimits[name] === null },
      ]),
    ) as GuildSettingsReport['rateLimits'];
    return { ...view, rateLimits };
  }

  /** Runs one read-modify-write of a server's settings after the previous one, then refreshes the cache. */
  private changeSettings<T>(
    guildId: string,
    write: (current: GuildSettingsView) => Promise<{ view: GuildSettingsView; result: T }>,
  ): Promise<T> {
    const previous = this.settingsWrites.get(guildId) ?? Promise.resolve();
    const next = previous
      .catch(() => undefined)
      .then(async () => {
        const current = (await this.deps.store.guildSettings(guildId)) ?? DEFAULT_SETTINGS;
        const { view, result } = await write(current);
        this.settingsGeneration.set(guildId, (this.settingsGeneration.get(guildId) ?? 0) + 1);
        this.settingsCache.set(guildId, { view, expiresAt: Date.now() + SETTINGS_CACHE_MS });
        return result;
      });
    this.settingsWrites.set(guildId, next);
    const forget = () => {
      if (this.settingsWrites.get(guildId) === next) this.settingsWrites.delete(guildId);
    };
    next.then(forget, forget);
    return next;
  }

  private isTrustedLoopback(url: string): boolean {
    try {
      return (this.deps.trustedLoopbackOrigins ?? []).includes(new URL(url).origin);
    } catch {
      return false;
    }
  }

  private async findReplay(source: ImageSource): Promise<Classification | null> {
    if (!source.messageId && !source.interactionId) return null;
    const existing = await this.deps.store.findPredictionBySource({
      ...(source.messageId ? { messageId: source.messageId } : {}),
      ...(source.interactionId ? { interactionId: source.interactionId } : {}),
      attachmentIndex: source.attachmentIndex ?? 0,
    });
    return existing ? classificationOf(existing, true) : null;
  }

  private async classifyNew(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    // Decoding refuses bad bytes before anything is stored.
    const { result, image } = await this.deps.model.classifyBytes(bytes);
    const imageId = await this.deps.store.saveImage({ ...image, bytes });
    const { prediction, created } = await this.deps.store.savePrediction({
      imageId,
      guildId: source.guildId,
      channelId: source.channelId,
      messageId: source.messageId ?? null,
      interactionId: source.interactionId ?? null,
      attachmentIndex: source.attachmentIndex ?? 0,
      userId: source.userId,
      modelVersion: result.modelVersion,
      backboneId: result.backboneId,
      isDog: result.isDog,
      dogProbability: result.dogProbability,
      top5: result.top5,
      lookslike: result.lookslike ?? null,
      embedding: result.embedding,
    });
    return classificationOf(prediction, !created);
  }

  replyForSourceMessage(messageId: string): Promise<string | null> {
    return this.run(async () => {
      const predictions = await this.deps.store.predictionsForMessage(messageId);
      return predictions.find((p) => p.messageId === messageId && p.replyMessageId)?.replyMessageId ?? null;
    });
  }

  recordReply(predictionIds: string[], replyMessageId: string): Promise<void> {
    return this.run(() => this.deps.store.setReplyMessage(predictionIds, replyMessageId));
  }

  replyItems(replyMessageId: string): Promise<ReplyItem[]> {
    return this.run(async () => {
      const predictions = await this.deps.store.predictionsForReply(replyMessageId);
      return Promise.all(
        predictions.map(async (p) => ({
          predictionId: p.id,
          imageId: p.imageId,
          result: viewOf(p),
          crowd: await this.deps.store.crowdAnswer(p.imageId),
        })),
      );
    });
  }

  /**
   * The one dog photo a reply's reactions refer to and the breed at the reacted position, or null (several
   * dogs, none, not a bot reply, or no breed at that position).
   */
  private async reactionTarget(
    input: ReactionInput,
  ): Promise<{ target: StoredPrediction; breed: string } | null> {
    const dogs = (await this.deps.store.predictionsForReply(input.replyMessageId)).filter((p) => p.isDog);
    const target = dogs.length === 1 ? dogs[0]! : null;
    const breed = target?.top5[input.position - 1]?.breed;
    return target && breed ? { target, breed } : null;
  }

  /** Stores one person's label for the photo behind `target`, and reads the photo's crowd answer after it. */
  private async saveLabel(
    target: StoredPrediction,
    label: { userId: string; breed: string; source: LabelSource; createdBreed: boolean },
  ): Promise<LabelOutcome> {
    const { changed } = await this.deps.store.setLabel({
      imageId: target.imageId,
      userId: label.userId,
      breed: label.breed,
      source: label.source,
      guildId: target.guildId,
      modelVersion: target.modelVersion,
      predictionId: target.id,
    });
    return {
      imageId: target.imageId,
      breed: label.breed,
      changed,
      createdBreed: label.createdBreed,
      crowd: await this.deps.store.crowdAnswer(target.imageId),
    };
  }

  labelFromReaction(input: ReactionInput): Promise<LabelOutcome | null> {
    return this.run(async () => {
      const reacted = await this.reactionTarget(input);
      if (!reacted) return null;
      await this.consume('label', input.userId, input.guildId);
      return this.saveLabel(reacted.target, {
        userId: input.userId,
        breed: reacted.breed,
        source: 'reaction',
        createdBreed: false,
      });
    });
  }

  retractReaction(input: ReactionInput): Promise<RetractOutcome | null> {
    return this.run(async () => {
      const reacted = await this.reactionTarget(input);
      if (!reacted) return null;
      const { imageId } = reacted.target;
      const { retracted } = await this.deps.store.retractLabel(imageId, input.userId, reacted.breed);
      return { imageId, retracted, crowd: await this.deps.store.crowdAnswer(imageId) };
    });
  }

  labelByCommand(
    input: LabelCommandInput,
  ): Promise<LabelOutcome & { readAs?: string; reply: { channelId: string; messageId: string } | null }> {
    return this.run(async () => {
      const { target, needsConfirmation } = await this.labelTarget(input);
      const resolved = await this.resolveBreedText(input.breed, input.isModerator);
      const reply = target.replyMessageId
        ? { channelId: target.channelId, messageId: target.replyMessageId }
        : null;
      // Asked before anything is spent or created: a moderator's new breed waits for the confirmation too.
      if (needsConfirmation) throw new NotADogConfirmationError(target.id, resolved.breed, reply);
      await this.consume('label', input.userId, input.guildId);
      const breed = resolved.isNew
        ? await this.deps.store.createBreed(resolved.breed, input.userId)
        : resolved.breed;
      const outcome = await this.saveLabel(target, {
        userId: input.userId,
        breed,
        source: input.isModerator ? 'moderator' : 'command',
        createdBreed: resolved.isNew,
      });
      return { ...outcome, ...(resolved.readAs ? { readAs: breed } : {}), reply };
    });
  }

  /**
   * A typed breed as a known breed name. `isNew`: no breed matches and the moderator may create it (the store
   * validates the name, no markup or mentions, when it is created).
   */
  private async resolveBreedText(
    text: string,
    isModerator: boolean,
  ): Promise<{ breed: string; isNew: boolean; readAs?: boolean }> {
    const name = text.replace(/\s+/g, ' ').trim();
    if (!name) throw new UserFacingError('bad-argument', 'Tell me the breed.');
    if (name.length > MAX_BREED_LENGTH) {
      throw new UserFacingError(
        'argument-too-long',
        `Breed names are at most ${MAX_BREED_LENGTH} characters.`,
      );
    }
    if (name === NO_BREED_MATCH_VALUE) {
      throw new UserFacingError(
        'bad-argument',
        'That entry only says that no breed matched what you typed. Check the spelling and try again' +
          " (moderators: type the new breed's name and send it without picking an entry).",
      );
    }
    const known = await this.deps.store.resolveBreed(name);
    if (known) return { breed: known, isNew: false };
    // Typed out rather than picked from the list: a typo that matches exactly one breed is that breed (the
    // reply says how it was read); several matches are listed for the person to choose.
    const matches = await this.deps.store.searchBreeds(name, 6);
    if (matches.length === 1) return { breed: matches[0]!, isNew: false, readAs: true };
    if (matches.length > 1) throw new AmbiguousBreedError(name, matches.slice(0, 5));
    if (!isModerator) throw new UnknownBreedError(name, await this.deps.store.nearestBreeds(name, 5));
    return { breed: name, isNew: true };
  }

  /**
   * The prediction /label points at: a confirmed one, the given message (its photo or the bot's reply), or the
   * newest dog photo the bot answered in the channel. Only the last kind can need a confirmation: when no
   * answered photo in reach was a dog, the newest one is offered instead.
   */
  private async labelTarget(
    input: LabelCommandInput,
  ): Promise<{ target: StoredPrediction; needsConfirmation: boolean }> {
    if (input.confirmedPredictionId) {
      const confirmed = await this.deps.store.predictionById(input.confirmedPredictionId);
      if (!confirmed || confirmed.guildId !== input.guildId) {
        throw new UserFacingError('not-found', 'That photo is no longer stored: run `/label` again.');
      }
      return { target: confirmed, needsConfirmation: false };
    }
    if (input.messageRef) {
      const all = await this.deps.store.predictionsForMessage(input.messageRef.messageId);
      if (all.some((p) => p.guildId !== input.guildId)) {
        throw new UserFacingError(
          'foreign-guild',
          'That message is in another server; I can only label photos from this one.',
        );
      }
      if (all.length === 0) {
        throw new UserFacingError(
          'nothing-to-label',
          'I haven\'t looked at a photo in that message. Use `/classify` or the "Classify breed" menu first.',
        );
      }
      return { target: pickPhoto(all, input.photo), needsConfirmation: false };
    }
    const recent = await this.deps.store.recentRepliedPredictionsInChannel(
      input.guildId,
      input.channelId,
      LABEL_LOOKBACK,
    );
    const newest = recent.find((p) => p.isDog) ?? recent[0];
    if (!newest) {
      throw new UserFacingError(
        'nothing-to-label',
        'There is no photo to label in this channel yet: post one, or give `message:` with a link.',
      );
    }
    const target = pickPhoto(await this.deps.store.predictionsForReply(newest.replyMessageId!), input.photo);
    return { target, needsConfirmation: !target.isDog };
  }

  crowdAnswer(imageId: string): Promise<CrowdAnswer | null> {
    return this.run(() => this.deps.store.crowdAnswer(imageId));
  }

  autocompleteBreeds(query: string): Promise<string[]> {
    return this.run(async () => {
      const q = query.replace(/\s+/g, ' ').trim().slice(0, MAX_BREED_LENGTH);
      return (await this.deps.store.searchBreeds(q, MAX_AUTOCOMPLETE)).slice(0, MAX_AUTOCOMPLETE);
    });
  }

  modelInfo(): Promise<ModelInfo> {
    return this.run(async () => ({
      activeVersion: this.deps.model.activeVersion(),
      backend: this.deps.model.backend,
      backboneId: this.deps.model.backboneId,
      breeds: this.deps.model.breedCount(),
      history: await this.deps.store.modelHistory(20),
    }));
  }

  stats(guildId: string): Promise<GuildStats> {
    return this.run(() => this.deps.store.stats(guildId));
  }

  guildSettings(guildId: string | null): Promise<GuildSettingsView> {
    return this.run(async () => (guildId ? this.settingsOf(guildId) : DEFAULT_SETTINGS));
  }

  guildSettingsReport(guildId: string): Promise<GuildSettingsReport> {
    return this.run(async () => this.report(await this.settingsOf(guildId)));
  }

  updateGuildSettings(guildId: string, change: GuildSettingsChange): Promise<GuildSettingsReport> {
    return this.run(async () => {
      checkSettingsChange(change);
      return this.changeSettings(guildId, async () => {
        const view = await this.deps.store.updateGuildSettings(guildId, change);
        return { view, result: this.report(view) };
      });
    });
  }

  setChannelEnabled(
    guildId: string,
    channelId: string,
    enabled: boolean,
  ): Promise<{ change: ChannelChange; settings: GuildSettingsReport }> {
    return this.run(async () => {
      checkSettingsChange({ enabledChannelIds: [channelId] });
      return this.changeSettings(guildId, async (current) => {
        const listed = current.enabledChannelIds;
        let change: ChannelChange;
        let channels: string[];
        if (enabled) {
          change = listed.includes(channelId) ? 'already-listed' : 'added';
          channels = listed.includes(channelId) ? listed : [...listed, channelId];
        } else if (listed.length === 0) {
          throw new UserFacingError(
            'bad-argument',
            'No channel is listed, so photos are classified in every channel: one channel cannot be switched ' +
              'off on its own. List the channels that should classify with `/settings channel enabled:true` ' +
              '(the others then stay quiet), or turn it off everywhere with `/settings auto-classify enabled:false`.',
          );
        } else {
          change = listed.includes(channelId) ? 'removed' : 'not-listed';
          channels = listed.filter((c) => c !== channelId);
        }
        checkSettingsChange({ enabledChannelIds: channels });
        const view = await this.deps.store.updateGuildSettings(guildId, { enabledChannelIds: channels });
        return { view, result: { change, settings: this.report(view) } };
      });
    });
  }

  forgetUser(userId: string): Promise<ForgetOutcome & AffectedReplies> {
    return this.run(async () => {
      // Read before deleting: afterwards nothing links the replies to this person.
      const affectedReplies = await this.deps.store.repliesShowingLabelsBy(userId, null);
      return { ...(await this.deps.store.forgetUser(userId)), affectedReplies };
    });
  }

  purgeUserLabels(userId: string, guildId: string): Promise<{ deleted: number } & AffectedReplies> {
    return this.run(async () => {
      const affectedReplies = await this.deps.store.repliesShowingLabelsBy(userId, guildId);
      return { ...(await this.deps.store.purgeUserLabels(userId, guildId)), affectedReplies };
    });
  }

  disputedImages(guildId: string, limit: number): Promise<DisputedImageView[]> {
    return this.run(() => this.deps.store.mostDisputed(guildId, limit));
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    await this.deps.model.dispose();
    await this.deps.store.close();
    log.info('breedbot services closed');
  }
}
