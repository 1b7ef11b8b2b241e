/**
 * The application's public shape: what adapters (Discord, the sandbox, a CLI) may ask of breedbot.
 * Plain data in, plain data out; nothing here knows about discord.js.
 */
import type { ClassifyResult } from '../model/types.ts';
import type { RateLimitName } from './rate-limits.ts';

/** Where an image came from. Predictions are idempotent per (message or interaction, attachment index). */
/** How a photo reached the bot: a file someone uploaded, or a link (posted, unfurled or given to /classify url:). */
export type PhotoOrigin = 'upload' | 'link';

export interface ImageSource {
  guildId: string | null;
  channelId: string;
  /** The Discord message that carried the image (auto-classify, context menu). */
  messageId?: string;
  /** The slash command that carried it (`/classify`). */
  interactionId?: string;
  /** The person who asked (or posted). */
  userId: string;
  attachmentIndex?: number;
}

/** A classification as people see it (the embedding stays in storage). */
export type PredictionView = Pick<
  ClassifyResult,
  'isDog' | 'top5' | 'lookslike' | 'dogProbability' | 'modelVersion'
>;

export interface Classification {
  result: PredictionView;
  imageId: string;
  predictionId: string;
  /** True when this source had been classified before (a replayed gateway event): nothing new was stored. */
  replayed: boolean;
}

/** What the crowd says about one image. */
export interface CrowdAnswer {
  breed: string;
  /** People who gave `breed`. */
  votes: number;
  /** People who labelled the image at all. */
  voters: number;
  /** A moderator's label decides on its own. */
  byModerator: boolean;
  /**
   * Set when people disagree and no breed is resolved (a tie): each breed with its people, most first.
   * `breed`/`votes` are then the first of them, not an answer.
   */
  split?: Array<{ breed: string; votes: number }>;
}

export interface LabelOutcome {
  imageId: string;
  breed: string;
  /** False when the person had already given this exact label (a replayed event, a double click). */
  changed: boolean;
  /** True when the breed did not exist before and a moderator created it. */
  createdBreed: boolean;
  crowd: CrowdAnswer | null;
}

export interface RetractOutcome {
  imageId: string;
  /** False when there was nothing to retract (the label had already changed to another breed, or a replay). */
  retracted: boolean;
  crowd: CrowdAnswer | null;
}

/** One image of a bot reply, enough to render it again (e.g. with the crowd's answer). */
export interface ReplyItem {
  predictionId: string;
  imageId: string;
  result: PredictionView;
  crowd: CrowdAnswer | null;
}

export interface ModelVersionInfo {
  version: string;
  status: string;
  createdAt: Date;
  parent: string | null;
  metrics: Record<string, unknown> | null;
  /** Why it was rejected, retired or rolled back to. */
  reason: string | null;
}

export interface ModelInfo {
  activeVersion: string;
  backend: string;
  backboneId: string;
  breeds: number;
  history: ModelVersionInfo[];
}

export interface GuildStats {
  labels: number;
  labelsPerBreed: { breed: string; count: number }[];
  topLabellers: { userId: string; count: number }[];
  /** Share of labelled images whose labels all agree (null when nothing is labelled). */
  agreementRate: number | null;
  /** Images labelled by at least two people (what agreementRate is over). */
  agreementImages: number;
  /** The bot's first top guess against the people's resolved answer, over the labelled images that have one. */
  botMatch: { matched: number; compared: number };
  /** Pairs (predicted top-1 → labelled breed) that differ most often. */
  mostConfused: { predicted: string; labelled: string; count: number }[];
}

export interface GuildSettingsView {
  moderatorRoleId: string | null;
  autoClassify: boolean;
  /** Empty: every channel. */
  enabledChannelIds: string[];
  /** The server's own limits per minute (0 = off); null = the configured default applies. */
  rateLimits: Record<RateLimitName, number | null>;
}

/** One rate limit as it applies to a server: the per-minute figure (0 = off) and where it comes from. */
export interface RateLimitView {
  perMinute: number;
  isDefault: boolean;
}

/** A server's settings with the effective rate limits, for `/settings` to show. */
export interface GuildSettingsReport extends Omit<GuildSettingsView, 'rateLimits'> {
  rateLimits: Record<RateLimitName, RateLimitView>;
}

/** A change to a server's settings; absent fields stay as they are, a null rate limit returns to the default. */
export interface GuildSettingsChange {
  enabledChannelIds?: string[];
  moderatorRoleId?: string | null;
  autoClassify?: boolean;
  rateLimits?: Partial<Record<RateLimitName, number | null>>;
}

/** What `/settings channel` did to the list of auto-classified channels. */
export type ChannelChange = 'added' | 'removed' | 'already-listed' | 'not-listed';

/** Progress of one training run, as the learning loop reports it. */
export interface TrainingProgress {
  /** 0..1 */
  fraction: number;
  epoch?: number;
  epochs?: number;
  loss?: number;
  holdoutAccuracy?: number;
  etaSeconds?: number;
  /** A backbone switch: re-embedding the stored photos (`done` of `total`), then training. */
  stage?: 'embedding' | 'training';
  done?: number;
  total?: number;
}

export interface TrainingOutcome {
  status: 'promoted' | 'rejected' | 'skipped';
  version?: string;
  /** Why it was rejected or skipped, in words for people. */
  reason?: string;
  metrics?: Record<string, unknown>;
}

/**
 * What the learning loop (issue 4) plugs into the bot. Absent until then: /retrain and /model rollback say
 * honestly that training is not available.
 */
export interface TrainingControl {
  /** Null when idle. */
  current(): TrainingProgress | null;
  retrain(request: {
    requestedBy: string;
    guildId: string | null;
    onProgress?: (p: TrainingProgress) => void;
  }): Promise<TrainingOutcome>;
  rollback(version: string, requestedBy: string): Promise<{ activeVersion: string }>;
  /**
   * Switches the serving backbone to another models/<id>.model.json entry (re-embeds the stored photos, trains,
   * gates and swaps like a retrain). Absent where this deployment cannot (the queued trainer).
   */
  switchBackbone?(request: {
    backboneId: string;
    requestedBy: string;
    onProgress?: (p: TrainingProgress) => void;
  }): Promise<TrainingOutcome>;
  /** The backbone entry ids a switch accepts. */
  backboneEntries?(): string[];
}

/** A message someone points at (`/label message:`), already parsed from a link or a bare id. */
export interface MessageRef {
  messageId: string;
  guildId?: string;
  channelId?: string;
}

export interface LabelCommandInput {
  guildId: string | null;
  channelId: string;
  userId: string;
  breed: string;
  /**
   * Default: the newest dog photo the bot answered in the channel (a not-a-dog photo only after a confirmation,
   * see NotADogConfirmationError).
   */
  messageRef?: MessageRef;
  /** 1-based photo of a reply covering several; default 1 (or the only dog). */
  photo?: number;
  /**
   * Exactly this prediction, which the person confirmed after a NotADogConfirmationError (it must be in their
   * server); `messageRef` and `photo` are then ignored.
   */
  confirmedPredictionId?: string;
  isModerator: boolean;
}

export interface ReactionInput {
  replyMessageId: string;
  /** 1..5 */
  position: number;
  userId: string;
  guildId: string | null;
}

/** A reply the bot posted, where to find it. */
export interface ReplyLocation {
  channelId: string;
  messageId: string;
}

/**
 * The bot's replies that showed a crowd answer which just changed (labels removed), most recent first, so the
 * Discord layer can re-render them.
 */
export interface AffectedReplies {
  affectedReplies: ReplyLocation[];
}

/** What `/forget` did, in numbers and in words. */
export interface ForgetOutcome {
  labelsDeleted: number;
  imagesDeleted: number;
  /** Images others posted or labelled too: kept for them, without this person's name. */
  imagesKept: number;
  /** What could not be deleted, in words for the reply. */
  kept: string[];
}

/** An image whose labellers disagree (moderators' `/labels review`). */
export interface DisputedImageView {
  imageId: string;
  voters: number;
  /** Most votes first. */
  breeds: { breed: string; votes: number }[];
  /** What the trust-weighted consensus says now (null: unresolved). */
  consensus: string | null;
  /** The bot's reply showing the image in that server, to jump to it. */
  reply: { channelId: string; messageId: string } | null;
}

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
  labelByCommand(
    input: LabelCommandInput,
  ): Promise<LabelOutcome & { readAs?: string; reply: { channelId: string; messageId: string } | null }>;
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
