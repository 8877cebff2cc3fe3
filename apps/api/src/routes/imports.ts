import path from 'node:path';
import { Router, type Request } from 'express';
import { importsListQuerySchema, rowErrorsQuerySchema, uploadFieldsSchema, uploadOptionsSchema } from '@importer/contracts';
import { rejectedRowPages } from '@importer/db';
import { csvLines, rejectedRowCells, rejectedRowsHeader } from '@importer/imports';
import { acceptUpload, uploadSteps, type AcceptUploadDeps } from '../accept-upload';
import { badRequest, notFound } from '../errors';
import { knownProfile } from '../profile-field';
import { idParam } from '../id-param';
import { checkUploadMapping } from '../mapping-checks';
import { requireRole } from '../middleware/auth';
import { listIssues, parseOr, parseQuery } from '../validation';

/** What an upload needs; its pool also reads the rejected rows page by page for the CSV download. */
export type ImportsRouteDeps = AcceptUploadDeps;

export function importsRouter(deps: ImportsRouteDeps): Router {
  const router = Router();
  const { imports } = deps;
  const findImport = async (req: Request) => {
    const id = idParam(req, 'Import');
    const found = await imports.find(id);
    if (!found) throw notFound(`Import ${id}`);
    return found;
  };

  router.post('/', requireRole('admin', 'operator'), ...uploadSteps(deps), async (req, res) =>
    acceptUpload(deps, req, res, () => {
      // The profile is checked first (`unknown_profile` lists the profiles), then the mapping and the options.
      const fields = req.body as Record<string, unknown>;
      const profile = knownProfile(uploadFieldsSchema.shape.profile.safeParse(fields.profile).data).name;
      checkUploadMapping(profile, fields.mapping);
      const { webhookUrl, ...options } = parseOr(uploadOptionsSchema, fields, (issues) =>
        badRequest('invalid_options', `Invalid options: ${listIssues(issues)}`, issues),
      );
      return { profile, options, webhookUrl };
    }),
  );

  router.get('/', async (req, res) => {
    const query = parseQuery(importsListQuerySchema, req.query);
    res.json(await imports.list(query));
  });

  router.get('/:id', async (req, res) => {
    res.json(await findImport(req));
  });

  router.get('/:id/errors', async (req, res) => {
    const query = parseQuery(rowErrorsQuerySchema, req.query);
    const found = await findImport(req);
    res.json(await imports.listErrors(found.id, query));
  });

  /**
   * The rejected rows as CSV (errors only: rows with warnings were written or skipped, not rejected), each
   * with its original cells and its errors, formula-like cells neutralised; in the file's delimiter, with
   * a UTF-8 byte-order mark for spreadsheet programs. Streamed one page of errors at a time.
   */
  router.get('/:id/errors.csv', async (req, res) => {
    const found = await findImport(req);
    const { headers } = found.file;
    const delimiter = found.file.delimiter ?? ',';
    res.attachment(`${path.parse(found.file.name).name}-rejected-rows.csv`);
    res.type('text/csv; charset=utf-8');
    res.write(`\uFEFF${csvLines([rejectedRowsHeader(headers)], delimiter)}`);
    // One listener for the whole download, waking the page waiting for room: the compression middleware
    // moves `drain` listeners onto its gzip stream and cannot take them off again, so one per full write
    // would pile up there.
    let wake: (() => void) | null = null;
    const onDrainOrClose = () => {
      wake?.();
      wake = null;
    };
    res.on('drain', onDrainOrClose);
    res.on('close', onDrainOrClose);
    try {
      for await (const page of rejectedRowPages(deps.pool, found.id)) {
        if (res.destroyed) return;
        const lines = csvLines(
          page.map((row) => rejectedRowCells(headers, row)),
          delimiter,
        );
        if (!res.write(lines) && !res.destroyed) await new Promise<void>((resolve) => (wake = resolve));
      }
      res.end();
    } catch (error) {
      // The status line is sent: the client can only see the download cut short.
      deps.logger.error({ err: error, importId: found.id }, 'rejected-rows download failed');
      res.destroy(error as Error);
    }
  });

  return router;
}
