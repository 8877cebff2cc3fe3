/**
 * Admin commands: `npm run cli -- <command>`.
 *   migrate                                   apply pending database migrations
 *   token create --name NAME [--role ROLE]    create an API token (printed once)
 *   token revoke ID                           revoke an API token
 */
import { parseArgs } from 'node:util';
import { loadBaseConfig } from '@importer/config';
import { createApiTokensRepository, createPool, createPrisma, ROLES, runMigrations, type Role } from '@importer/db';

const USAGE = `usage: npm run cli -- <command>
  migrate                                   apply pending database migrations
  token create --name NAME [--role ROLE]    create an API token (role: ${ROLES.join(' | ')}, default admin)
  token revoke ID                           revoke an API token`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const config = loadBaseConfig();
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'importer-cli' });
  const prisma = createPrisma(pool);
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, role: { type: 'string', default: 'admin' } },
    });
    const [command, sub, arg] = positionals;
    if (command === 'migrate') {
      const { applied, alreadyApplied } = await runMigrations(pool);
      console.log(`migrations: ${applied.length} applied${applied.length ? ` (${applied.join(', ')})` : ''}, ${alreadyApplied.length} already applied`);
    } else if (command === 'token' && sub === 'create') {
      if (!values.name) throw new UsageError('token create needs --name NAME');
      if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const { token, id } = await createApiTokensRepository(prisma).create(values.name, values.role as Role);
      console.error(`created token ${id} (${values.name}, ${values.role}); it is shown once:`);
      console.log(token);
    } else if (command === 'token' && sub === 'revoke' && arg) {
      const revoked = await createApiTokensRepository(prisma).revoke(arg);
      console.log(revoked ? `revoked ${arg}` : `no active token ${arg}`);
      if (!revoked) process.exitCode = 1;
    } else {
      throw new UsageError(command ? `unknown command: ${positionals.join(' ')}` : 'no command given');
    }
  } finally {
    await prisma.$disconnect();
    await pool.end();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
});
