/**
 * `npm run classify -- <file|url> [...] [--json] [--model <version|dir>] [--explain out.png]`
 * Prints the five likeliest breeds of each image, or the not-a-dog verdict; `--explain` also writes the heatmap
 * of what drove the top breed of the (one) photo.
 */
import './cli-logging.ts';
import { loadConfig, type Config } from '../config.ts';
import { classifyEachDog, loadConfiguredDetector, type DogFinder } from '../detection/index.ts';
import { classifyOutput, type ClassifyOutput } from '../features/classify/classify-output.ts';
import { imageLimitsFromConfig, prepareModelInput } from '../images/index.ts';
import type { BreedClassifier } from '../model/classifier.ts';
import { mixWording } from '../model/mixed-breed.ts';
import { failAndExit, parseCliArgs } from './args.ts';
import { loadCliClassifier } from './load-classifier.ts';
import { readImageArg } from './read-image.ts';
import { writeExplanation } from './explain.ts';

const usage = `Usage: npm run classify -- <file|url> [more files or urls] [--json] [--model <version|dir>]
       npm run classify -- <file|url> --explain out.png

  --json             print one JSON array, one object per input, and nothing else on stdout
  --model <v|dir>    use this breed-head version instead of the base head
  --explain <png>    write a heatmap of what drove the top breed over the photo (one input only)
  -h, --help         show this help`;

export type { ClassifyOutput };

function renderTable(o: ClassifyOutput): string {
  if (o.error) return `${o.input}\n  error: ${o.error}\n`;
  const lines = [o.input];
  if (!o.isDog) {
    const l = o.lookslike;
    lines.push(`  not a dog${l ? ` (looks like ${l.label}, ${l.probability.toFixed(2)})` : ''}`);
  } else {
    const width = Math.max(5, ...o.top5.map((b) => b.breed.length));
    lines.push(`  ${'breed'.padEnd(width)}  probability`);
    for (const b of o.top5) lines.push(`  ${b.breed.padEnd(width)}  ${b.probability.toFixed(4)}`);
    if (o.mix) lines.push(`  ${mixWording(o.mix)}`);
  }
  (o.dogs ?? []).forEach(({ box, top5: [best] }, i) => {
    const where = `${box.width}x${box.height} at ${box.x},${box.y}`;
    lines.push(`  dog ${i + 1} (${where}): ${best ? `${best.breed} ${best.probability.toFixed(4)}` : '?'}`);
  });
  return lines.join('\n') + '\n';
}

/**
 * Decodes every input (errors stay per input), then classifies all decodable ones in one batched call; with a
 * detector, a photo with several dogs also gets each dog's answer.
 */
export async function classifyArgs(
  inputs: string[],
  classifier: BreedClassifier,
  config: Config,
  detector?: Pick<DogFinder, 'detect'>,
) {
  const spec = { size: classifier.backbone.config.inputSize, ...classifier.backbone.config.normalisation };
  const limits = imageLimitsFromConfig(config);
  const prepared = await Promise.all(
    inputs.map(async (input) => {
      try {
        const bytes = await readImageArg(input, config);
        return { input, bytes, prepared: await prepareModelInput(bytes, spec, limits) };
      } catch (err) {
        return { input, error: (err as Error).message };
      }
    }),
  );
  const ok = prepared.filter((p) => p.prepared);
  const results = await classifier.classifyMany(ok.map((p) => p.prepared!.input));
  const byInput = new Map(ok.map((p, i) => [p, results[i]!]));
  return Promise.all(
    prepared.map(async (p): Promise<ClassifyOutput> => {
      const result = byInput.get(p);
      if (!result) {
        return {
          input: p.input,
          isDog: false,
          top5: [],
          modelVersion: classifier.modelVersion,
          error: p.error,
        };
      }
      const dogs = detector ? await classifyEachDog(p.bytes!, detector, classifier, limits) : [];
      return classifyOutput(p.input, result, dogs);
    }),
  );
}

async function main() {
  const { values, positionals } = parseCliArgs(
    process.argv.slice(2),
    { json: { type: 'boolean' }, model: { type: 'string' }, explain: { type: 'string' } },
    usage,
  );
  if (positionals.length === 0) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  if (values.explain && positionals.length !== 1) {
    process.stderr.write(`--explain takes exactly one photo\n\n${usage}\n`);
    process.exit(2);
  }
  const config = loadConfig();
  const { runtime, classifier } = await loadCliClassifier(config, values.model);
  const detector = await loadConfiguredDetector(config);
  const outputs = await classifyArgs(positionals, classifier, config, detector);
  await detector?.dispose();
  if (values.json) process.stdout.write(JSON.stringify(outputs, null, 2) + '\n');
  else process.stdout.write(outputs.map(renderTable).join('\n'));
  if (values.explain && !outputs[0]!.error) {
    const note = await writeExplanation(positionals[0]!, values.explain, classifier, config);
    (values.json ? process.stderr : process.stdout).write(`${note}\n`);
  }
  runtime.dispose();
  process.exitCode = outputs.some((o) => o.error) ? 1 : 0;
}

main().catch((err) => failAndExit(err));
