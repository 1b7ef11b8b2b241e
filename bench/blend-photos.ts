import sharp from 'sharp';

/** Photo `b` laid at 50% opacity over photo `a`, both cropped to the same square first (a synthetic "mix"). */
export async function blendPhotos(a: string, b: string, size = 320): Promise<Buffer> {
  const square = (file: string) => sharp(file).rotate().resize(size, size, { fit: 'cover' }).removeAlpha();
  const halfTransparent = await square(b).ensureAlpha(0.5).png().toBuffer();
  return square(a)
    .composite([{ input: halfTransparent, blend: 'over' }])
    .jpeg({ quality: 92 })
    .toBuffer();
}
