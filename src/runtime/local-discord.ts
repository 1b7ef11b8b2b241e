/**
 * The local Discord that `npm start` uses when there is no token: the fake and its page, from src/sandbox's one
 * entry point. Wiring, not the Discord adapter: the bot talks to it like to Discord, by token and API URL.
 */
import type { Config } from '../config.ts';
import { startSandbox } from '../sandbox/index.ts';

export interface LocalDiscord {
  token: string;
  apiUrl: string;
  /** scheme://host:port of the fake's own file host (attachments and hosted files). */
  origin: string;
  pageUrl: string;
  guildId: string;
  close(): Promise<void>;
}

export async function startLocalDiscord(config: Config): Promise<LocalDiscord> {
  const sandbox = await startSandbox({ host: config.SANDBOX_HOST, port: config.SANDBOX_PORT });
  return {
    token: sandbox.token,
    apiUrl: sandbox.apiUrl,
    origin: sandbox.fake.baseUrl,
    pageUrl: sandbox.pageUrl,
    guildId: sandbox.fake.guild.guild.id,
    close: () => sandbox.close(),
  };
}
