import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../src/config.ts';
import { breedNames, readableBreedName, titleCase } from '../src/model/breed-names.ts';

// The committed copy of the ImageNet class list that sits beside the model config.
const synonyms = readFileSync(path.join(projectRoot, 'models/imagenet_labels.txt'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => l.split(',').map((s) => s.trim()));
const synsets = readFileSync(path.join(projectRoot, 'models/imagenet_synsets.txt'), 'utf8')
  .trim()
  .split('\n');
const breeds = breedNames(synonyms, { first: 151, last: 275 }, synsets);
const byIndex = (i: number) => breeds.find((b) => b.imagenetIndex === i)!;

test('125 dog classes: 118 breeds and 7 wild dogs, each with a unique readable name', () => {
  assert.equal(synonyms.length, 1000);
  assert.equal(breeds.length, 125);
  assert.equal(new Set(breeds.map((b) => b.name.toLowerCase())).size, 125);
  assert.deepEqual(
    [155, 159, 229, 207, 273, 275].map((i) => byIndex(i).name),
    [
      'Shih-Tzu',
      'Rhodesian Ridgeback',
      'Old English Sheepdog',
      'Golden Retriever',
      'Dingo',
      'African Hunting Dog',
    ],
  );
  assert.equal(byIndex(159).synset, 'n02087394');
});

test('names are title case but keep hyphens, joiners and existing capitals', () => {
  assert.equal(byIndex(165).name, 'Black-and-Tan Coonhound');
  assert.equal(byIndex(202).name, 'Soft-Coated Wheaten Terrier');
  assert.equal(byIndex(233).name, 'Bouvier des Flandres');
  assert.equal(byIndex(241).name, 'EntleBucher');
  assert.equal(titleCase("yellow lady's slipper"), "Yellow Lady's Slipper");
});

test('a later synonym that only adds words makes the name specific; a trailing "dog" is dropped when redundant', () => {
  assert.equal(byIndex(263).name, 'Pembroke Welsh Corgi');
  assert.equal(byIndex(161).name, 'Basset Hound');
  assert.equal(byIndex(153).name, 'Maltese');
  assert.equal(byIndex(235).name, 'German Shepherd');
  assert.equal(readableBreedName(['Newfoundland', 'Newfoundland dog']), 'Newfoundland');
});

test('aliases hold the other synonyms for autocomplete', () => {
  assert.deepEqual(byIndex(153).aliases, ['Maltese dog', 'Maltese terrier']);
  assert.deepEqual(byIndex(154).aliases, ['Pekingese', 'Peke']);
  assert.deepEqual(byIndex(155).aliases, []);
  assert.ok(byIndex(195).aliases.includes('Boston terrier'));
});

test('a label set whose names would collide is refused', () => {
  assert.throws(() => breedNames([['crane'], ['crane']], { first: 0, last: 1 }), /both be called "Crane"/);
});
