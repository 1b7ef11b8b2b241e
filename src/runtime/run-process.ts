/**
 * The life of a long-running process (`npm start`, a shard, the trainer, the shard manager): start it, report a
 * start-up failure in one readable line, and on SIGINT/SIGTERM stop it once, gracefully; a second signal exits
 * at once.
 */
import { log } from '../log.ts';

export interface Stoppable {
  close(): Promise<void>;
}

export function runProcess(name: string, start: () => Promise<Stoppable>): void {
  start().then(
    (running) => stopOnSignal(name, () => running.close()),
    (err: unknown) => {
      log.fatal({ err }, `${name} could not start`);
      console.error(`${name} could not start: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}

function stopOnSignal(name: string, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal, who: name }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, who: name }, 'shutting down: finishing requests in flight');
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err, who: name }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
