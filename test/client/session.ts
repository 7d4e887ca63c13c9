/**
 * A client session as an outside developer would write it: openapi-fetch typed by the
 * openapi-typescript output of the served /openapi.json (./generated/openapi.d.ts, made by
 * generated-client.test.ts, which also type-checks this file against it). Every call here must
 * type-check as written; each `@ts-expect-error` line must fail to, or the check fails.
 */
import createClient from 'openapi-fetch';
import type { paths } from './generated/openapi';

export async function clientSession(baseUrl: string, adminToken: string) {
  const admin = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${adminToken}` } });
  const project = must(await admin.POST('/v1/projects', { body: { name: 'generated client' } }));
  // No body at all: the key's name and expiry are optional.
  const key = must(await admin.POST('/v1/projects/{id}/keys', { params: { path: { id: project.id } } }));

  const api = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${key.key}` } });
  const body = {
    name: `client-${Date.now().toString(36)}`,
    definition: { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] },
  };
  const idempotent = { header: { 'idempotency-key': `create-${body.name}` } };
  const first = await api.POST('/v1/pipelines', { params: idempotent, body });
  const replay = await api.POST('/v1/pipelines', { params: idempotent, body });
  const pipeline = must(first);

  const byName = must(await api.GET('/v1/pipelines/{id}', { params: { path: { id: pipeline.name } } }));
  const page = must(await api.GET('/v1/pipelines', { params: { query: { limit: 1 } } }));
  // @ts-expect-error limit is an integer, not a string
  await api.GET('/v1/pipelines', { params: { query: { limit: '1' } } });
  // @ts-expect-error an unknown query parameter is not part of the operation
  await api.GET('/v1/pipelines', { params: { query: { sort: 'name' } } });

  const run = must(await api.POST('/v1/pipelines/{id}/runs', { params: { path: { id: pipeline.id }, header: { 'idempotency-key': `run-${body.name}` } } }));
  const updated = must(
    await api.PATCH('/v1/runs/{id}', {
      params: { path: { id: run.id }, header: { 'if-match': `"${run.revision}"` } },
      body: { status: 'running', currentStage: 'build' },
    }),
  );
  const stale = await api.PATCH('/v1/runs/{id}', {
    params: { path: { id: run.id }, header: { 'if-match': `"${run.revision}"` } },
    body: { currentStage: 'build' },
  });
  const missing = await api.GET('/v1/runs/{id}', { params: { path: { id: 'run_does_not_exist' } } });

  return {
    created: first.response.status,
    replayed: replay.response.headers.get('idempotent-replayed'),
    sameId: must(replay).id === pipeline.id,
    byName: byName.id === pipeline.id,
    pageSize: page.items.length,
    runStatus: updated.status,
    staleStatus: stale.response.status,
    staleCode: stale.error?.code,
    missingStatus: missing.response.status,
    missingCode: missing.error?.code,
  };
}

function must<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new Error(`${result.response.status}: ${JSON.stringify(result.error)}`);
  return result.data;
}
