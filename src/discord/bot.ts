/**
 * The Discord adapter: a client with thin event handlers that call the application services.
 * Handlers run concurrently (never awaited by the gateway), are tracked for graceful shutdown, and never throw
 * into discord.js.
 */
import { Events, type Client } from 'discord.js';
import { isUserFacing } from '../refusals.ts';
import type { Breedbot } from '../app/breedbot.ts';
import type { TrainingControl } from '../features/training/types.ts';
import { log } from '../log.ts';
import { loadCommands, type CommandSet } from './command-loader.ts';
import { createDiscordClient } from './client.ts';
import { EventDeduper } from './event-dedupe.ts';
import { handleInteraction } from './handlers/interactions.ts';
import { handleMessageCreate, handleMessageUpdate } from './handlers/message-create.ts';
import { handleReactionAdd, handleReactionRemove } from './handlers/reactions.ts';
import { AckFirst } from './ack-first.ts';
import { KeyedWorkQueue } from './keyed-work-queue.ts';
import { NoneHelpRecord } from './none-help.ts';

export interface BotOptions {
  app: Breedbot;
  token: string;
  autoClassify: boolean;
  apiUrl?: string;
  training?: TrainingControl;
  commands?: CommandSet;
}

export interface RunningBot {
  client: Client;
  commands: CommandSet;
  /** Stop taking events, let in-flight handlers finish, close the gateway. */
  stop(): Promise<void>;
}

const REACTION_CONCURRENCY = 4;
const DEFERRED_WORK_CONCURRENCY = 4;

export async function startBot(options: BotOptions): Promise<RunningBot> {
  const { app, autoClassify } = options;
  const commands = options.commands ?? (await loadCommands());
  const client = createDiscordClient({ autoClassify, ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}) });
  const dedupe = new EventDeduper();
  const noneHelp = new NoneHelpRecord();
  // One person's votes on one reply are handled in arrival order; a few at a time, so interactions stay prompt.
  const reactionQueue = new KeyedWorkQueue(REACTION_CONCURRENCY);
  // Votes and posted photos wait while interactions are unacknowledged (Discord allows those only 3 s).
  const acks = new AckFirst();
  const afterAcks =
    <T>(work: () => Promise<T>) =>
    () =>
      acks.yieldToAcknowledgements().then(work);
  // What commands do after deferring goes through its own queue (each job its own key: no ordering).
  const deferredWork = new KeyedWorkQueue(DEFERRED_WORK_CONCURRENCY);
  let deferredJobs = 0;
  const inFlight = new Set<Promise<unknown>>();
  let accepting = true;

  const track = (name: string, work: () => Promise<unknown>) => {
    if (!accepting) return;
    const p = work()
      .catch((err: unknown) => {
        // e.g. a rate-limited reaction: nobody to answer, but worth a line in the log
        if (isUserFacing(err)) log.info({ event: name, code: err.code }, err.userMessage);
        else log.error({ err, event: name }, 'event handler failed');
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const botUserId = () => client.user?.id ?? '';
  const ctx = {
    app,
    log,
    afterAcknowledgements: <T>(work: () => Promise<T>) =>
      deferredWork.run(String(deferredJobs++), afterAcks(work)),
    ...(options.training ? { training: options.training } : {}),
  };

  client.on(Events.MessageCreate, (m) =>
    track(
      'messageCreate',
      afterAcks(() => handleMessageCreate(m, { app, dedupe, autoClassify })),
    ),
  );
  client.on(Events.MessageUpdate, (_old, m) =>
    track(
      'messageUpdate',
      afterAcks(() => handleMessageUpdate(m, { app, dedupe, autoClassify })),
    ),
  );
  client.on(Events.MessageReactionAdd, (r, u) =>
    track('reactionAdd', () =>
      reactionQueue.run(
        `${r.message.id} ${u.id}`,
        afterAcks(() => handleReactionAdd(r, u, { app, noneHelp, botUserId: botUserId() })),
      ),
    ),
  );
  client.on(Events.MessageReactionRemove, (r, u) =>
    track('reactionRemove', () =>
      reactionQueue.run(
        `${r.message.id} ${u.id}`,
        afterAcks(() => handleReactionRemove(r, u, { app, noneHelp, botUserId: botUserId() })),
      ),
    ),
  );
  client.on(Events.InteractionCreate, (i) =>
    track('interactionCreate', () => {
      const acknowledged = acks.track(i);
      return handleInteraction(i, { commands, ctx, dedupe }).finally(acknowledged);
    }),
  );
  client.on(Events.Error, (err) => log.error({ err }, 'discord client error'));
  client.on(Events.Warn, (msg) => log.warn(msg));

  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(options.token);
  await ready;
  log.info({ user: client.user?.tag, guilds: client.guilds.cache.size, autoClassify }, 'discord bot ready');

  return {
    client,
    commands,
    async stop() {
      accepting = false;
      await Promise.allSettled([...inFlight]);
      await client.destroy();
    },
  };
}
