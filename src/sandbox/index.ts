import { startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from './fake-discord/index.ts';
import { attachSandboxPage } from './web/page.ts';

export interface Sandbox {
  fake: FakeDiscord;
  /** The page a person opens: http://127.0.0.1:PORT/ */
  pageUrl: string;
  /** For discord.js: `rest: { api: apiUrl }`. */
  apiUrl: string;
  /** The token the fake accepts; log the bot in with it. */
  token: string;
  close(): Promise<void>;
}

/** Starts the local fake Discord with the sandbox page on the same server (used by `npm start` without DISCORD_TOKEN). */
export async function startSandbox(options: FakeDiscordOptions = {}): Promise<Sandbox> {
  const fake = await startFakeDiscord(options);
  const { pageUrl } = attachSandboxPage(fake);
  return { fake, pageUrl, apiUrl: fake.apiUrl, token: fake.token, close: () => fake.close() };
}

export { startFakeDiscord, attachSandboxPage };
export type { FakeDiscord, FakeDiscordOptions };
export type * from './fake-discord/index.ts';
