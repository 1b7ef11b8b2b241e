import { Client, GatewayIntentBits, Partials, type ClientOptions } from 'discord.js';
import { NO_MENTIONS } from './render.ts';

export interface DiscordClientOptions {
  /**
   * Auto-classify ordinary posts. Needs the MessageContent intent, which is PRIVILEGED: enable "Message Content
   * Intent" for the bot in the Discord developer portal (and get it approved for bots in 100+ servers), or run
   * with AUTO_CLASSIFY=false (then /classify and the "Classify breed" menu still work).
   */
  autoClassify: boolean;
  /** REST base URL, e.g. the local fake's `http://127.0.0.1:PORT/api`; Discord's own when absent. */
  apiUrl?: string;
}

export function createDiscordClient({ autoClassify, apiUrl }: DiscordClientOptions): Client {
  const intents = [
    GatewayIntentBits.Guilds,
    GatewayIntentBits.GuildMessages,
    GatewayIntentBits.GuildMessageReactions,
  ];
  if (autoClassify) intents.push(GatewayIntentBits.MessageContent);
  const options: ClientOptions = {
    intents,
    // Reactions on messages sent before this process started arrive only with these partials.
    partials: [Partials.Message, Partials.Channel, Partials.Reaction, Partials.User],
    allowedMentions: NO_MENTIONS,
    ...(apiUrl ? { rest: { api: apiUrl } } : {}),
  };
  return new Client(options);
}
