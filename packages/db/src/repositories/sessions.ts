import type { Queryable } from '../pool';

/** What a session holds between requests (express-session's serialised session). */
export type SessionData = Record<string, unknown>;

/**
 * Server-side sessions of the admin UI. The cookie holds only the signed session id; the row holds the
 * data, the user it belongs to (so disabling a user ends their sessions) and its expiry.
 */
export function createSessionsRepository(db: Queryable) {
  return {
    async get(sid: string): Promise<SessionData | null> {
      const { rows } = await db.query<{ data: SessionData }>(`SELECT "data" FROM "sessions" WHERE "sid" = $1 AND "expires_at" > now()`, [
        sid,
      ]);
      return rows[0]?.data ?? null;
    },

    async set(sid: string, data: SessionData, expiresAt: Date, userId: string | null): Promise<void> {
      await db.query(
        `INSERT INTO "sessions" ("sid", "user_id", "data", "expires_at") VALUES ($1, $2, $3, $4)
         ON CONFLICT ("sid") DO UPDATE SET "user_id" = EXCLUDED."user_id", "data" = EXCLUDED."data", "expires_at" = EXCLUDED."expires_at"`,
        [sid, userId, JSON.stringify(data), expiresAt],
      );
    },

    /** Extends a session's life; writes only when it moves by more than a minute (it is called per request). */
    async touch(sid: string, expiresAt: Date): Promise<void> {
      await db.query(`UPDATE "sessions" SET "expires_at" = $2 WHERE "sid" = $1 AND "expires_at" < $2::timestamptz - interval '1 minute'`, [
        sid,
        expiresAt,
      ]);
    },

    async destroy(sid: string): Promise<void> {
      await db.query(`DELETE FROM "sessions" WHERE "sid" = $1`, [sid]);
    },

    /**
     * Which of these sessions are still live: not logged out, not expired, and of an active user (the
     * re-check of long-lived requests).
     */
    async live(sids: string[]): Promise<Set<string>> {
      const { rows } = await db.query<{ sid: string }>(
        `SELECT s."sid" FROM "sessions" s JOIN "users" u ON u."id" = s."user_id"
         WHERE s."sid" = ANY($1::text[]) AND s."expires_at" > now() AND u."disabled_at" IS NULL`,
        [sids],
      );
      return new Set(rows.map((row) => row.sid));
    },

    /** Deletes expired sessions; returns how many. */
    async pruneExpired(): Promise<number> {
      const { rowCount } = await db.query(`DELETE FROM "sessions" WHERE "expires_at" <= now()`);
      return rowCount ?? 0;
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
