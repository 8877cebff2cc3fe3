-- Outgoing webhooks (docs/api.md, "Webhooks"): endpoints an admin registers, an optional URL per import, and the
-- delivery log. A delivery is one message to one target; it is inserted by the statement that finishes its
-- import (the outbox), then sent by a worker, each try recorded as an attempt.

ALTER TABLE "imports" ADD COLUMN "webhook_url" TEXT CHECK (char_length("webhook_url") <= 2048);

CREATE TABLE "webhook_endpoints" (
    "id"              UUID PRIMARY KEY,
    "url"             TEXT NOT NULL CHECK (char_length("url") <= 2048),
    "description"     TEXT,
    -- whsec_<base64 of 24+ random bytes>: the signing key, shown once at creation.
    "secret"          TEXT NOT NULL CHECK ("secret" LIKE 'whsec\_%'),
    "events"          TEXT[] NOT NULL DEFAULT '{import.finished}',
    "enabled"         BOOLEAN NOT NULL DEFAULT true,
    -- Why the endpoint was disabled (a receiver answered 410 Gone); null while enabled.
    "disabled_reason" TEXT,
    "created_by"      TEXT,
    "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "webhook_endpoints_created_at_id_idx" ON "webhook_endpoints" ("created_at" DESC, "id" DESC);

CREATE TABLE "webhook_deliveries" (
    "id"              UUID PRIMARY KEY,
    -- msg_…: the `webhook-id` header, the same on every attempt and replay.
    "message_id"      TEXT NOT NULL,
    -- Null: the import's own `webhook_url`, signed with WEBHOOK_SECRET. Deleting an endpoint deletes its log.
    "endpoint_id"     UUID REFERENCES "webhook_endpoints" ("id") ON DELETE CASCADE,
    "import_id"       UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE,
    "url"             TEXT NOT NULL,
    "event_type"      TEXT NOT NULL,
    "payload"         JSONB NOT NULL,
    "state"           TEXT NOT NULL DEFAULT 'pending' CHECK ("state" IN ('pending', 'succeeded', 'failed')),
    "attempt_count"   INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3),
    "created_at"      TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "finished_at"     TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "webhook_deliveries_message_id_key" ON "webhook_deliveries" ("message_id");
CREATE INDEX "webhook_deliveries_endpoint_id_created_at_idx" ON "webhook_deliveries" ("endpoint_id", "created_at" DESC, "id" DESC);
CREATE INDEX "webhook_deliveries_import_id_created_at_idx" ON "webhook_deliveries" ("import_id", "created_at" DESC, "id" DESC);
-- The reconciler's look-up: deliveries still to send.
CREATE INDEX "webhook_deliveries_pending_idx" ON "webhook_deliveries" ("created_at", "id") WHERE "state" = 'pending';

CREATE TABLE "webhook_attempts" (
    "id"           BIGSERIAL PRIMARY KEY,
    "delivery_id"  UUID NOT NULL REFERENCES "webhook_deliveries" ("id") ON DELETE CASCADE,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    -- Null when no answer came (refused address, connection error, timeout).
    "http_status"  INTEGER,
    "duration_ms"  INTEGER NOT NULL,
    "error"        TEXT
);
CREATE INDEX "webhook_attempts_delivery_id_idx" ON "webhook_attempts" ("delivery_id", "attempted_at", "id");
