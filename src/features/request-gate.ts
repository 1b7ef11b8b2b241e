/**
 * The shutdown gate every service call goes through: new requests are refused while closing, and close() can
 * wait for the ones in flight. Domain refusals leave it as the application's user-facing errors.
 */
import { ImageRejectedError, UrlRefusedError } from '../images/errors.ts';
import { UserFacingError } from '../refusals.ts';

/** Domain refusals → the application's user-facing errors (the domain's messages are already safe to show). */
function asUserFacing(error: unknown): unknown {
  if (error instanceof ImageRejectedError)
    return new UserFacingError('image-rejected', error.userMessage, { cause: error });
  if (error instanceof UrlRefusedError)
    return new UserFacingError('url-refused', error.userMessage, { cause: error });
  return error;
}

export class RequestGate {
  private readonly inFlight = new Set<Promise<unknown>>();
  private closing = false;

  /** Runs one request, refusing new ones during shutdown and tracking it so close() can wait for it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    if (this.closing)
      return Promise.reject(
        new UserFacingError('not-available', 'breedbot is restarting; please try again in a moment.'),
      );
    const p = work().catch((e: unknown) => {
      throw asUserFacing(e);
    });
    this.inFlight.add(p);
    const forget = () => this.inFlight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Work a request left running after it answered (the detector's second stage): close() waits for it too. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Closes the gate and waits for what is in flight; false when it was already closing. */
  async close(): Promise<boolean> {
    if (this.closing) return false;
    this.closing = true;
    await Promise.allSettled([...this.inFlight]);
    return true;
  }
}
