import { Router } from 'express';
import { WRITE_MODES, type Profiles } from '@importer/contracts';
import { PROFILES } from '@importer/imports';

/** `GET /profiles`: the import profiles, their columns (required or not, aliases) and the write modes. */
export function profilesRouter(): Router {
  const body: Profiles = {
    items: Object.values(PROFILES).map((profile) => ({
      name: profile.name,
      columns: profile.columns.map((column) => ({
        name: column.name,
        required: column.required ?? false,
        aliases: [...(column.aliases ?? [])],
      })),
    })),
    modes: [...WRITE_MODES],
  };
  const router = Router();
  router.get('/', (_req, res) => {
    res.json(body);
  });
  return router;
}
