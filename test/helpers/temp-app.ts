/** Set-up shared by the tests that run a whole bot: a throwaway config and the slash commands on the fake. */
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.ts';
import { loadCommands, type CommandSet } from '../../src/discord/command-loader.ts';
import { deployCommands } from '../../src/discord/deploy.ts';
import type { BreedbotApp } from '../../src/app/create.ts';
import { breedNames } from '../../src/model/breed-names.ts';
import type { FakeDiscord } from '../../src/sandbox/fake-discord/index.ts';
import { sharedModelEnv } from './shared-data.ts';

/** A config on ../shared's model whose database, images and model versions all live in `dir`. */
export function tempDirConfig(dir: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    ...process.env,
    ...sharedModelEnv,
    DATABASE_URL: `file:${path.join(dir, 'breedbot.db')}`,
    DATA_DIR: path.join(dir, 'data'),
    MODELS_DIR: path.join(dir, 'models'),
    ...env,
  });
}

/** Registers every slash command in the fake's guilds (its first guild by default), as `deploy-commands` does. */
export async function deployCommandsTo(
  fake: FakeDiscord,
  guildIds: string[] = [fake.guild.guild.id],
): Promise<CommandSet> {
  const commands = await loadCommands();
  for (const guildId of guildIds) {
    await deployCommands({ token: fake.token, apiUrl: fake.apiUrl, commands: commands.json, guildId });
  }
  return commands;
}

/** The readable breed name of each ImageNet synset the app's backbone knows (e.g. n02099601 → Golden Retriever). */
export function breedNameBySynset(app: BreedbotApp): Map<string, string> {
  const { labels } = app.model.runtime.backbone.classifier;
  const names = breedNames(labels.synonyms, app.model.runtime.modelConfig.dogClasses, labels.synsets);
  return new Map(names.map((b) => [b.synset!, b.name]));
}
