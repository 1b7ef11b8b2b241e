/** Readable breed names from ImageNet-style class labels ("Maltese dog, Maltese terrier, Maltese"). */

export interface BreedName {
  /** Display name, e.g. "Rhodesian Ridgeback". Unique within a label set. */
  name: string;
  /** Other names people may type (for autocomplete and matching), as the labels spell them. */
  aliases: string[];
  /** Output index in the ImageNet classifier. */
  imagenetIndex: number;
  /** WordNet id, e.g. "n02087394", when known. */
  synset?: string;
}

/** Words that stay lower case inside a title ("Black-and-Tan", "Bouvier des Flandres"). */
const joiners = new Set(['and', 'des', 'de', 'du', 'of', 'the', 'la', 'le', 'von']);

/** Capitalises the first letter of every word and hyphen part; keeps existing capitals (EntleBucher, Shih-Tzu). */
export function titleCase(text: string): string {
  let first = true;
  return text.replace(/[^\s-]+/g, (word) => {
    const keepLower = !first && joiners.has(word);
    first = false;
    return keepLower ? word : word.charAt(0).toUpperCase() + word.slice(1);
  });
}

/**
 * Picks the name people use: the first synonym, made more specific when a later synonym only adds words
 * to it ("Pembroke" -> "Pembroke Welsh corgi", "basset" -> "basset hound"), and without a trailing
 * " dog" when a synonym names the breed without it ("Maltese dog" -> "Maltese").
 */
export function readableBreedName(synonyms: readonly string[]): string {
  const [first, ...rest] = synonyms;
  if (!first) throw new Error('a class label with no name');
  let name = first;
  const extension = rest.find((s) => s.startsWith(first + ' ') && s.slice(first.length + 1) !== 'dog');
  if (extension) name = extension;
  const withoutDog = name.replace(/ dog$/, '');
  if (withoutDog !== name && rest.some((s) => s.toLowerCase() === withoutDog.toLowerCase()))
    name = withoutDog;
  return titleCase(name);
}

/** The breed list for classes first..last (inclusive), with aliases and ImageNet indices. */
export function breedNames(
  synonyms: readonly (readonly string[])[],
  range: { first: number; last: number },
  synsets?: readonly string[],
): BreedName[] {
  const breeds: BreedName[] = [];
  const seen = new Set<string>();
  for (let index = range.first; index <= range.last; index++) {
    const names = synonyms[index];
    if (!names) throw new Error(`no label for class ${index}`);
    const name = readableBreedName(names);
    if (seen.has(name.toLowerCase())) throw new Error(`two classes would both be called "${name}"`);
    seen.add(name.toLowerCase());
    const aliases = [...new Set(names)].filter((n) => n.toLowerCase() !== name.toLowerCase());
    const synset = synsets?.[index];
    breeds.push({ name, aliases, imagenetIndex: index, ...(synset ? { synset } : {}) });
  }
  return breeds;
}
