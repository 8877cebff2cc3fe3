-- Error groups and re-submissions (docs/api.md, "GET /imports/:id/error-groups", "POST /imports/:id/resubmit").

-- A re-submission of an import's failed rows points at the import it corrects. Deleting the original (the
-- nightly cleanup) keeps its re-submissions and forgets the link.
ALTER TABLE "imports" ADD COLUMN "parent_id" UUID REFERENCES "imports" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
-- The re-submissions of an import, read with its record; also serves the foreign key's SET NULL on delete.
CREATE INDEX "imports_parent_id_idx" ON "imports" ("parent_id");

-- An import's errors by code and column, in row order: the error groups' one aggregate reads them in group
-- order, and `GET /imports/:id/errors?code=…&column=…` pages through one group without reading the others.
CREATE INDEX "import_row_errors_import_id_code_column_row_id_idx" ON "import_row_errors" ("import_id", "code", "column", "row", "id");
