-- The JSON sync endpoint (docs/api.md, "Sync"): where an import came from, and the Idempotency-Key answers.

-- `file`: an upload, read by a worker; `sync`: a batch of JSON rows written in the request's transaction.
ALTER TABLE "imports" ADD COLUMN "source" TEXT NOT NULL DEFAULT 'file' CHECK ("source" IN ('file', 'sync'));
CREATE INDEX "imports_source_created_at_idx" ON "imports" ("source", "created_at" DESC);

-- The first answer to a request that carried an Idempotency-Key, per caller (`scope`: the token or user),
-- written in the transaction of what the request wrote; replayed to a repeat with the same body until it
-- expires (24 h). The nightly cleanup deletes expired ones.
CREATE TABLE "idempotency_keys" (
    "scope"        TEXT NOT NULL,
    "key"          TEXT NOT NULL CHECK (char_length("key") BETWEEN 1 AND 255),
    -- SHA-256 (hex) of what the request asked for: the same key with another fingerprint is refused.
    "fingerprint"  CHAR(64) NOT NULL,
    "status_code"  INTEGER NOT NULL,
    "answer"       JSONB NOT NULL,
    "import_id"    UUID,
    "created_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "expires_at"   TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("scope", "key")
);
CREATE INDEX "idempotency_keys_expires_at_idx" ON "idempotency_keys" ("expires_at");
