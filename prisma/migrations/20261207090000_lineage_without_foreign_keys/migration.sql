-- The lineage tables lose their foreign keys to "imports" (issue 12). Inserting a lineage row checked, per row,
-- that its import exists: about 60 % of the lineage insert, itself about half of a copied chunk's statement. The
-- check adds nothing: a lineage row is only ever written by a chunk's statement that is fenced on its import
-- (packages/db/src/sql/write-chunk.ts: the import exists, is processing, and is at the chunk's checkpoint, or the
-- statement raises and writes nothing), and an import is only deleted once finished.
-- What ON DELETE CASCADE did is now done by the one statement that deletes imports (packages/db/src/sql/cleanup.ts,
-- `deleteOldImports`): it deletes the lineage rows of every import it deletes, of every lineage table. A new
-- lineage table is added there too.
ALTER TABLE "import_lineage_categories" DROP CONSTRAINT "import_lineage_categories_import_id_fkey";
ALTER TABLE "import_lineage_subcategories" DROP CONSTRAINT "import_lineage_subcategories_import_id_fkey";
ALTER TABLE "import_lineage_companies" DROP CONSTRAINT "import_lineage_companies_import_id_fkey";

