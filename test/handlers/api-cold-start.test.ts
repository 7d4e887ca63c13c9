/**
 * What the API function's cold start loads (issue: speed where it is paid for). Init answers
 * /health, the document and the docs page; zod, the OpenAPI routes, the /v1 middleware and the
 * domain layer wait for the first /v1 request (functions/api/app.ts). These tests read the bundle
 * esbuild writes, as SST does on deploy (same options, same plugins), so a static import that
 * drags any of it back into init fails here rather than in a cold-start benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BuiltFunction, REPO_ROOT, bundleEntry, lambdaBuildOptions, loadedOutputs } from '../../infra/build';
import { LAMBDA_ESBUILD_PLUGINS, lambdaFunction } from '../../infra/bundling';
import { API_RESOURCES } from '../../functions/api/resources';

const dir = mkdtempSync(join(tmpdir(), 'pipestore-api-init-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The drivers the configuration does not select (node-postgres is the one measured here). */
const OTHER_DRIVERS = /pglite|rds-data|@aws-sdk|@smithy|drizzle-orm\/aws-data-api\//;
/** Chunks reached only by an import() run on a request. */
const ON_REQUEST = /functions\/(api\/routes\/|api\/resource-app\.ts|api\/generated\/|console\/)/;

describe('the API function at init', { timeout: 120_000 }, () => {
  let api: BuiltFunction;
  let atInit: string[];
  beforeAll(async () => {
    api = await bundleEntry(lambdaFunction('api').entry, dir, 'api');
    atInit = loadedOutputs(api, OTHER_DRIVERS, ON_REQUEST).flatMap((o) => o.inputs);
  });

  it('loads the health check and the database client, and no zod, OpenAPI routes, /v1 middleware or domain layer', () => {
    expect(atInit).toEqual(expect.arrayContaining(['functions/api/app.ts', 'functions/api/health.ts', 'db/client.ts']));
    const deferred = atInit.filter((input) =>
      /node_modules\/(zod|@asteasolutions\/zod-to-openapi|@hono\/zod-openapi|croner)\/|functions\/(store\/store\.ts|api\/routes\/)|functions\/api\/(auth|idempotency|validation)\.ts|functions\/core\/(runs|pipelines|definitions)\.ts/.test(
        input,
      ),
    );
    expect(deferred).toEqual([]);
  });

  it('has every deferred module in the bundle, for the first /v1 request', () => {
    expect(api.inputs).toEqual(expect.arrayContaining(['functions/api/resource-app.ts', 'functions/store/store.ts', 'functions/api/routes/runs.ts']));
  });

  it('is bundled with the plugins SST is given', async () => {
    // SST resolves nodejs.plugins against sst.config.ts, at the repository root.
    const { default: plugins } = await import(pathToFileURL(resolve(REPO_ROOT, LAMBDA_ESBUILD_PLUGINS)).href);
    expect(lambdaBuildOptions().plugins).toBe(plugins);
  });
});

describe('the first request creating a run', () => {
  it('is answered by a resource that loads the run routes alone', async () => {
    const resources = API_RESOURCES.filter((r) => r.paths?.includes('/v1/pipelines/:id/runs'));
    const { pipelineRunRoutes } = await import('../../functions/api/routes/runs');
    expect(resources).toHaveLength(1);
    expect(await resources[0]!.load()).toEqual([pipelineRunRoutes]);
  });
});
