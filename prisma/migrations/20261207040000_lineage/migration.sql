-- Lineage and revert (docs/write-semantics.md, "Lineage and revert"). Each chunk's statement records, per key it
-- created or updated, whether it created it, the business row as it was before the import first changed it, and
-- the row's updated_at after the import last wrote it. It replaces the undo images of the write journal (the
-- before-images are the same), and outlives the import: a revert reads it until RETAIN_LINEAGE_DAYS.

-- One row per key an import created or updated. "seq" orders a revert's chunks. The before-image columns are
-- every business column but the key (null for a created key); a new business column is added here too.
CREATE TABLE "import_lineage_categories" (
    "import_id"        UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "seq"              BIGINT GENERATED ALWAYS AS IDENTITY,
    "nom_key"          VARCHAR(100) NOT NULL,
    "created"          BOOLEAN NOT NULL,
    "after_updated_at" TIMESTAMPTZ(3),
    "nom"              VARCHAR(100),
    "slug"             VARCHAR(120),
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "ordre"            INTEGER,
    "updated_at"       TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "nom_key")
);
CREATE INDEX "import_lineage_categories_import_id_seq_idx" ON "import_lineage_categories" ("import_id", "seq");

CREATE TABLE "import_lineage_subcategories" (
    "import_id"        UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "seq"              BIGINT GENERATED ALWAYS AS IDENTITY,
    "category_id"      BIGINT NOT NULL,
    "nom_key"          VARCHAR(100) NOT NULL,
    "created"          BOOLEAN NOT NULL,
    "after_updated_at" TIMESTAMPTZ(3),
    "nom"              VARCHAR(100),
    "slug"             VARCHAR(120),
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "mots_cles"        TEXT,
    "ordre"            INTEGER,
    "naf_codes"        TEXT[],
    "updated_at"       TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "category_id", "nom_key")
);
CREATE INDEX "import_lineage_subcategories_import_id_seq_idx" ON "import_lineage_subcategories" ("import_id", "seq");

CREATE TABLE "import_lineage_companies" (
    "import_id"        UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "seq"              BIGINT GENERATED ALWAYS AS IDENTITY,
    "siren"            CHAR(9) NOT NULL,
    "created"          BOOLEAN NOT NULL,
    "after_updated_at" TIMESTAMPTZ(3),
    "siret"            CHAR(14),
    "nom"              VARCHAR(255),
    "nom_commercial"   VARCHAR(255),
    "adresse"          TEXT,
    "code_postal"      VARCHAR(5),
    "ville_nom"        VARCHAR(100),
    "naf_code"         VARCHAR(6),
    "naf_libelle"      VARCHAR(255),
    "telephone"        VARCHAR(20),
    "email_contact"    VARCHAR(320),
    "site_web"         TEXT,
    "is_active"        BOOLEAN,
    "subcategory_id"   BIGINT,
    "date_creation"    DATE,
    "updated_at"       TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "siren")
);
CREATE INDEX "import_lineage_companies_import_id_seq_idx" ON "import_lineage_companies" ("import_id", "seq");

-- Undo images of imports still running when this migration runs become their lineage (their created keys are in
-- import_chunks by row number only: such an import is exact for duplicate keys, and not revertible).
INSERT INTO "import_lineage_categories" ("import_id", "nom_key", "created", "after_updated_at", "nom", "slug", "description",
    "meta_description", "ordre", "updated_at")
SELECT u."import_id", u."nom_key", false, t."updated_at", u."nom", t."slug", u."description", u."meta_description", u."ordre", u."updated_at"
FROM "import_undo_categories" u LEFT JOIN "categories" t ON t."nom_key" = u."nom_key";
INSERT INTO "import_lineage_subcategories" ("import_id", "category_id", "nom_key", "created", "after_updated_at", "nom", "slug",
    "description", "meta_description", "mots_cles", "ordre", "naf_codes", "updated_at")
SELECT u."import_id", u."category_id", u."nom_key", false, t."updated_at", u."nom", t."slug", u."description", u."meta_description",
    u."mots_cles", u."ordre", u."naf_codes", u."updated_at"
FROM "import_undo_subcategories" u LEFT JOIN "subcategories" t ON t."category_id" = u."category_id" AND t."nom_key" = u."nom_key";
INSERT INTO "import_lineage_companies" ("import_id", "siren", "created", "after_updated_at", "siret", "nom", "nom_commercial", "adresse",
    "code_postal", "ville_nom", "naf_code", "naf_libelle", "telephone", "email_contact", "site_web", "is_active", "subcategory_id",
    "date_creation", "updated_at")
SELECT u."import_id", u."siren", false, t."updated_at", u."siret", u."nom", u."nom_commercial", u."adresse", u."code_postal", u."ville_nom",
    u."naf_code", u."naf_libelle", u."telephone", u."email_contact", u."site_web", u."is_active", u."subcategory_id", u."date_creation",
    u."updated_at"
FROM "import_undo_companies" u LEFT JOIN "companies" t ON t."siren" = u."siren";
DROP TABLE "import_undo_categories";
DROP TABLE "import_undo_subcategories";
DROP TABLE "import_undo_companies";

-- Two statuses: `reverting` (its revert job runs) and `reverted`.
ALTER TABLE "imports" DROP CONSTRAINT "imports_status_check";
ALTER TABLE "imports" ADD CONSTRAINT "imports_status_check"
    CHECK ("status" IN ('queued', 'processing', 'completed', 'completed_with_errors', 'failed', 'cancelled', 'reverting', 'reverted'));

-- The revert of an import: its progress (lineage rows to go through, the last one done: the checkpoint) and counts.
ALTER TABLE "imports"
    ADD COLUMN "revert_rows"              INTEGER,
    ADD COLUMN "revert_checkpoint"        BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN "revert_processed"         INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "revert_reverted"          INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "revert_kept"              INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "revert_failed_referenced" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "revert_failed_missing"    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "revert_requested_by"      TEXT,
    ADD COLUMN "revert_started_at"        TIMESTAMPTZ(3),
    ADD COLUMN "revert_finished_at"       TIMESTAMPTZ(3);

-- What the nightly cleanup removed of expired lineage.
ALTER TABLE "cleanup_runs" ADD COLUMN "lineage_deleted" INTEGER NOT NULL DEFAULT 0;

-- Raised by a revert chunk's statement when the import is no longer at the chunk's checkpoint or no longer
-- reverting: the statement, and so everything the chunk restored or deleted, is rolled back.
CREATE FUNCTION "importer_revert_fenced"(import_id UUID) RETURNS INTEGER LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'revert of import % moved on (another delivery is ahead): chunk rolled back', import_id
        USING ERRCODE = 'IMRVF';
END
$$;
