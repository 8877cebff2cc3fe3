import { randomUUID } from 'node:crypto';
import { decoyHash, hashPassword, verifyPassword } from '../passwords';
import type { Queryable } from '../pool';
import { ROLES, type Role } from '@importer/contracts';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  id: string;
  email: string;
  role: Role;
  createdAt: string;
  lastLoginAt: string | null;
}

const MIN_PASSWORD_LENGTH = 8;

export class UserInputError extends Error {
  override name = 'UserInputError';
  constructor(
    readonly code: 'invalid_email' | 'weak_password' | 'invalid_role' | 'email_taken',
    message: string,
  ) {
    super(message);
  }
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string;
  role: Role;
  created_at: Date;
  last_login_at: Date | null;
}

const COLUMNS = `"id", "email", "password_hash", "role", "created_at", "last_login_at"`;
const toView = (row: UserRow): UserView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  createdAt: row.created_at.toISOString(),
  lastLoginAt: row.last_login_at?.toISOString() ?? null,
});

const normaliseEmail = (email: string) => email.trim().toLowerCase();

function validate(input: { email: string; password: string; role: string }): { email: string; role: Role } {
  const email = normaliseEmail(input.email);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new UserInputError('invalid_email', `"${input.email}" is not an e-mail address.`);
  if (input.password.length < MIN_PASSWORD_LENGTH) {
    throw new UserInputError('weak_password', `The password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (!ROLES.includes(input.role as Role)) throw new UserInputError('invalid_role', `The role must be one of ${ROLES.join(', ')}.`);
  return { email, role: input.role as Role };
}

/**
 * Accounts of the admin UI. Plain SQL rather than Prisma: a user is read on every session request, and the
 * API builds this repository from its pool alone.
 */
export function createUsersRepository(db: Queryable) {
  return {
    /** Creates a user; `email_taken` when the e-mail is already registered. */
    async create(input: { email: string; password: string; role: string }): Promise<UserView> {
      const { email, role } = validate(input);
      const passwordHash = await hashPassword(input.password);
      const { rows } = await db.query<UserRow>(
        `INSERT INTO "users" ("id", "email", "password_hash", "role") VALUES ($1, $2, $3, $4)
         ON CONFLICT ("email") DO NOTHING RETURNING ${COLUMNS}`,
        [randomUUID(), email, passwordHash, role],
      );
      const row = rows[0];
      if (!row) throw new UserInputError('email_taken', `A user with the e-mail ${email} already exists.`);
      return toView(row);
    },

    /** Creates the user unless the e-mail is already registered (the first admin at start-up). */
    async ensure(input: { email: string; password: string; role: string }): Promise<{ created: boolean }> {
      try {
        await this.create(input);
        return { created: true };
      } catch (error) {
        if (error instanceof UserInputError && error.code === 'email_taken') return { created: false };
        throw error;
      }
    },

    /** The active user with this e-mail and password, or null; records the log-in. */
    async verify(emailInput: string, password: string): Promise<UserView | null> {
      const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM "users" WHERE "email" = $1 AND "disabled_at" IS NULL`, [
        normaliseEmail(emailInput),
      ]);
      const row = rows[0];
      const matches = await verifyPassword(password, row?.password_hash ?? (await decoyHash()));
      if (!row || !matches) return null;
      const updated = await db.query<UserRow>(`UPDATE "users" SET "last_login_at" = now() WHERE "id" = $1 RETURNING ${COLUMNS}`, [row.id]);
      return toView(updated.rows[0] ?? row);
    },

    /** An active user by id (a session's user), or null once disabled or deleted. */
    async find(id: string): Promise<UserView | null> {
      const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM "users" WHERE "id" = $1 AND "disabled_at" IS NULL`, [id]);
      return rows[0] ? toView(rows[0]) : null;
    },

    async list(): Promise<UserView[]> {
      const { rows } = await db.query<UserRow>(`SELECT ${COLUMNS} FROM "users" WHERE "disabled_at" IS NULL ORDER BY "email"`);
      return rows.map(toView);
    },

    /** Disables a user and ends their sessions; false when no active user has this e-mail. */
    async disable(emailInput: string): Promise<boolean> {
      const { rows } = await db.query<{ id: string }>(
        `WITH disabled AS (
           UPDATE "users" SET "disabled_at" = now() WHERE "email" = $1 AND "disabled_at" IS NULL RETURNING "id"
         ), ended AS (
           DELETE FROM "sessions" WHERE "user_id" IN (SELECT "id" FROM disabled)
         )
         SELECT "id" FROM disabled`,
        [normaliseEmail(emailInput)],
      );
      return rows.length === 1;
    },
  };
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;
