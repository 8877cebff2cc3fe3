/**
 * The OpenAPI 3.1 document of `/api/v1` (`GET /api/v1/openapi.json`, rendered at `/api/docs`), generated
 * once per process from `routes.ts` and the `@importer/contracts` schemas by zod-to-openapi.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import {
  apiTokenSchema,
  cleanupRunSchema,
  errorBodySchema,
  importOptionsSchema,
  importViewSchema,
  principalSchema,
  profileSchema,
  rowErrorSchema,
  statsWindowSchema,
} from '@importer/contracts';
import { routeConfig, SECURITY_SCHEMES, TAGS, type ApiRoute } from './operation';
import { API_ROUTES } from './routes';

/**
 * Contract schemas shown once under `components.schemas` and referred to wherever they occur (nested ones
 * included); any other schema is written out where it is used. The name is set on the contract's own
 * schema object (zod's global registry, `id`), the one the other schemas embed.
 */
const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  ErrorBody: errorBodySchema,
  Import: importViewSchema,
  ImportOptions: importOptionsSchema,
  RowError: rowErrorSchema,
  Profile: profileSchema,
  StatsWindow: statsWindowSchema,
  CleanupRun: cleanupRunSchema,
  ApiToken: apiTokenSchema,
  Principal: principalSchema,
};

function nameSchemas(): void {
  for (const [id, schema] of Object.entries(NAMED_SCHEMAS)) {
    const meta = z.globalRegistry.get(schema);
    if (meta?.id === id) continue;
    z.globalRegistry.add(schema, { ...meta, id });
  }
}

/** The document of `routes`. */
function buildOpenApiDocument(routes: ApiRoute[]) {
  nameSchemas();
  const registry = new OpenAPIRegistry();
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) registry.registerComponent('securitySchemes', name, scheme);
  for (const route of routes) registry.registerPath(routeConfig(route));
  // The error body is referred to by `$ref` from every error answer: listed so that it is generated.
  const generator = new OpenApiGeneratorV31([...registry.definitions, { type: 'schema', schema: errorBodySchema }]);
  const document = generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Importer API',
      version: '1',
      description:
        'Spreadsheets (CSV, XLSX, XLS) imported into PostgreSQL tables, asynchronously, by profile. Every error answers `{"error": {"code", "message", "details"}}`. The contract in prose: docs/api.md.',
    },
    servers: [{ url: '/api/v1' }],
    tags: Object.entries(TAGS).map(([name, description]) => ({ name, description })),
  });
  requireDefaultedFields(document.components?.schemas ?? {});
  return document;
}

/**
 * The named schemas are answers, where a field with a default is always present; zod-to-openapi reads every
 * schema as an input, where such a field may be left out. Each named object lists its fields as zod's output
 * has them (`ImportOptions`: `mode`, `dryRun`, `createMissingCategories`, not `sheet`).
 */
function requireDefaultedFields(components: Record<string, { required?: string[] } | { $ref: string }>): void {
  for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) {
    const component = components[name];
    if (!(schema instanceof z.ZodObject) || !component || '$ref' in component) continue;
    const required = Object.entries(schema.shape as Record<string, z.ZodType>)
      .filter(([, field]) => field._zod.optout !== 'optional')
      .map(([key]) => key);
    if (required.length > 0) component.required = required;
  }
}

let cached: string | undefined;

/** The document as served: built on first use, then the same text for the life of the process. */
export function openApiJson(): string {
  cached ??= JSON.stringify(buildOpenApiDocument(API_ROUTES));
  return cached;
}
