/**
 * A refusal as people on Discord read it: the application's plain words, or, where the refusal says why in data,
 * the Discord wording that names the command or option to use.
 */
import type { RefusalReason, UserFacingError } from '../refusals.ts';

const plural = (n: number) => (n === 1 ? '' : 's');

function discordWords(reason: RefusalReason): string {
  switch (reason.kind) {
    case 'photo-out-of-range':
      return `That reply has ${reason.photos} photo${plural(reason.photos)}; pick \`photo:\` between 1 and ${reason.photos}.`;
    case 'photo-ambiguous':
      return `That reply covers ${reason.photos} photos: say which with \`photo:\`.`;
    case 'dog-out-of-range':
      return reason.dogs === 0
        ? 'I found only one dog in that photo: leave out `dog:`.'
        : `I found ${reason.dogs} dogs in that photo; pick \`dog:\` between 1 and ${reason.dogs}.`;
    case 'dog-ambiguous':
      return `That photo shows ${reason.dogs} dogs: say which with \`dog:\` (1 is the leftmost, as numbered in my reply).`;
    case 'confirmed-photo-gone':
      return 'That photo is no longer stored: run `/label` again.';
    case 'message-not-classified':
      return 'I haven\'t looked at a photo in that message. Use `/classify` or the "Classify breed" menu first.';
    case 'channel-has-no-photo':
      return 'There is no photo to label in this channel yet: post one, or give `message:` with a link.';
    case 'channel-list-empty':
      return (
        'No channel is listed, so photos are classified in every channel: one channel cannot be switched ' +
        'off on its own. List the channels that should classify with `/settings channel enabled:true` ' +
        '(the others then stay quiet), or turn it off everywhere with `/settings auto-classify enabled:false`.'
      );
    case 'not-a-dog':
      return (
        "The newest photo I answered here doesn't look like a dog to me, so I haven't labelled it. " +
        'Confirm to label it anyway, or say which photo with `message:` (a link to it or to my reply).'
      );
  }
}

export function refusalText(error: UserFacingError): string {
  return error.reason ? discordWords(error.reason) : error.userMessage;
}
