import { ensureTemplateDatabase } from './database';

/** Jest global set-up: build (once per set of migrations) the template every test database is cloned from. */
export default async function globalSetup(): Promise<void> {
  await ensureTemplateDatabase();
}
