/**
 * Prisma CLI config for the SQLite schema (the default database). breedbot itself never needs the CLI's engine:
 * `npm run db:generate` and `npm run db:migrate` work offline. With internet access the stock CLI works too:
 * `npx prisma migrate deploy --config prisma/sqlite.config.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..');
const url = process.env.DATABASE_URL ?? 'file:./data/breedbot.db';

export default defineConfig({
  schema: path.join(here, 'schema.prisma'),
  migrations: { path: path.join(here, 'migrations') },
  // Relative SQLite paths mean "relative to the project root", as in the app.
  datasource: {
    url: url.startsWith('file:') ? `file:${path.resolve(projectRoot, url.slice('file:'.length))}` : url,
  },
});
