/**
 * Prisma CLI config for the PostgreSQL schema (derived from prisma/schema.prisma by `npm run db:generate`).
 * With internet access: `DATABASE_URL=postgresql://… npx prisma migrate deploy --config prisma/postgresql.config.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  schema: path.join(here, 'postgresql', 'schema.prisma'),
  migrations: { path: path.join(here, 'postgresql', 'migrations') },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/breedbot' },
});
