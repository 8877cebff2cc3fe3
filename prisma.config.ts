import { defineConfig } from 'prisma/config';

// The CLI's view of the project. `prisma generate` needs no database; `prisma migrate deploy` (where
// Prisma's schema engine exists) applies the same migrations as the project's own runner.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/importer' },
});
