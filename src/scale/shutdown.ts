/** SIGTERM/SIGINT: stop gracefully once; a second signal exits at once. */
import { log } from '../log.ts';

export function onShutdownSignal(who: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal, who }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, who }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err, who }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
