/**
 * `npm start`. With DISCORD_TOKEN: the bot on Discord. Without: the local sandbox (a fake Discord with a web page,
 * SQLite by default) and the same bot connected to it, so anyone can try breedbot with no account and no internet.
 */
import { createBreedbot } from './app/create.ts';
import { loadConfig, type Config } from './config.ts';
import { loadCommands } from './discord/command-loader.ts';
import { deployCommands } from './discord/deploy.ts';
import { startBot, type RunningBot } from './discord/bot.ts';
import { redact } from './labels/database-url.ts';
import { log } from './log.ts';
import { startLocalDiscord, type LocalDiscord } from './discord/local-discord.ts';
import { connectServing } from './scale/serving.ts';

const DISALLOWED_INTENTS = 4014;

async function main(): Promise<void> {
  const config = loadConfig();
  const sandbox: LocalDiscord | null = config.DISCORD_TOKEN ? null : await startLocalDiscord(config);
  const token = config.DISCORD_TOKEN ?? sandbox!.token;
  const apiUrl = sandbox?.apiUrl ?? config.DISCORD_API_URL;

  const app = await createBreedbot(config, {
    // In the sandbox, attachments and the page's "image by URL" live on the fake's own file host.
    trustedLoopbackOrigins: sandbox ? [sandbox.origin] : [],
  });
  // Single process: /retrain and the RETRAIN_CRON schedule train here; with REDIS_URL a trainer process does.
  const serving = await connectServing(config, app, { schedule: true });
  const commands = await loadCommands();
  if (sandbox)
    await deployCommands({
      token,
      apiUrl: sandbox.apiUrl,
      commands: commands.json,
      guildId: sandbox.guildId,
    });

  let bot: RunningBot;
  try {
    bot = await startBot({
      app,
      token,
      autoClassify: config.AUTO_CLASSIFY,
      commands,
      training: serving.training,
      ...(apiUrl ? { apiUrl } : {}),
    });
  } catch (err) {
    if ((err as { code?: number }).code === DISALLOWED_INTENTS) {
      log.fatal(
        'Discord refused the MessageContent intent. Enable "Message Content Intent" for the bot in the developer portal, or set AUTO_CLASSIFY=false.',
      );
    }
    throw err;
  }

  announce(config, app.backend, sandbox);
  installShutdown(async () => {
    await bot.stop(); // no new events; handlers in flight finish
    await serving.close(); // schedule, queue; a training run in flight is abandoned (nothing half-written)
    await app.close(); // model and database
    await sandbox?.close();
  });
}

function announce(config: Config, backend: string, sandbox: LocalDiscord | null): void {
  if (sandbox) {
    console.log(
      `breedbot: model backend ${backend} · database ${redact(config.DATABASE_URL)} · Ctrl+C to stop`,
    );
    console.log(`breedbot sandbox: open ${sandbox.pageUrl}`);
  } else {
    console.log(`breedbot connected to Discord · model backend ${backend} · Ctrl+C to stop`);
  }
}

function installShutdown(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in flight');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  log.fatal({ err }, 'breedbot could not start');
  console.error(`breedbot could not start: ${(err as Error).message}`);
  process.exit(1);
});
