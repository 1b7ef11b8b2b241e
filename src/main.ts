/**
 * `npm start`. With DISCORD_TOKEN: the bot on Discord. Without: the local sandbox (a fake Discord with a web page,
 * SQLite by default) and the same bot connected to it, so anyone can try breedbot with no account and no internet.
 */
import { loadConfig } from './config.ts';
import { redact } from './storage/database-url.ts';
import { log } from './log.ts';
import { buildRuntime, type BotRuntime } from './runtime/build-runtime.ts';
import { runProcess } from './runtime/run-process.ts';

const DISALLOWED_INTENTS = 4014;

runProcess('breedbot', async () => {
  const runtime = await buildRuntime(loadConfig(), 'bot').catch((err: unknown) => {
    if ((err as { code?: number }).code === DISALLOWED_INTENTS) {
      log.fatal(
        'Discord refused the MessageContent intent. Enable "Message Content Intent" for the bot in the developer portal, or set AUTO_CLASSIFY=false.',
      );
    }
    throw err;
  });
  announce(runtime);
  return runtime;
});

function announce({ config, app, sandbox }: BotRuntime): void {
  if (sandbox) {
    console.log(
      `breedbot: model backend ${app.backend} · database ${redact(config.DATABASE_URL)} · Ctrl+C to stop`,
    );
    console.log(`breedbot sandbox: open ${sandbox.pageUrl}`);
  } else {
    console.log(`breedbot connected to Discord · model backend ${app.backend} · Ctrl+C to stop`);
  }
}
