/** The rules behind consensus, trust and breed search, as pure functions (no database). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveVotes } from '../src/storage/consensus.ts';
import { nearestNames, normaliseBreedText, rankBreeds } from '../src/storage/breed-search.ts';
import { NEWCOMER_TRUST, trustByUser, trustFrom, type Vote } from '../src/storage/trust.ts';
import { validateBreedName } from '../src/storage/breeds.ts';

const at = new Date('2026-01-01T00:00:00Z');
const vote = (imageId: string, userId: string, breed: string, source = 'reaction', updatedAt = at): Vote => ({
  imageId,
  userId,
  breed,
  source,
  updatedAt,
});

test('trust is the smoothed agreement rate: newcomers 1/2, steady agreement near 1, steady dissent near 0', () => {
  assert.equal(NEWCOMER_TRUST, 0.5);
  assert.equal(trustFrom({ agreed: 8, compared: 8 }), 0.9);
  assert.equal(trustFrom({ agreed: 0, compared: 8 }), 0.1);
});

test('only images others agree on count toward trust; labelling lone images buys nothing', () => {
  const votes = [
    ...['i1', 'i2', 'i3'].flatMap((i) => [
      vote(i, 'a', 'Beagle'),
      vote(i, 'b', 'Beagle'),
      vote(i, 'spam', 'Pug'),
    ]),
    ...['l1', 'l2', 'l3', 'l4'].map((i) => vote(i, 'spam', 'Pug')),
  ];
  const trust = trustByUser(votes);
  assert.deepEqual(trust.get('spam'), { agreed: 0, compared: 3, trust: 0.2 });
  // for a, the others on each image are b (Beagle) and spam (Pug): a tie, so no comparison
  assert.deepEqual(trust.get('a'), { agreed: 0, compared: 0, trust: 0.5 });
});

test('the latest moderator label wins; a tie is unresolved; minVotes and minWeight hold back weak answers', () => {
  const later = new Date(at.getTime() + 1000);
  const r = resolveVotes([
    vote('m', 'x', 'Pug'),
    vote('m', 'mod1', 'Beagle', 'moderator'),
    vote('m', 'mod2', 'Basset', 'moderator', later),
    vote('t', 'p', 'Pug'),
    vote('t', 'q', 'Beagle'),
    vote('one', 'x', 'Pug'),
  ]);
  assert.equal(r.get('m')?.breed, 'Basset');
  assert.equal(r.get('m')?.byModerator, true);
  assert.equal(r.get('t')?.breed, null);
  assert.equal(r.get('one')?.breed, 'Pug');
  assert.equal(resolveVotes([vote('one', 'x', 'Pug')], { minVotes: 2 }).get('one')?.breed, null);
  assert.equal(resolveVotes([vote('one', 'x', 'Pug')], { minWeight: 0.6 }).get('one')?.breed, null);
});

test("a person's vote on an image does not vouch for itself (leave-one-out trust)", () => {
  // c agrees with a on i1 only; on the disputed image d his own vote must not raise his weight there
  const votes = [
    vote('i1', 'a', 'Pug'),
    vote('i1', 'c', 'Pug'),
    vote('d', 'c', 'Beagle'),
    vote('d', 'e', 'Pug'),
  ];
  const d = resolveVotes(votes).get('d')!;
  // c: trust from i1 only = (1+1)/(1+2) = 2/3; e: newcomer 1/2
  assert.equal(d.breed, 'Beagle');
  assert.ok(Math.abs(d.weight - 2 / 3) < 1e-12);
});

const breeds = [
  { name: 'Beagle', aliases: [] },
  { name: 'Golden Retriever', aliases: ['golden'] },
  { name: 'Labrador Retriever', aliases: ['lab'] },
  { name: 'Shih-Tzu', aliases: [] },
  { name: 'German Shepherd', aliases: ['Alsatian'] },
];

test('breed search ranks exact, prefix, word prefix, substring, then typos', () => {
  assert.equal(normaliseBreedText('  Shih_Tzu '), 'shih tzu');
  assert.deepEqual(rankBreeds(breeds, 'lab', 5)[0], 'Labrador Retriever');
  assert.deepEqual(rankBreeds(breeds, 'retriever', 5), ['Golden Retriever', 'Labrador Retriever']);
  assert.deepEqual(rankBreeds(breeds, 'olden', 5), ['Golden Retriever']);
  assert.deepEqual(rankBreeds(breeds, 'beagel', 5), ['Beagle']);
  assert.deepEqual(rankBreeds(breeds, 'alsatain', 5), ['German Shepherd']);
  assert.deepEqual(rankBreeds(breeds, 'xyz', 5), [], 'short nonsense matches nothing');
  assert.equal(rankBreeds(breeds, '', 2).length, 2);
  assert.equal(nearestNames(breeds, 'Shitzu', 1)[0], 'Shih-Tzu');
});

test('breed names cannot carry mentions, markdown or links', () => {
  assert.equal(validateBreedName('  Cão  de Água '), 'Cão de Água');
  assert.equal(validateBreedName("St. John's water dog"), "St. John's water dog");
  for (const bad of ['@everyone', '<@&1>', '`x`', '[x](http://a)', 'a\u0000b', '__x__', '99']) {
    assert.throws(() => validateBreedName(bad), /cannot be a breed name/, bad);
  }
});
