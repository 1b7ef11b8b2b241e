/**
 * What a runtime opened, closed in reverse order: a serving process closes its bot before the services the bot
 * calls, and those before the database. When start-up fails halfway, what was opened so far is closed the same way.
 */
import { log } from '../log.ts';

interface Opened {
  name: string;
  close: () => Promise<void> | void;
}

export class Resources {
  readonly #opened: Opened[] = [];
  #closing: Promise<void> | null = null;

  /** Records `thing` as opened (to be closed by `close`) and returns it. */
  add<T>(name: string, thing: T, close: (thing: T) => Promise<void> | void): T {
    this.#opened.push({ name, close: () => close(thing) });
    return thing;
  }

  /** Closes everything, newest first. Every close runs even if one fails; the first failure is rethrown. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      let failure: unknown;
      for (const { name, close } of this.#opened.splice(0).reverse()) {
        try {
          await close();
        } catch (err) {
          log.error({ err, resource: name }, 'closing failed');
          failure ??= err;
        }
      }
      if (failure !== undefined) throw failure;
    })();
    return this.#closing;
  }

  /** Runs `build`; if it throws, closes what was opened so far and rethrows. */
  async build<T>(build: () => Promise<T>): Promise<T> {
    try {
      return await build();
    } catch (err) {
      await this.close().catch(() => undefined); // the start-up error is the one worth reporting
      throw err;
    }
  }
}
