-- Business tables -------------------------------------------------------------------------------------

CREATE TABLE "categories" (
    "id"               BIGSERIAL PRIMARY KEY,
    "nom"              VARCHAR(100) NOT NULL,
    "nom_key"          VARCHAR(100) NOT NULL,
    "slug"             VARCHAR(120) NOT NULL,
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "ordre"            INTEGER CHECK ("ordre" >= 0),
    "created_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX "categories_nom_key_key" ON "categories" ("nom_key");
CREATE UNIQUE INDEX "categories_slug_key" ON "categories" ("slug");

CREATE TABLE "subcategories" (
    "id"               BIGSERIAL PRIMARY KEY,
    "category_id"      BIGINT NOT NULL REFERENCES "categories" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "nom"              VARCHAR(100) NOT NULL,
    "nom_key"          VARCHAR(100) NOT NULL,
    "slug"             VARCHAR(120) NOT NULL,
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "mots_cles"        TEXT,
    "ordre"            INTEGER CHECK ("ordre" >= 0),
    "naf_codes"        TEXT[] NOT NULL DEFAULT '{}',
    "created_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX "subcategories_category_id_nom_key_key" ON "subcategories" ("category_id", "nom_key");
CREATE UNIQUE INDEX "subcategories_category_id_slug_key" ON "subcategories" ("category_id", "slug");
CREATE INDEX "subcategories_nom_key_idx" ON "subcategories" ("nom_key");
CREATE INDEX "subcategories_naf_codes_idx" ON "subcategories" USING GIN ("naf_codes");

CREATE TABLE "companies" (
    "id"             BIGSERIAL PRIMARY KEY,
    "siren"          CHAR(9) NOT NULL,
    "siret"          CHAR(14),
    "nom"            VARCHAR(255) NOT NULL,
    "nom_commercial" VARCHAR(255),
    "adresse"        TEXT,
    "code_postal"    VARCHAR(5),
    "ville_nom"      VARCHAR(100),
    "naf_code"       VARCHAR(6),
    "naf_libelle"    VARCHAR(255),
    "telephone"      VARCHAR(20),
    "email_contact"  VARCHAR(320),
    "site_web"       TEXT,
    "is_active"      BOOLEAN NOT NULL DEFAULT true,
    "subcategory_id" BIGINT REFERENCES "subcategories" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    "date_creation"  DATE,
    "created_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "updated_at"     TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX "companies_siren_key" ON "companies" ("siren");
CREATE INDEX "companies_subcategory_id_idx" ON "companies" ("subcategory_id");

-- Imports ---------------------------------------------------------------------------------------------

CREATE TABLE "imports" (
    "id"               UUID PRIMARY KEY,
    "profile"          TEXT NOT NULL,
    "options"          JSONB NOT NULL DEFAULT '{}',
    "status"           TEXT NOT NULL DEFAULT 'queued'
        CHECK ("status" IN ('queued', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled')),
    "file_name"        TEXT NOT NULL,
    "file_size"        BIGINT NOT NULL,
    "file_sha256"      CHAR(64) NOT NULL,
    "file_key"         TEXT NOT NULL,
    "file_format"      TEXT NOT NULL,
    "file_encoding"    TEXT,
    "file_delimiter"   TEXT,
    "file_sheet"       TEXT,
    "file_headers"     TEXT[] NOT NULL DEFAULT '{}',
    "unknown_columns"  TEXT[] NOT NULL DEFAULT '{}',
    "file_purged_at"   TIMESTAMPTZ(3),
    "rows_total"       INTEGER NOT NULL DEFAULT 0,
    "created"          INTEGER NOT NULL DEFAULT 0,
    "updated"          INTEGER NOT NULL DEFAULT 0,
    "unchanged"        INTEGER NOT NULL DEFAULT 0,
    "skipped"          INTEGER NOT NULL DEFAULT 0,
    "failed"           INTEGER NOT NULL DEFAULT 0,
    "warnings"         INTEGER NOT NULL DEFAULT 0,
    "stored_errors"    INTEGER NOT NULL DEFAULT 0,
    "checkpoint_row"   INTEGER NOT NULL DEFAULT 1,
    "progress_percent" REAL NOT NULL DEFAULT 0,
    "rows_per_second"  REAL,
    "eta_seconds"      INTEGER,
    "attempts"         INTEGER NOT NULL DEFAULT 0,
    "error_code"       TEXT,
    "error_message"    TEXT,
    "created_by"       TEXT,
    "created_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "started_at"       TIMESTAMPTZ(3),
    "finished_at"      TIMESTAMPTZ(3),
    "updated_at"       TIMESTAMPTZ(3) NOT NULL DEFAULT now()
);
CREATE INDEX "imports_created_at_id_idx" ON "imports" ("created_at" DESC, "id" DESC);
CREATE INDEX "imports_status_created_at_idx" ON "imports" ("status", "created_at" DESC);
CREATE INDEX "imports_profile_created_at_idx" ON "imports" ("profile", "created_at" DESC);

CREATE TABLE "import_row_errors" (
    "id"        BIGSERIAL PRIMARY KEY,
    "import_id" UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "row"       INTEGER NOT NULL,
    "level"     TEXT NOT NULL DEFAULT 'error' CHECK ("level" IN ('error', 'warning')),
    "column"    TEXT,
    "code"      TEXT NOT NULL,
    "message"   TEXT NOT NULL,
    "value"     TEXT,
    "raw"       JSONB
);
CREATE INDEX "import_row_errors_import_id_row_id_idx" ON "import_row_errors" ("import_id", "row", "id");

-- Access ----------------------------------------------------------------------------------------------

CREATE TABLE "api_tokens" (
    "id"           UUID PRIMARY KEY,
    "name"         TEXT NOT NULL,
    "token_hash"   CHAR(64) NOT NULL,
    "role"         TEXT NOT NULL CHECK ("role" IN ('admin', 'operator', 'viewer')),
    "created_at"   TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at"   TIMESTAMPTZ(3)
);
CREATE UNIQUE INDEX "api_tokens_token_hash_key" ON "api_tokens" ("token_hash");
