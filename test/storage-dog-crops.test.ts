/** Dog crops as images of their own: the new Image columns on both providers, and the migration that adds them. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import sharp from 'sharp';
import { openDatabase } from '../src/storage/database.ts';
import {
  deleteImage,
  forgetUser,
  seedBreeds,
  setLabel,
  dogCropOf,
  findImage,
  imageFilePath,
  predictionsForReply,
  recordPrediction,
  setReplyMessage,
  storeImage,
} from '../src/storage/index.ts';
import { applyMigrations } from '../src/storage/migrate.ts';
import { backends, SAMPLE_BREEDS, withDatabase } from './helpers/storage-backends.ts';

const INIT_MIGRATION = '20261123192036_init';
const DOG_CROPS_MIGRATION = '20261203082210_dog_crops';

async function png(width: number, height: number, red: number) {
  const bytes = await sharp({
    create: { width, height, channels: 3, background: { r: red, g: 90, b: 30 } },
  })
    .png()
    .toBuffer();
  return { bytes, meta: { width, height, format: 'png' } };
}

const prediction = (imageId: string, dogNumber: number | null) => ({
  imageId,
  guildId: 'g1',
  channelId: 'c1',
  messageId: 'photo-message',
  attachmentIndex: 0,
  dogNumber,
  userId: 'poster',
  modelVersion: 'imagenet-v1',
  backboneId: 'mobilenet_v1_0.75_224',
  isDog: true,
  dogProbability: 0.9,
  top5: [{ breed: dogNumber === 2 ? 'Golden Retriever' : 'Beagle', probability: 0.8 }],
});

for (const backend of backends) {
  describe(`dog crops on ${backend.name}`, { skip: backend.skip }, () => {
    test('a crop is an image with its photo and box; its prediction is keyed per dog; deleting the photo takes the crops', () =>
      withDatabase(backend, async (db) => {
        const photo = (
          await storeImage(db, (await png(400, 200, 10)).bytes, { width: 400, height: 200, format: 'png' })
        ).image;
        assert.equal(photo.parentImageId, null);
        assert.equal(await dogCropOf(db, photo.id), null);

        const crops = [];
        for (const [i, box] of [
          { x: 10, y: 20, width: 150, height: 160 },
          { x: 210.4, y: 15.6, width: 170, height: 175 },
        ].entries()) {
          const { bytes, meta } = await png(box.width | 0, box.height | 0, 100 + i);
          crops.push(
            (await storeImage(db, bytes, { ...meta, cropOf: { parentImageId: photo.id, box } })).image,
          );
        }
        assert.equal(crops[1]!.parentImageId, photo.id);
        assert.deepEqual(
          [crops[1]!.cropLeft, crops[1]!.cropTop, crops[1]!.cropWidth, crops[1]!.cropHeight],
          [210, 16, 170, 175],
        );
        assert.deepEqual(await dogCropOf(db, crops[0]!.id), {
          parentImageId: photo.id,
          box: { x: 10, y: 20, width: 150, height: 160 },
          parentWidth: 400,
          parentHeight: 200,
        });

        // the dogs' predictions share the photo's source, told apart by the dog number; stored out of order
        const whole = await recordPrediction(db, prediction(photo.id, null));
        const second = await recordPrediction(db, prediction(crops[1]!.id, 2));
        const first = await recordPrediction(db, prediction(crops[0]!.id, 1));
        assert.ok(whole.created && second.created && first.created);
        assert.equal((await recordPrediction(db, prediction(crops[1]!.id, 2))).created, false);
        await setReplyMessage(db, [second.prediction.id, first.prediction.id], 'reply-1');
        const shown = await predictionsForReply(db, 'reply-1');
        assert.deepEqual(
          shown.map((p) => [p.dogNumber, p.imageId]),
          [
            [1, crops[0]!.id],
            [2, crops[1]!.id],
          ],
        );
        assert.equal(whole.prediction.dogNumber, null);

        await deleteImage(db, photo);
        for (const crop of crops) {
          assert.equal(await findImage(db, crop.id), null);
          assert.equal(existsSync(imageFilePath(db.imagesDir, crop.sha256)), false);
        }
      }));
  });

  test(`${backend.name}: /forget keeps a photo whose dog someone else labelled, and deletes one nobody did`, () =>
    withDatabase(backend, async (db) => {
      await seedBreeds(db, SAMPLE_BREEDS);
      const photos = [];
      for (const seed of [20, 40]) {
        const photo = (
          await storeImage(db, (await png(400, 200, seed)).bytes, { width: 400, height: 200, format: 'png' })
        ).image;
        const { bytes, meta } = await png(150, 150, seed + 1);
        const crop = (
          await storeImage(db, bytes, {
            ...meta,
            cropOf: { parentImageId: photo.id, box: { x: 0, y: 0, width: 150, height: 150 } },
          })
        ).image;
        await recordPrediction(db, { ...prediction(photo.id, null), messageId: `m-${seed}` });
        await recordPrediction(db, { ...prediction(crop.id, 1), messageId: `m-${seed}` });
        photos.push({ photo, crop });
      }
      await setLabel(db, {
        imageId: photos[0]!.crop.id,
        userId: 'bob',
        breedName: 'Beagle',
        source: 'command',
      });

      const report = await forgetUser(db, 'poster');
      assert.equal(report.imagesKept, 2, 'the first photo and its labelled crop stay');
      assert.ok(await findImage(db, photos[0]!.photo.id));
      assert.ok(await findImage(db, photos[0]!.crop.id));
      for (const gone of [photos[1]!.photo, photos[1]!.crop]) {
        assert.equal(await findImage(db, gone.id), null);
        assert.equal(existsSync(imageFilePath(db.imagesDir, gone.sha256)), false);
      }
      assert.equal(report.predictionsDeleted, 2);
    }));

  test(
    `${backend.name}: the dog-crops migration keeps the rows a database made by the earlier migrations holds`,
    { skip: backend.skip },
    async () => {
      const { url, remove } = backend.freshUrl();
      try {
        assert.deepEqual((await applyMigrations(url, { upTo: INIT_MIGRATION })).applied, [INIT_MIGRATION]);
        const old = await openDatabase(url, { migrate: false });
        try {
          await old.prisma.$executeRawUnsafe(
            `INSERT INTO "Image" ("id", "sha256", "width", "height", "format", "byteSize") VALUES ('img-old', '${'a'.repeat(64)}', 640, 480, 'jpeg', 1234)`,
          );
          await old.prisma.$executeRawUnsafe(
            `INSERT INTO "Prediction" ("id", "sourceKey", "imageId", "channelId", "modelVersion", "backboneId", "isDog", "dogProbability", "topBreed", "top5")
             VALUES ('pred-old', 'message:m1:0', 'img-old', 'c1', 'imagenet-v1', 'b', true, 0.9, 'Beagle', '[{"breed":"Beagle","probability":0.9}]')`,
          );
        } finally {
          await old.close();
        }

        assert.deepEqual((await applyMigrations(url)).applied, [DOG_CROPS_MIGRATION]);
        const db = await openDatabase(url, { migrate: false });
        try {
          const image = await findImage(db, 'img-old');
          assert.equal(image?.width, 640);
          assert.equal(image?.parentImageId, null);
          assert.equal(image?.cropLeft, null);
          const kept = await db.prisma.prediction.findUniqueOrThrow({ where: { id: 'pred-old' } });
          assert.equal(kept.imageId, 'img-old');
          assert.equal(kept.topBreed, 'Beagle');
        } finally {
          await db.close();
        }
      } finally {
        await remove();
      }
    },
  );
}
