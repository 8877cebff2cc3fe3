import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ApiToken, Principal, Role } from '@importer/contracts';
import type { PrismaClient } from '../prisma';

/** The roles are the contract's; re-exported for the CLI. */
export { ROLES, type Role } from '@importer/contracts';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function createApiTokensRepository(prisma: PrismaClient) {
  return {
    /** Creates a token; the clear value is returned once and never stored. */
    async create(name: string, role: Role): Promise<{ token: string; id: string }> {
      const token = `imp_${randomBytes(32).toString('base64url')}`;
      const id = randomUUID();
      await prisma.apiToken.create({ data: { id, name, role, tokenHash: hashToken(token) } });
      return { token, id };
    },

    async authenticate(token: string): Promise<Principal | null> {
      const row = await prisma.apiToken.findUnique({ where: { tokenHash: hashToken(token) } });
      if (!row || row.revokedAt) return null;
      // Last use is informative only: record it at most once a minute per token.
      if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
        await prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
      }
      return { id: row.id, name: row.name, role: row.role as Role };
    },

    /** Every token, newest first, without its hash (the admin UI's list). */
    async list(): Promise<ApiToken[]> {
      const rows = await prisma.apiToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }] });
      return rows.map((row) => ({
        id: row.id,
        name: row.name,
        role: row.role as Role,
        createdAt: row.createdAt.toISOString(),
        lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
        revokedAt: row.revokedAt?.toISOString() ?? null,
      }));
    },

    /** Which of these token ids are still active (not revoked): the re-check of long-lived requests. */
    async active(ids: string[]): Promise<Set<string>> {
      const rows = await prisma.apiToken.findMany({ where: { id: { in: ids }, revokedAt: null }, select: { id: true } });
      return new Set(rows.map((row) => row.id));
    },

    async revoke(id: string): Promise<boolean> {
      const { count } = await prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
      return count === 1;
    },
  };
}

export type ApiTokensRepository = ReturnType<typeof createApiTokensRepository>;
