/**
 * The application services: the one object adapters (Discord, the sandbox page, CLIs) call. Each method runs a
 * feature (src/features/<area>) through the shutdown gate; the product rules live in the features.
 * No discord.js here. Every refusal is a UserFacingError with a code and a message people can read.
 */
import { Classify } from '../features/classify/classify.ts';
import { replyForSourceMessage, replyItems } from '../features/classify/replies.ts';
import type { Classification, ImageSource, PhotoOrigin, ReplyItem } from '../features/classify/types.ts';
import type { ServiceDeps } from '../features/deps.ts';
import { Explain } from '../features/explain/explain.ts';
import type { ExplainRequester, Explanation } from '../features/explain/types.ts';
import { labelByCommand } from '../features/labelling/label-command.ts';
import { labelFromReaction, retractReaction } from '../features/labelling/reactions.ts';
import { autocompleteBreeds } from '../features/labelling/resolve-breed.ts';
import type {
  CrowdAnswer,
  LabelCommandInput,
  LabelCommandOutcome,
  LabelOutcome,
  ReactionInput,
  RetractOutcome,
} from '../features/labelling/types.ts';
import { modelInfo } from '../features/model/info.ts';
import type { ModelInfo } from '../features/model/types.ts';
import { purgeUserLabels } from '../features/moderation/purge.ts';
import type { DisputedImageView } from '../features/moderation/types.ts';
import { forgetUser } from '../features/privacy/forget.ts';
import type { AffectedReplies, ForgetOutcome } from '../features/privacy/types.ts';
import { RequestGate } from '../features/request-gate.ts';
import { GuildSettings } from '../features/settings/settings.ts';
import type {
  ChannelChange,
  GuildSettingsChange,
  GuildSettingsReport,
  GuildSettingsView,
} from '../features/settings/types.ts';
import type { GuildStats } from '../features/stats/types.ts';
import { log } from '../log.ts';
import type { Breedbot } from './breedbot.ts';

export type { ServiceDeps } from '../features/deps.ts';

export class BreedbotServices implements Breedbot {
  private readonly gate = new RequestGate();
  private readonly settings: GuildSettings;
  private readonly classify: Classify;
  private readonly explain: Explain;

  constructor(private readonly deps: ServiceDeps) {
    this.settings = new GuildSettings(deps.store, deps.limits);
    this.classify = new Classify(deps, this.settings);
    this.explain = new Explain(deps, this.settings);
  }

  get backend(): string {
    return this.deps.model.backend;
  }

  classifyImageBytes(bytes: Uint8Array, source: ImageSource): Promise<Classification> {
    return this.gate.run(() => this.classify.bytes(bytes, source)).then(this.trackDogs);
  }

  classifyUrl(url: string, source: ImageSource, origin: PhotoOrigin = 'link'): Promise<Classification> {
    return this.gate.run(() => this.classify.url(url, source, origin)).then(this.trackDogs);
  }

  /** The detector's second stage outlives the request: shutdown waits for it before closing the store. */
  private readonly trackDogs = (c: Classification): Classification =>
    c.dogsLater ? { ...c, dogsLater: this.gate.track(c.dogsLater) } : c;

  explainPrediction(predictionId: string, requester: ExplainRequester): Promise<Explanation> {
    return this.gate.run(() => this.explain.prediction(predictionId, requester));
  }

  replyForSourceMessage(messageId: string): Promise<string | null> {
    return this.gate.run(() => replyForSourceMessage(this.deps.store, messageId));
  }

  recordReply(predictionIds: string[], replyMessageId: string): Promise<void> {
    return this.gate.run(() => this.deps.store.setReplyMessage(predictionIds, replyMessageId));
  }

  replyItems(replyMessageId: string): Promise<ReplyItem[]> {
    return this.gate.run(() => replyItems(this.deps.store, replyMessageId));
  }

  labelFromReaction(input: ReactionInput): Promise<LabelOutcome | null> {
    return this.gate.run(() => labelFromReaction(this.deps.store, this.settings, input));
  }

  retractReaction(input: ReactionInput): Promise<RetractOutcome | null> {
    return this.gate.run(() => retractReaction(this.deps.store, input));
  }

  labelByCommand(input: LabelCommandInput): Promise<LabelCommandOutcome> {
    return this.gate.run(() => labelByCommand(this.deps.store, this.settings, input));
  }

  crowdAnswer(imageId: string): Promise<CrowdAnswer | null> {
    return this.gate.run(() => this.deps.store.crowdAnswer(imageId));
  }

  autocompleteBreeds(query: string): Promise<string[]> {
    return this.gate.run(() => autocompleteBreeds(this.deps.store, query));
  }

  modelInfo(): Promise<ModelInfo> {
    return this.gate.run(() => modelInfo(this.deps));
  }

  stats(guildId: string): Promise<GuildStats> {
    return this.gate.run(() => this.deps.store.stats(guildId));
  }

  guildSettings(guildId: string | null): Promise<GuildSettingsView> {
    return this.gate.run(() => this.settings.of(guildId));
  }

  guildSettingsReport(guildId: string): Promise<GuildSettingsReport> {
    return this.gate.run(() => this.settings.report(guildId));
  }

  updateGuildSettings(guildId: string, change: GuildSettingsChange): Promise<GuildSettingsReport> {
    return this.gate.run(async () => this.settings.update(guildId, change));
  }

  setChannelEnabled(
    guildId: string,
    channelId: string,
    enabled: boolean,
  ): Promise<{ change: ChannelChange; settings: GuildSettingsReport }> {
    return this.gate.run(async () => this.settings.setChannelEnabled(guildId, channelId, enabled));
  }

  forgetUser(userId: string): Promise<ForgetOutcome & AffectedReplies> {
    return this.gate.run(() => forgetUser(this.deps.store, userId));
  }

  purgeUserLabels(userId: string, guildId: string): Promise<{ deleted: number } & AffectedReplies> {
    return this.gate.run(() => purgeUserLabels(this.deps.store, userId, guildId));
  }

  disputedImages(guildId: string, limit: number): Promise<DisputedImageView[]> {
    return this.gate.run(() => this.deps.store.mostDisputed(guildId, limit));
  }

  async close(): Promise<void> {
    if (!(await this.gate.close())) return;
    await this.deps.model.dispose();
    await this.deps.store.close();
    log.info('breedbot services closed');
  }
}
