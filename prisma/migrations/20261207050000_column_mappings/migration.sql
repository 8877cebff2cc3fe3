-- Remembered column mappings (docs/profiles.md, "Column mappings"): for a profile and a header set, which
-- file header fills which column. The header set is the file's headers folded as header matching folds
-- them, blanks and repeats dropped, sorted: the same file layout finds the same mapping.
CREATE TABLE "column_mappings" (
    "id" UUID NOT NULL,
    "profile" TEXT NOT NULL,
    "header_set" TEXT[] NOT NULL,
    -- The headers as the file that was mapped spelt them, for people.
    "headers" TEXT[] NOT NULL,
    -- {"file header": "column"}
    "mapping" JSONB NOT NULL,
    "saved_by" TEXT,
    "saved_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "column_mappings_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "column_mappings_profile_header_set_key" ON "column_mappings" ("profile", "header_set");

-- How the worker matched the file's headers: aliases | request | saved; NULL until a worker opened the file.
ALTER TABLE "imports" ADD COLUMN "mapping_source" TEXT;
