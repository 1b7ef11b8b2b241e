/** The words and the picture of a reply to a photo with several dogs: where each dog is, and the boxes PNG. */
import { AttachmentBuilder } from 'discord.js';
import type { DogPosition } from '../features/classify/dog-position.ts';
import type { DogClassification } from '../features/classify/types.ts';
import type { BoxesPicture } from '../images/dog-boxes.ts';

const POSITION_WORDS: Record<DogPosition, string> = {
  left: 'left',
  centre: 'centre',
  right: 'right',
  top: 'top',
  bottom: 'bottom',
};

export const positionWord = (position: DogPosition): string => POSITION_WORDS[position];

/** "Dog 2, right" */
export const dogTitle = (dog: { number: number; position: DogPosition }): string =>
  `Dog ${dog.number}, ${positionWord(dog.position)}`;

/** Discord keeps at most this much of an attachment's description (its alt text). */
const MAX_ALT = 1024;

/** The photo with each dog's numbered box, as an attachment whose description says what it shows. */
export function dogsAttachment(
  dogs: readonly DogClassification[],
  picture: BoxesPicture,
  photoIndex: number,
): AttachmentBuilder {
  const named = dogs.map((d) => {
    const breed = (d.view.top5[0]?.breed ?? 'unknown').replace(/\s+/g, ' ').slice(0, 60);
    return `${d.number} (${positionWord(d.position)}): ${breed}`;
  });
  const alt = `The photo with ${dogs.length} dogs boxed and numbered left to right. ${named.join('; ')}.`;
  return new AttachmentBuilder(picture.png, {
    name: `dogs-${photoIndex + 1}.png`,
    description: alt.length > MAX_ALT ? `${alt.slice(0, MAX_ALT - 1)}…` : alt,
  });
}
