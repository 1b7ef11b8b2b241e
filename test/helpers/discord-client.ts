/** Throwaway discord.js clients that play the bot against the fake Discord. */
import { Client, Events, GatewayIntentBits, Partials } from 'discord.js';

/** A client with every intent the bot uses (message content included) and the reaction partials. */
export function fullIntentsClient(apiUrl: string): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.GuildMessageReactions,
      GatewayIntentBits.MessageContent,
    ],
    partials: [Partials.Message, Partials.Channel, Partials.Reaction],
    rest: { api: apiUrl },
  });
}

/** Logs in and resolves once the client is READY. */
export async function loginAndWaitReady(client: Client, token: string): Promise<void> {
  const ready = new Promise((resolve) => client.once(Events.ClientReady, resolve));
  await client.login(token);
  await ready;
}
