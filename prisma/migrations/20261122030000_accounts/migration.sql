-- Accounts of the admin UI (SPEC §7): people log in with e-mail and password; integrations keep API tokens.

CREATE TABLE "users" (
    "id"            UUID PRIMARY KEY,
    -- Stored trimmed and in lower case, so that the unique index is case-insensitive.
    "email"         TEXT NOT NULL CHECK ("email" = lower(btrim("email")) AND "email" LIKE '%_@_%'),
    -- scrypt$<N>$<r>$<p>$<salt, base64>$<key, base64>
    "password_hash" TEXT NOT NULL,
    "role"          TEXT NOT NULL CHECK ("role" IN ('admin', 'operator', 'viewer')),
    "created_at"    TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "last_login_at" TIMESTAMPTZ(3),
    "disabled_at"   TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "users_email_key" ON "users" ("email");

-- Server-side sessions of the admin UI (express-session); the cookie holds only the signed session id.
CREATE TABLE "sessions" (
    "sid"        TEXT PRIMARY KEY,
    "user_id"    UUID REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "data"       JSONB NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL
);
CREATE INDEX "sessions_expires_at_idx" ON "sessions" ("expires_at");
CREATE INDEX "sessions_user_id_idx" ON "sessions" ("user_id");
