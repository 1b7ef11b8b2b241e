/** The local Discord that `npm start` uses when there is no token: the fake (and its page) from src/sandbox. */
import type { Config } from '../config.ts';
import { startFakeDiscord } from '../sandbox/fake-discord/index.ts';

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
  const fake = await startFakeDiscord({ host: config.SANDBOX_HOST, port: config.SANDBOX_PORT });
  return {
    token: fake.token,
    apiUrl: fake.apiUrl,
    origin: fake.baseUrl,
    pageUrl: `${fake.baseUrl}/`,
    guildId: fake.guild.guild.id,
    close: () => fake.close(),
  };
}
