/**
 * Set-up shared by the tests that drive the learning loop over a real app (real model, SQLite in a temp dir):
 * the app with its learning loop, photos posted and labelled through the services, and rollback targets.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createBreedbot, type BreedbotApp } from '../../src/app/create.ts';
import type { Config } from '../../src/config.ts';
import { startLearning, type Learning } from '../../src/learning/index.ts';
import type { Classification } from '../../src/features/classify/types.ts';
import { saveHeadVersion } from '../../src/model/registry.ts';
import type { BreedHead } from '../../src/model/types.ts';
import { recordModelVersion } from '../../src/storage/model-versions.ts';
import { tempDirConfig } from './temp-app.ts';

/** Where every photo of these tests is posted. */
export const GUILD_ID = 'g';
export const CHANNEL_ID = 'c';

export interface LearningApp {
  dir: string;
  config: Config;
  app: BreedbotApp;
  learning: Learning;
  close(): Promise<void>;
}

/**
 * An app on ../shared's model in a fresh temp dir (named after `prefix`), with its learning loop started.
 * `env` may be built from the temp dir, for settings that point at files the test writes there.
 */
export async function startLearningApp(
  prefix: string,
  env: Record<string, string> | ((dir: string) => Record<string, string>),
  learningOptions?: Parameters<typeof startLearning>[2],
): Promise<LearningApp> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `breedbot-${prefix}-`));
  const config = tempDirConfig(dir, typeof env === 'function' ? env(dir) : env);
  const app = await createBreedbot(config);
  const learning = startLearning(app, config, learningOptions);
  return {
    dir,
    config,
    app,
    learning,
    async close() {
      await learning.close();
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Classifies `file` as the photo of message `messageId`, posted by `userId`. */
export function classifyPosted(
  app: BreedbotApp,
  file: string,
  messageId: string,
  userId = 'poster',
): Promise<Classification> {
  return app.classifyImageBytes(readFileSync(file), {
    guildId: GUILD_ID,
    channelId: CHANNEL_ID,
    messageId,
    userId,
  });
}

/** `/label breed` on the photo of message `messageId`. */
export async function labelWithCommand(
  app: BreedbotApp,
  messageId: string,
  breed: string,
  by: { userId: string; isModerator: boolean },
): Promise<void> {
  await app.labelByCommand({
    guildId: GUILD_ID,
    channelId: CHANNEL_ID,
    userId: by.userId,
    breed,
    messageRef: { messageId },
    isModerator: by.isModerator,
  });
}

/** Saves `head` (the base head by default) as a version folder and records it as retired: a rollback target. */
export async function saveRetiredVersion(
  app: BreedbotApp,
  config: Config,
  head: BreedHead = app.model.runtime.baseHead,
): Promise<{ version: string; dir: string }> {
  const parent = app.model.runtime.baseVersion;
  const saved = await saveHeadVersion(config.modelsDir, head, { parent, backboneId: app.model.backboneId });
  await recordModelVersion(app.db, {
    id: saved.version,
    path: saved.dir,
    parentId: parent,
    backboneId: app.model.backboneId,
    status: 'retired',
  });
  return saved;
}
