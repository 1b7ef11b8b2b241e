/**
 * `npm run deploy-commands`: registers every command in commands/ with Discord (or with any REST endpoint in
 * DISCORD_API_URL, such as the local fake). Guild-scoped when GUILD_ID is set (instant), else global.
 */
import { loadConfig } from '../src/config.ts';
import { loadCommands } from '../src/discord/command-loader.ts';
import { deployCommands } from '../src/discord/deploy.ts';

const config = loadConfig();
if (!config.DISCORD_TOKEN) {
  console.error('DISCORD_TOKEN is not set: put the bot token in the environment (see README).');
  process.exit(1);
}
const { json } = await loadCommands();
const result = await deployCommands({
  token: config.DISCORD_TOKEN,
  commands: json,
  ...(config.DISCORD_APP_ID ? { applicationId: config.DISCORD_APP_ID } : {}),
  ...(config.GUILD_ID ? { guildId: config.GUILD_ID } : {}),
  ...(config.DISCORD_API_URL ? { apiUrl: config.DISCORD_API_URL } : {}),
});
console.log(`Registered ${result.count} commands (${result.scope}): ${json.map((c) => c.name).join(', ')}`);
