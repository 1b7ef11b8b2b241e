import {
  REST,
  Routes,
  type RESTGetCurrentApplicationResult,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';

export interface DeployOptions {
  token: string;
  commands: RESTPostAPIApplicationCommandsJSONBody[];
  /** Looked up from the token when absent. */
  applicationId?: string;
  /** Guild commands update at once; global ones can take a while to appear. */
  guildId?: string;
  /** REST base URL (the local fake's in the sandbox). */
  apiUrl?: string;
}

/** Replaces the registered command set (PUT is a bulk overwrite: removed files disappear from Discord too). */
export async function deployCommands(options: DeployOptions): Promise<{ scope: string; count: number }> {
  const rest = new REST(options.apiUrl ? { api: options.apiUrl } : {}).setToken(options.token);
  const appId =
    options.applicationId ??
    ((await rest.get(Routes.currentApplication())) as RESTGetCurrentApplicationResult).id;
  const route = options.guildId
    ? Routes.applicationGuildCommands(appId, options.guildId)
    : Routes.applicationCommands(appId);
  const registered = (await rest.put(route, { body: options.commands })) as unknown[];
  return { scope: options.guildId ? `guild ${options.guildId}` : 'global', count: registered.length };
}
