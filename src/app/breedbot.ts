/**
 * The application's public shape: what adapters (Discord, the sandbox, a CLI) may ask of breedbot. Plain data
 * in, plain data out; each feature under src/features owns its types, nothing here knows about discord.js.
 */
import type { Classification, ImageSource, PhotoOrigin, ReplyItem } from '../features/classify/types.ts';
import type { ExplainRequester, Explanation } from '../features/explain/types.ts';
import type {
  CrowdAnswer,
  LabelCommandInput,
  LabelCommandOutcome,
  LabelOutcome,
  ReactionInput,
  RetractOutcome,
} from '../features/labelling/types.ts';
import type { ModelInfo } from '../features/model/types.ts';
import type { DisputedImageView } from '../features/moderation/types.ts';
import type { AffectedReplies, ForgetOutcome } from '../features/privacy/types.ts';
import type {
  ChannelChange,
  GuildSettingsChange,
  GuildSettingsReport,
  GuildSettingsView,
} from '../features/settings/types.ts';
import type { GuildStats } from '../features/stats/types.ts';

/** The application services every adapter uses. */
export interface Breedbot {
  /** Which tfjs backend serves the model ("wasm", "tensorflow", ...). */
  readonly backend: string;
  classifyImageBytes(bytes: Uint8Array, source: ImageSource): Promise<Classification>;
  /**
   * Fetches through the SSRF-safe intake; a replayed source returns its stored prediction without fetching.
   * `origin` words the refusals: an uploaded file that is no image is "that file", a link is "the link".
   */
  classifyUrl(url: string, source: ImageSource, origin?: PhotoOrigin): Promise<Classification>;
  /**
   * "Why?": the serving model's heatmap of what drove the top breed of a prediction's photo (a PNG over the
   * photo). Costs one classification of the rate budget; refused for another server's photo or a forgotten one.
   */
  explainPrediction(predictionId: string, requester: ExplainRequester): Promise<Explanation>;
  /** The bot reply already sent for a source message (a replayed MESSAGE_CREATE must not reply twice). */
  replyForSourceMessage(messageId: string): Promise<string | null>;
  /** Links a bot reply to the predictions it shows; reactions on that reply then label those images. */
  recordReply(predictionIds: string[], replyMessageId: string): Promise<void>;
  /** The images a reply shows, in order, with the crowd's current answer (to re-render it). */
  replyItems(replyMessageId: string): Promise<ReplyItem[]>;
  /** Null when the message is not a reply with exactly one dog photo. */
  labelFromReaction(input: ReactionInput): Promise<LabelOutcome | null>;
  retractReaction(input: ReactionInput): Promise<RetractOutcome | null>;
  /**
   * `reply`: the bot message showing that image, to re-render with the crowd's answer.
   * A typed name that is no breed or alias but matches exactly one breed (a typo) is taken as that breed and
   * `readAs` names it; several matches are refused with AmbiguousBreedError listing them.
   */
  labelByCommand(input: LabelCommandInput): Promise<LabelCommandOutcome>;
  crowdAnswer(imageId: string): Promise<CrowdAnswer | null>;
  /** At most 25 names, best first. */
  autocompleteBreeds(query: string): Promise<string[]>;
  modelInfo(): Promise<ModelInfo>;
  stats(guildId: string): Promise<GuildStats>;
  guildSettings(guildId: string | null): Promise<GuildSettingsView>;
  /** The settings with effective rate limits and which of them are the configured defaults. */
  guildSettingsReport(guildId: string): Promise<GuildSettingsReport>;
  /**
   * Validates and stores a change (the caller checks the moderator right). Rate limits are whole numbers
   * 0..10000 per minute (0 = off) or null (the default).
   */
  updateGuildSettings(guildId: string, change: GuildSettingsChange): Promise<GuildSettingsReport>;
  /**
   * Adds a channel to, or removes it from, the auto-classified channels. An empty list means every channel:
   * disabling one channel then cannot be expressed and is refused with an explanation.
   */
  setChannelEnabled(
    guildId: string,
    channelId: string,
    enabled: boolean,
  ): Promise<{ change: ChannelChange; settings: GuildSettingsReport }>;
  /** `/forget`: the person's labels, and the images only they contributed. Callers check nothing: it is their own data. */
  forgetUser(userId: string): Promise<ForgetOutcome & AffectedReplies>;
  /** Moderators' purge of one person's labels in one server (the caller checks the moderator right). */
  purgeUserLabels(userId: string, guildId: string): Promise<{ deleted: number } & AffectedReplies>;
  /** Moderators' review: the most disputed images in one server, most disputed first. */
  disputedImages(guildId: string, limit: number): Promise<DisputedImageView[]>;
  /** Stop taking work, wait for what is in flight, release the model and the database. */
  close(): Promise<void>;
}
