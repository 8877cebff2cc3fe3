/**
 * API tokens verified recently, so that a client polling an import costs no token look-up per request: an
 * entry lives `ttlMs` (30 s by default), keyed by the token's SHA-256; at most `max` entries, the oldest
 * dropped first. A revoked token is dropped at once in every API process: the revoking process publishes its
 * id (`publishTokenRevoked`) and each process's subscription calls `drop`. A look-up that was in flight while a
 * token was dropped is not cached (it may have read the token before the revocation committed).
 */
import type { Principal } from '@importer/contracts';

export interface TokenCache {
  /** The principal of a token verified less than `ttlMs` ago, by the token's hash. */
  get(hash: string): Principal | undefined;
  /** Verifies a token through `verify` (on a miss) and remembers a principal it answers. */
  verify(hash: string, verify: () => Promise<Principal | null>): Promise<Principal | null>;
  /** Forgets a token, by its id (its revocation). */
  drop(tokenId: string): void;
}

export function createTokenCache({ ttlMs, max = 1_000 }: { ttlMs: number; max?: number }): TokenCache {
  const entries = new Map<string, { principal: Principal; until: number }>();
  /** Counts drops: a look-up remembers its answer only when no token was dropped while it ran. */
  let drops = 0;

  const get = (hash: string) => {
    const entry = entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.principal;
    entries.delete(hash);
    return undefined;
  };

  return {
    get,
    async verify(hash, verify) {
      const cached = get(hash);
      if (cached) return cached;
      const dropsBefore = drops;
      const principal = await verify();
      if (principal && ttlMs > 0 && drops === dropsBefore) {
        if (entries.size >= max) entries.delete(entries.keys().next().value as string);
        entries.set(hash, { principal, until: Date.now() + ttlMs });
      }
      return principal;
    },
    drop(tokenId) {
      drops++;
      for (const [hash, entry] of entries) if (entry.principal.id === tokenId) entries.delete(hash);
    },
  };
}
