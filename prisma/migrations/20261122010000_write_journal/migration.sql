-- The write journal of running imports (docs/ARCHITECTURE.md, "Duplicate keys across chunks"). Both tables
-- are written in each chunk's transaction, read only when a row repeats the key of a row written by an
-- earlier chunk (to undo that earlier row exactly, also after a crash), and emptied when the import ends.

-- Which rows each committed chunk created and updated; the other rows it wrote were unchanged (or, in
-- insert_only mode, skipped). Also kept for a dry run, where it records what would have happened.
CREATE TABLE "import_chunks" (
    "import_id"    UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "from_row"     INTEGER NOT NULL,
    "to_row"       INTEGER NOT NULL,
    "created_rows" INTEGER[] NOT NULL DEFAULT '{}',
    "updated_rows" INTEGER[] NOT NULL DEFAULT '{}',
    PRIMARY KEY ("import_id", "from_row")
);

-- Undo images: a business row as it was before the import first updated it (one per key and import).
-- Key and updatable columns of the business table's upsert spec (packages/db/src/sql/upsert-*.ts), plus
-- updated_at: a new updatable column of a business table is added to its undo table too.
CREATE TABLE "import_undo_categories" (
    "import_id"        UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "nom_key"          VARCHAR(100) NOT NULL,
    "nom"              VARCHAR(100),
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "ordre"            INTEGER,
    "updated_at"       TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "nom_key")
);

CREATE TABLE "import_undo_subcategories" (
    "import_id"        UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "category_id"      BIGINT NOT NULL,
    "nom_key"          VARCHAR(100) NOT NULL,
    "nom"              VARCHAR(100),
    "description"      TEXT,
    "meta_description" VARCHAR(160),
    "mots_cles"        TEXT,
    "ordre"            INTEGER,
    "naf_codes"        TEXT[],
    "updated_at"       TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "category_id", "nom_key")
);

CREATE TABLE "import_undo_companies" (
    "import_id"      UUID NOT NULL REFERENCES "imports" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    "siren"          CHAR(9) NOT NULL,
    "siret"          CHAR(14),
    "nom"            VARCHAR(255),
    "nom_commercial" VARCHAR(255),
    "adresse"        TEXT,
    "code_postal"    VARCHAR(5),
    "ville_nom"      VARCHAR(100),
    "naf_code"       VARCHAR(6),
    "naf_libelle"    VARCHAR(255),
    "telephone"      VARCHAR(20),
    "email_contact"  VARCHAR(320),
    "site_web"       TEXT,
    "is_active"      BOOLEAN,
    "subcategory_id" BIGINT,
    "date_creation"  DATE,
    "updated_at"     TIMESTAMPTZ(3),
    PRIMARY KEY ("import_id", "siren")
);

-- Raised by a chunk's write statement when the import is no longer at the chunk's starting checkpoint (or no
-- longer processing): the statement, and so everything the chunk wrote, is rolled back.
CREATE FUNCTION "importer_chunk_fenced"(import_id UUID) RETURNS INTEGER LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'import % moved on (another delivery is ahead, or it was cancelled): chunk rolled back', import_id
        USING ERRCODE = 'IMFNC';
END
$$;
