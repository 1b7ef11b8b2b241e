export { startFakeDiscord, FakeDiscord } from './fake-discord.ts';
export { parseEmoji } from './messages.ts';
export type {
  FakeDiscordOptions,
  RecordedRequest,
  RecordedFile,
  InteractionHandle,
  InteractionCallback,
  PostMessageInput,
  ReactionInput,
  RunCommandInput,
  AutocompleteInput,
  MessageCommandInput,
} from './types.ts';
export type { FakeMessage, FakeReaction, MessageChange } from './messages.ts';
export type { UploadFile } from './cdn.ts';
export type { OptionValue } from './interactions.ts';
export type { FakeGuild, GuildSpec, UserKey } from './world.ts';
export { PERSON_NAMES, DEFAULT_GUILDS } from './world.ts';
export { snowflake, snowflakeTime } from './snowflake.ts';
export { shardOf } from './gateway-intents.ts';
