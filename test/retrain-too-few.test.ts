/**
 * Issue 14 §1: a retrain that cannot judge a candidate (too few labels for a holdout) or has nothing new to
 * learn says so and makes no version; /retrain, `npm run retrain` and /model info word it honestly.
 * Real model, real SQLite; no training worker is started in any of these cases.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { modelInfoEmbed } from '../commands/model/info.ts';
import { outcomeLine } from '../src/discord/training-reply.ts';
import type { BreedbotApp } from '../src/app/create.ts';
import type { TrainingOutcome } from '../src/features/training/types.ts';
import type { Config } from '../src/config.ts';
import { listModelVersions } from '../src/storage/model-versions.ts';
import type { Learning } from '../src/learning/index.ts';
import { resultText } from '../src/learning/progress-text.ts';
import { tooFewLabels } from '../src/training/dataset.ts';
import {
  classifyPosted,
  labelWithCommand,
  saveRetiredVersion,
  startLearningApp,
  type LearningApp,
} from './helpers/learning-app.ts';
import { skipWithoutTrainPhotos, trainPhotos } from './helpers/shared-data.ts';
import { breedNameBySynset } from './helpers/temp-app.ts';

test('tooFewLabels: a holdout needs 2 photos of a known breed (or the new-breed minimum)', () => {
  const known = ['Beagle', 'Samoyed', 'Pug'];
  const three = [{ breed: 'Beagle' }, { breed: 'Samoyed' }, { breed: 'Pug' }];
  assert.match(
    tooFewLabels(three, known)!,
    /there are 3 labelled photos \(3 breeds, at most 1 of any one\), and a training needs at least 2 of one breed the model already knows \(or 40 of a new breed\)/,
  );
  assert.equal(tooFewLabels([...three, { breed: 'Pug' }], known), null);
  assert.match(tooFewLabels([{ breed: 'Cavapoo' }, { breed: 'Cavapoo' }], known)!, /there are 2 /);
  assert.equal(
    tooFewLabels([{ breed: 'Cavapoo' }, { breed: 'Cavapoo' }], known, { minNewBreedLabelsForHoldout: 2 }),
    null,
  );
});

test('/model info: a version with no holdout shows no top-1 0.0%', () => {
  const embed = modelInfoEmbed({
    activeVersion: 'base',
    backend: 'cpu',
    detector: null,
    backboneId: 'b',
    breeds: 3,
    history: [
      {
        version: 'v-1',
        status: 'rejected',
        createdAt: new Date(0),
        parent: 'base',
        metrics: { top1: 0, top5: 0, holdoutImages: 0 },
        reason: 'there is no holdout to evaluate the candidate on',
      },
    ],
  });
  const history = embed.data.fields!.find((f) => f.name === 'History')!.value;
  assert.doesNotMatch(history, /0\.0%/);
  assert.match(history, /no holdout, not scored/);
});

describe('retrain with too few or no new labels', { skip: skipWithoutTrainPhotos }, () => {
  let rig: LearningApp;
  let app: BreedbotApp;
  let config: Config;
  let learning: Learning;
  let breedOf: Map<string, string>;
  let seq = 0;

  async function classifyAndLabel(file: string, breed: string) {
    const messageId = `m${++seq}`;
    await classifyPosted(app, file, messageId, 'p');
    await labelWithCommand(app, messageId, breed, { userId: 'u1', isModerator: false });
  }

  before(async () => {
    rig = await startLearningApp('too-few', { EMBED_ENGINE: 'inprocess' });
    ({ app, config, learning } = rig);
    breedOf = breedNameBySynset(app);
  });
  after(async () => {
    await rig?.close();
  });

  test('3 labels of 3 breeds: says how many are needed, makes no version', async () => {
    for (const synset of ['n02086240', 'n02093754', 'n02111889'])
      await classifyAndLabel(trainPhotos(synset, 0, 1)[0]!, breedOf.get(synset)!);
    const r = await learning.loop.retrain({ requestedBy: 'mod' });
    assert.equal(r.status, 'skipped', r.reason);
    assert.match(r.reason!, /there are 3 labelled photos .*at least 2 of one breed/);
    assert.doesNotMatch(r.reason!, /holdout|not better/);
    assert.equal((await listModelVersions(app.db)).length, 0);
    assert.match(outcomeLine(r as TrainingOutcome), /^Nothing to train: not enough labels yet: there are 3 /);
    assert.doesNotMatch(outcomeLine(r as TrainingOutcome), /not better/);
    assert.match(resultText(r), /^nothing to train: not enough labels yet: there are 3 /);
  });

  test('no label since the active version was made: "nothing new to learn", no new version', async () => {
    const saved = await saveRetiredVersion(app, config);
    await learning.loop.rollback(saved.version, 'test');
    const r = await learning.loop.retrain({ requestedBy: 'mod' });
    assert.equal(r.status, 'skipped');
    assert.match(r.reason!, new RegExp(`^nothing new to learn: .*${saved.version}`));
    assert.match(outcomeLine(r as TrainingOutcome), /^Nothing to train: nothing new to learn/);
    assert.equal((await listModelVersions(app.db)).length, 1);

    // a new label: there is something to learn again (here still too few for a holdout)
    await classifyAndLabel(trainPhotos('n02088364', 0, 1)[0]!, breedOf.get('n02088364')!);
    const again = await learning.loop.retrain({ requestedBy: 'mod' });
    assert.match(again.reason!, /^not enough labels yet: there are 4 /);
    assert.equal((await listModelVersions(app.db)).length, 1);
  });
});
