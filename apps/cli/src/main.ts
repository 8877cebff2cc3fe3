/** Admin commands, `npm run cli -- <command>`: `USAGE` below lists them, and a usage error prints it. */
import { parseArgs } from 'node:util';
import { loadBaseConfig, redisSettings, storageSettings, type BaseConfig } from '@importer/config';
import {
  createApiTokensRepository,
  createPool,
  createPrisma,
  createUsersRepository,
  ROLES,
  runMigrations,
  UserInputError,
  type CleanupRunView,
  type Pool,
  type Role,
} from '@importer/db';
import {
  createCleanupQueue,
  createImportsQueue,
  createRedis,
  createRevertsQueue,
  createWebhooksQueue,
  publishTokenRevoked,
  sweepFinishedJobs,
} from '@importer/queue';

const USAGE = `usage: npm run cli -- <command>
  migrate                                   apply pending database migrations
  token create --name NAME [--role ROLE]    create an API token (role: ${ROLES.join(' | ')}, default admin)
  token revoke ID                           revoke an API token
  user create --email EMAIL [--role ROLE]   create an admin UI account (role default admin); the password is
                                            asked on the terminal, or read from the first line of stdin
  user list                                 list active accounts
  user disable EMAIL                        disable an account and end its sessions
  cleanup run                               run the nightly cleanup now (RETAIN_IMPORTS_DAYS, RETAIN_FILES_DAYS)`;

class UsageError extends Error {}

/** Tells the API processes to forget the token's verification now rather than when their cache expires. */
async function announceRevocation(config: BaseConfig, tokenId: string): Promise<void> {
  const redis = createRedis(redisSettings(config), { failFast: true });
  try {
    if (!(await publishTokenRevoked(redis, config.QUEUE_PREFIX, tokenId))) {
      console.error('Redis did not answer: API processes accept the token until their cache expires (30 s)');
    }
  } finally {
    redis.disconnect();
  }
}

/** One cleanup run, recorded like the nightly ones, including the sweep of old finished jobs in Redis. */
async function runCleanupNow(config: BaseConfig, pool: Pool): Promise<CleanupRunView> {
  const redis = createRedis(redisSettings(config), { failFast: true });
  const queues = [
    createImportsQueue({ connection: redis, prefix: config.QUEUE_PREFIX }),
    createCleanupQueue({ connection: redis, prefix: config.QUEUE_PREFIX }),
    createWebhooksQueue({ connection: redis, prefix: config.QUEUE_PREFIX }),
    createRevertsQueue({ connection: redis, prefix: config.QUEUE_PREFIX }),
  ];
  try {
    // Loaded here: the domain package (its readers) costs the other commands half a second to load.
    const { runCleanup } = await import('@importer/imports');
    const { createFileStore } = await import('@importer/storage');
    return await runCleanup(
      {
        pool,
        storageDir: config.STORAGE_DIR,
        fileStore: createFileStore(storageSettings(config)),
        retention: {
          importsDays: config.RETAIN_IMPORTS_DAYS,
          filesDays: config.RETAIN_FILES_DAYS,
          lineageDays: config.RETAIN_LINEAGE_DAYS,
        },
        sweepJobs: (now) => sweepFinishedJobs(queues, now),
      },
      'manual',
    );
  } finally {
    await Promise.all(queues.map((queue) => queue.close()));
    redis.disconnect();
  }
}

/** Reads a password: typed without echo on a terminal, else the first line of stdin. */
async function readPassword(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let input = '';
    for await (const chunk of stdin) input += String(chunk);
    return input.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (keys: string) => {
        for (const key of keys) {
          if (key === '\r' || key === '\n') {
            stdin.off('data', onData);
            process.stderr.write('\n');
            return resolve(typed);
          }
          if (key === '\u0003') {
            stdin.off('data', onData);
            return reject(new UsageError('cancelled'));
          }
          typed = key === '\u007f' || key === '\b' ? typed.slice(0, -1) : typed + key;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

async function main(argv: string[]): Promise<void> {
  const config = loadBaseConfig();
  const pool = createPool(config.DATABASE_URL, { max: 2, applicationName: 'importer-cli' });
  const prisma = createPrisma(pool);
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { name: { type: 'string' }, email: { type: 'string' }, role: { type: 'string', default: 'admin' } },
    });
    const [command, sub, arg] = positionals;
    if (command === 'migrate') {
      const { applied, alreadyApplied } = await runMigrations(pool);
      console.log(
        `migrations: ${applied.length} applied${applied.length ? ` (${applied.join(', ')})` : ''}, ${alreadyApplied.length} already applied`,
      );
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
      else await announceRevocation(config, arg);
    } else if (command === 'user' && sub === 'create') {
      if (!values.email) throw new UsageError('user create needs --email EMAIL');
      const password = await readPassword(`password for ${values.email}: `);
      if (process.stdin.isTTY && (await readPassword('again: ')) !== password) throw new UsageError('the passwords differ');
      try {
        const user = await createUsersRepository(pool).create({ email: values.email, password, role: values.role });
        console.log(`created user ${user.email} (${user.role}, id ${user.id})`);
      } catch (error) {
        if (error instanceof UserInputError) throw new UsageError(error.message);
        throw error;
      }
    } else if (command === 'user' && sub === 'list') {
      for (const user of await createUsersRepository(pool).list()) {
        console.log(`${user.email}\t${user.role}\tlast log-in ${user.lastLoginAt ?? 'never'}`);
      }
    } else if (command === 'user' && sub === 'disable' && arg) {
      const disabled = await createUsersRepository(pool).disable(arg);
      console.log(disabled ? `disabled ${arg}` : `no active user ${arg}`);
      if (!disabled) process.exitCode = 1;
    } else if (command === 'cleanup' && sub === 'run') {
      const run = await runCleanupNow(config, pool);
      console.log(JSON.stringify(run, null, 2));
      if (run.status !== 'completed') process.exitCode = 1;
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
