/**
 * `npm run export -- <dir> [--json]`
 * Writes every label as JSONL plus the labelled images as files, for use in other tools:
 * <dir>/labels.jsonl, <dir>/consensus.jsonl and <dir>/images/<sha256>.<ext>.
 */
import './cli-logging.ts';
import path from 'node:path';
import { loadConfig } from '../config.ts';
import { redact } from '../storage/database-url.ts';
import { openDatabase } from '../storage/database.ts';
import { exportLabels } from '../storage/privacy.ts';
import { failAndExit, parseCliArgs } from './args.ts';

const usage = `Usage: npm run export -- <dir> [--json]

  Writes <dir>/labels.jsonl (one label per line: image file, breed, who, source, model version, times),
  <dir>/consensus.jsonl (the breed people agree on, per image) and <dir>/images/ (the labelled photos).
  Reads the database named by DATABASE_URL and the images under DATA_DIR.

  --json       print the summary as JSON and nothing else on stdout
  -h, --help   show this help`;

async function main(): Promise<void> {
  const { values, positionals } = parseCliArgs(process.argv.slice(2), { json: { type: 'boolean' } }, usage);
  if (positionals.length !== 1) failAndExit(new Error(`give exactly one output folder\n\n${usage}`), 2);
  const dir = path.resolve(process.cwd(), positionals[0]!);
  const config = loadConfig();
  // Read-only: no migrations (they would lock a database the running bot is using).
  const db = await openDatabase(config.DATABASE_URL, {
    imagesDir: path.join(config.dataDir, 'images'),
    migrate: false,
  });
  try {
    const report = await exportLabels(db, dir);
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else {
      process.stdout.write(
        `Exported ${report.labels} labels and ${report.images} images from ${redact(config.DATABASE_URL)} to ${dir}` +
          (report.missingFiles ? ` (${report.missingFiles} image files were missing)` : '') +
          '\n',
      );
    }
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => failAndExit(err));
