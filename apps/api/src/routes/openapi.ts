/**
 * `GET /api/v1/openapi.json`, the OpenAPI 3.1 document of every `/api/v1` route (`openapi/document.ts`),
 * and `/api/docs`, Swagger UI rendering it (swagger-ui-express, its assets served from the package).
 * Both are public: they describe the API, not its data, and what they describe is in the repository anyway;
 * every route they list still requires its authentication.
 */
import { createHash } from 'node:crypto';
import { Router, type RequestHandler } from 'express';
import helmet from 'helmet';
import swaggerUi from 'swagger-ui-express';
import { openApiJson } from '../openapi/document';

/** The media type OpenAPI registers for its JSON documents. */
const OPENAPI_MEDIA_TYPE = 'application/vnd.oai.openapi+json;version=3.1';
const OPENAPI_PATH = '/api/v1/openapi.json';

/** `GET /openapi.json`, mounted on `/api/v1` before sessions and authentication. */
export function openApiRouter(): Router {
  const json = openApiJson();
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type(OPENAPI_MEDIA_TYPE).send(json);
  });
  return router;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/**
 * The page's Content-Security-Policy: scripts and everything else from this origin only; the page's own
 * inline styles (swagger-ui-express writes two `<style>` blocks and one `style` attribute) allowed by their
 * hashes, so that no other inline style or script can run.
 */
function docsSecurity(html: string): RequestHandler {
  const blocks = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map(([, css]) => sha256(css ?? ''));
  const attributes = [...html.matchAll(/\sstyle="([^"]*)"/g)].map(([, css]) => sha256(css ?? ''));
  return helmet({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", ...blocks, ...(attributes.length > 0 ? ["'unsafe-hashes'", ...attributes] : [])],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
  });
}

/** `/api/docs`: Swagger UI, loading the document from `GET /api/v1/openapi.json`. */
export function apiDocsRouter(): Router {
  const options: swaggerUi.SwaggerUiOptions = {
    swaggerUrl: OPENAPI_PATH,
    customSiteTitle: 'Importer API',
    // No call to the public validator service: the page reaches this origin only. The base layout leaves out
    // the standalone one's top bar, whose logo brings an inline <style> element.
    swaggerOptions: { validatorUrl: null, docExpansion: 'list', layout: 'BaseLayout' },
  };
  const html = swaggerUi.generateHTML(undefined, options);
  const router = Router();
  router.use(docsSecurity(html));
  // `/api/docs` redirects to `/api/docs/`, so that the page's relative asset URLs resolve under it.
  router.use(swaggerUi.serveFiles(undefined, options));
  router.get('/', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('html').send(html);
  });
  return router;
}
