-- Nightly cleanup (SPEC §8): every run is recorded with what it removed.
CREATE TABLE "cleanup_runs" (
    "id" BIGSERIAL NOT NULL,
    -- schedule | manual
    "trigger" TEXT NOT NULL,
    -- running | completed | failed | skipped (another run held the lock)
    "status" TEXT NOT NULL DEFAULT 'running',
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),
    -- What this run counted as old: imports created before, files uploaded before.
    "imports_before" TIMESTAMPTZ(3) NOT NULL,
    "files_before" TIMESTAMPTZ(3) NOT NULL,
    "imports_deleted" INTEGER NOT NULL DEFAULT 0,
    "row_errors_deleted" INTEGER NOT NULL DEFAULT 0,
    "files_purged" INTEGER NOT NULL DEFAULT 0,
    "orphan_files_deleted" INTEGER NOT NULL DEFAULT 0,
    "jobs_removed" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "cleanup_runs_pkey" PRIMARY KEY ("id")
);

-- The cleanup finds stored files still on disk by age, and tells orphan files from referenced ones by key.
CREATE INDEX "imports_unpurged_created_at_idx" ON "imports" ("created_at") WHERE "file_purged_at" IS NULL;
CREATE INDEX "imports_file_key_idx" ON "imports" ("file_key");
