/**
 * The shared security suite: every authenticated route, with every kind of wrong credential.
 * A new route joins by being listed in ROUTES; the last test fails when the OpenAPI document
 * has a /v1 route that is not listed here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

interface Fixture {
  pipelineId: string;
  pipelineName: string;
  projectId: string;
  keyId: string;
  version: string;
  runId: string;
  taskRunId: string;
  dlqId: string;
  serviceId: string;
  taskName: string;
  taskKey: string;
}

interface RouteCase {
  method: string;
  path: (f: Fixture) => string;
  body?: (f: Fixture) => unknown;
  /** Admin routes take the admin token; all others a project key. */
  admin?: boolean;
  /** Names a resource of the owning project: another project's key must get 404. */
  scoped?: boolean;
}

const ROUTES: RouteCase[] = [
  { method: 'POST', path: () => '/v1/projects', body: () => ({ name: 'x' }), admin: true },
  { method: 'GET', path: () => '/v1/projects', admin: true },
  { method: 'DELETE', path: (f) => `/v1/projects/${f.projectId}`, admin: true },
  { method: 'GET', path: (f) => `/v1/projects/${f.projectId}/keys`, admin: true },
  { method: 'POST', path: (f) => `/v1/projects/${f.projectId}/keys`, body: () => ({}), admin: true },
  { method: 'DELETE', path: (f) => `/v1/projects/${f.projectId}/keys/${f.keyId}`, admin: true },
  { method: 'POST', path: () => '/v1/pipelines', body: () => ({ name: 'sec', definition: simpleDefinition() }) },
  { method: 'GET', path: () => '/v1/pipelines' },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineId}`, scoped: true },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineName}`, scoped: true },
  { method: 'PATCH', path: (f) => `/v1/pipelines/${f.pipelineId}`, body: () => ({ description: 'x' }), scoped: true },
  { method: 'DELETE', path: (f) => `/v1/pipelines/${f.pipelineId}`, scoped: true },
  {
    method: 'POST',
    path: (f) => `/v1/pipelines/${f.pipelineId}/versions`,
    body: () => ({ definition: simpleDefinition('-v2') }),
    scoped: true,
  },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineId}/versions`, scoped: true },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineId}/versions/${f.version}`, scoped: true },
  { method: 'POST', path: (f) => `/v1/pipelines/${f.pipelineId}/activate`, body: () => ({ version: 1 }), scoped: true },
  { method: 'POST', path: (f) => `/v1/pipelines/${f.pipelineId}/runs`, body: () => ({}), scoped: true },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineId}/runs`, scoped: true },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineId}/activations`, scoped: true },
  { method: 'GET', path: (f) => `/v1/pipelines/${f.pipelineName}/versions/${f.version}/diff/${f.version}`, scoped: true },
  // Project-wide lists: another project's key gets its own (empty) list; the isolation tests below.
  { method: 'GET', path: () => '/v1/runs' },
  { method: 'GET', path: () => '/v1/runs/stats' },
  { method: 'GET', path: () => '/v1/task-runs' },
  { method: 'GET', path: (f) => `/v1/task-runs/${f.taskRunId}`, scoped: true },
  { method: 'GET', path: (f) => `/v1/runs/${f.runId}`, scoped: true },
  { method: 'PATCH', path: (f) => `/v1/runs/${f.runId}`, body: () => ({ currentStage: 'fetch' }), scoped: true },
  { method: 'POST', path: (f) => `/v1/runs/${f.runId}/heartbeat`, scoped: true },
  { method: 'POST', path: (f) => `/v1/runs/${f.runId}/cancel`, scoped: true },
  {
    method: 'POST',
    path: (f) => `/v1/runs/${f.runId}/tasks`,
    body: () => ({ stageId: 'fetch', taskId: 'download', attempt: 9 }),
    scoped: true,
  },
  { method: 'GET', path: (f) => `/v1/runs/${f.runId}/tasks`, scoped: true },
  { method: 'PATCH', path: (f) => `/v1/task-runs/${f.taskRunId}`, body: () => ({ progress: 0.5 }), scoped: true },
  { method: 'GET', path: () => '/v1/dlq' },
  { method: 'GET', path: (f) => `/v1/dlq/${f.dlqId}`, scoped: true },
  { method: 'POST', path: (f) => `/v1/dlq/${f.dlqId}/replay`, scoped: true },
  { method: 'DELETE', path: (f) => `/v1/dlq/${f.dlqId}`, scoped: true },
  // Not scoped: another project's key registers a service of its own (201), never sees ours.
  {
    method: 'PUT',
    path: (f) => `/v1/services/${f.serviceId}`,
    body: () => ({ tasks: [{ id: 'sec.task', codeHash: 'sha256-sec' }] }),
  },
  { method: 'GET', path: () => '/v1/services' },
  { method: 'GET', path: () => '/v1/schedules' },
  { method: 'GET', path: (f) => `/v1/tasks/${f.taskName}/history`, scoped: true },
  // Not scoped: another project's key stores an entry of its own under the same key.
  { method: 'PUT', path: (f) => `/v1/idempotency/${f.taskKey}`, body: () => ({ result: { ok: true } }) },
  { method: 'GET', path: (f) => `/v1/idempotency/${f.taskKey}`, scoped: true },
];

const PLACEHOLDERS: Fixture = {
  pipelineId: '{id}',
  pipelineName: '{name}',
  projectId: '{id}',
  keyId: '{keyId}',
  version: '{n}',
  runId: '{id}',
  taskRunId: '{id}',
  dlqId: '{id}',
  serviceId: '{id}',
  taskName: '{id}',
  taskKey: '{key}',
};
const label = (r: RouteCase) => `${r.method} ${r.path(PLACEHOLDERS)}`;

describe('security', () => {
  let api: TestApi;
  let owner: Awaited<ReturnType<typeof newProject>>;
  let stranger: Awaited<ReturnType<typeof newProject>>;
  let revokedKey: string;
  let fixture: Fixture;

  beforeAll(async () => {
    api = await testApi();
    owner = await newProject(api, 'owner');
    stranger = await newProject(api, 'stranger');
    const revoked = await api.call('POST', `/v1/projects/${owner.id}/keys`, { token: ADMIN_TOKEN, body: {} });
    revokedKey = revoked.body.key;
    expect((await api.call('DELETE', `/v1/projects/${owner.id}/keys/${revoked.body.id}`, { token: ADMIN_TOKEN })).status).toBe(204);
    const pipeline = await newPipeline(api, owner.key);
    const asOwner = (method: string, path: string, body?: unknown) => api.call(method, path, { token: owner.key, body });
    const run = (await asOwner('POST', `/v1/pipelines/${pipeline.id}/runs`, {})).body;
    await asOwner('PATCH', `/v1/runs/${run.id}`, { status: 'running' });
    const taskRun = (await asOwner('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'fetch', taskId: 'download', status: 'running' })).body;
    // Attempt 3 of an unregistered task exhausts the default budget: a DLQ entry.
    const failing = (await asOwner('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' })).body;
    await asOwner('PATCH', `/v1/task-runs/${failing.id}`, { status: 'failed' });
    const dlqId = (await asOwner('GET', '/v1/dlq')).body.items[0].id;
    const registered = await asOwner('PUT', '/v1/services/sec-worker', { tasks: [{ id: 'sec.task', codeHash: 'sha256-sec' }] });
    expect(registered.status).toBe(201);
    await asOwner('PUT', '/v1/idempotency/sec-task', { result: { ok: true } });
    fixture = {
      pipelineId: pipeline.id,
      pipelineName: pipeline.name,
      projectId: owner.id,
      keyId: owner.keyId,
      version: '1',
      runId: run.id,
      taskRunId: taskRun.id,
      dlqId,
      serviceId: 'sec-worker',
      taskName: 'sec.task',
      taskKey: 'sec-task',
    };
  });

  const send = (route: RouteCase, token?: string, headers?: Record<string, string>) =>
    api.call(route.method, route.path(fixture), { token, body: route.body?.(fixture), headers });

  describe.each(ROUTES.map((r) => [label(r), r] as const))('%s', (_, route) => {
    it('rejects a request without credentials with 401 problem+json', async () => {
      const res = await send(route);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.body.code).toBe('unauthorized');
    });

    it('rejects a malformed Authorization header with 401', async () => {
      expect((await send(route, undefined, { Authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(401);
    });

    it('rejects an unknown key with 401', async () => {
      expect((await send(route, 'ps_this-key-does-not-exist')).status).toBe(401);
    });

    it('rejects a revoked key with 401', async () => {
      expect((await send(route, revokedKey)).status).toBe(401);
    });

    if (route.admin) {
      it('refuses a project key with 403', async () => {
        const res = await send(route, owner.key);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('admin_required');
      });
    } else {
      it('refuses the admin token with 403', async () => {
        const res = await send(route, ADMIN_TOKEN);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('project_key_required');
      });
    }

    if (route.scoped) {
      it("answers another project's key with 404, never 403", async () => {
        const res = await send(route, stranger.key);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('not_found');
      });
    }
  });

  it("never lists another project's pipelines", async () => {
    const res = await api.call('GET', '/v1/pipelines', { token: stranger.key });
    expect(res.status).toBe(200);
    expect(res.body.items.map((p: { id: string }) => p.id)).not.toContain(fixture.pipelineId);
  });

  it("never lists, counts or filters by another project's runs and task runs", async () => {
    const runs = await api.call('GET', '/v1/runs', { token: stranger.key });
    expect(runs.status).toBe(200);
    expect(runs.body.items).toEqual([]);
    const stats = await api.call('GET', '/v1/runs/stats', { token: stranger.key });
    expect(stats.body.total.total).toBe(0);
    expect(stats.body.pipelines).toEqual([]);
    expect((await api.call('GET', '/v1/task-runs', { token: stranger.key })).body.items).toEqual([]);
    // Naming the owner's pipeline, by id or name, is naming an unknown pipeline.
    for (const pipeline of [fixture.pipelineId, fixture.pipelineName]) {
      const res = await api.call('GET', `/v1/runs?pipeline=${pipeline}`, { token: stranger.key });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('query.pipeline');
    }
    // The owner's cursor means nothing to another project (its filters were the owner's list).
    await api.call('POST', `/v1/pipelines/${fixture.pipelineId}/runs`, { token: owner.key, body: {} });
    const page = await api.call('GET', '/v1/runs?limit=1', { token: owner.key });
    const next = await api.call('GET', `/v1/runs?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`, { token: stranger.key });
    expect(next.body.items ?? []).toEqual([]);
  });

  it('covers every /v1 route of the OpenAPI document', async () => {
    const doc = (await api.call('GET', '/openapi.json')).body;
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    const normalize = (s: string) => s.replace(/\{[^}]+\}/g, '{}');
    const listed = new Set(ROUTES.map((r) => normalize(label(r))));
    expect(documented.map(normalize).filter((route) => !listed.has(route))).toEqual([]);
  });
});
