/**
 * What a write through this process leaves in its memory layer: nothing stale. For every write
 * operation of the API, a process that had read everything around it (so its memory holds it)
 * answers every read after the write exactly as a process without a memory layer does. The last
 * test fails when the OpenAPI document has a write that is not listed here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

// Far longer than any test: whatever this process serves after a write, it did not get by expiry.
const LONG_TTL = { CACHE_TTL_MS: '3600000' };

interface World {
  projectId: string;
  keyId: string;
  key: string;
  pipelineId: string;
  pipelineName: string;
  runId: string;
  taskRunId: string;
  dlqId: string;
}

/** A fresh project with something of everything: two versions, a running run, a task run, a DLQ entry, a service, a task result. */
async function buildWorld(api: TestApi): Promise<World> {
  const project = await newProject(api, 'cache-writes');
  const as = async (method: string, path: string, body?: unknown) => {
    const res = await api.call(method, path, { token: project.key, body });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const pipeline = await newPipeline(api, project.key);
  await as('POST', `/v1/pipelines/${pipeline.id}/versions`, { definition: simpleDefinition('-v2') });
  const run = await as('POST', `/v1/pipelines/${pipeline.id}/runs`, {});
  await as('PATCH', `/v1/runs/${run.id}`, { status: 'running' });
  const taskRun = await as('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'fetch', taskId: 'download', status: 'running' });
  // Attempt 3 of an unregistered task exhausts the default budget: a DLQ entry.
  const failing = await as('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' });
  await as('PATCH', `/v1/task-runs/${failing.id}`, { status: 'failed' });
  const dlqId = (await as('GET', '/v1/dlq')).items[0].id;
  await as('PUT', '/v1/services/worker', { tasks: [{ id: 'compile', codeHash: 'sha256-1' }] });
  await as('PUT', '/v1/idempotency/result-key', { result: { n: 1 } });
  return {
    projectId: project.id,
    keyId: project.keyId,
    key: project.key,
    pipelineId: pipeline.id,
    pipelineName: pipeline.name,
    runId: run.id,
    taskRunId: taskRun.id,
    dlqId,
  };
}

/** Everything a client of the project can read about the world (item reads are the cached ones). */
const reads = (w: World) => [
  `/v1/pipelines/${w.pipelineId}`,
  `/v1/pipelines/${w.pipelineName}`,
  '/v1/pipelines',
  `/v1/pipelines/${w.pipelineId}/versions/1`,
  `/v1/pipelines/${w.pipelineId}/versions/2`,
  `/v1/pipelines/${w.pipelineName}/versions/1`,
  `/v1/pipelines/${w.pipelineId}/versions`,
  `/v1/pipelines/${w.pipelineId}/runs`,
  `/v1/runs/${w.runId}`,
  `/v1/runs/${w.runId}/tasks`,
  '/v1/runs',
  `/v1/task-runs/${w.taskRunId}`,
  '/v1/dlq',
  `/v1/dlq/${w.dlqId}`,
  '/v1/services',
  '/v1/tasks/compile/history',
  '/v1/idempotency/result-key',
  '/v1/schedules',
];

interface Write {
  method: string;
  path: (w: World) => string;
  body?: (w: World) => unknown;
  admin?: boolean;
}

/** Every write of the API, by operationId, as one request against a world. */
const WRITES: Record<string, Write> = {
  createProject: { method: 'POST', path: () => '/v1/projects', body: () => ({ name: 'another' }), admin: true },
  deleteProject: { method: 'DELETE', path: (w) => `/v1/projects/${w.projectId}`, admin: true },
  createApiKey: { method: 'POST', path: (w) => `/v1/projects/${w.projectId}/keys`, body: () => ({}), admin: true },
  revokeApiKey: { method: 'DELETE', path: (w) => `/v1/projects/${w.projectId}/keys/${w.keyId}`, admin: true },
  createPipeline: { method: 'POST', path: () => '/v1/pipelines', body: () => ({ name: 'another', definition: simpleDefinition() }) },
  updatePipeline: {
    method: 'PATCH',
    path: (w) => `/v1/pipelines/${w.pipelineName}`,
    body: (w) => ({ name: `${w.pipelineName}-renamed`, description: 'changed' }),
  },
  deletePipeline: { method: 'DELETE', path: (w) => `/v1/pipelines/${w.pipelineName}` },
  activatePipelineVersion: { method: 'POST', path: (w) => `/v1/pipelines/${w.pipelineId}/activate`, body: () => ({ version: 2 }) },
  registerVersion: { method: 'POST', path: (w) => `/v1/pipelines/${w.pipelineId}/versions`, body: () => ({ definition: simpleDefinition('-v3') }) },
  createRun: { method: 'POST', path: (w) => `/v1/pipelines/${w.pipelineName}/runs`, body: () => ({ version: 2 }) },
  updateRun: { method: 'PATCH', path: (w) => `/v1/runs/${w.runId}`, body: () => ({ status: 'succeeded', stageResults: { fetch: 'ok' } }) },
  heartbeatRun: { method: 'POST', path: (w) => `/v1/runs/${w.runId}/heartbeat` },
  cancelRun: { method: 'POST', path: (w) => `/v1/runs/${w.runId}/cancel`, body: () => ({ reason: 'enough' }) },
  startTaskRun: { method: 'POST', path: (w) => `/v1/runs/${w.runId}/tasks`, body: () => ({ stageId: 'build', taskId: 'compile' }) },
  updateTaskRun: { method: 'PATCH', path: (w) => `/v1/task-runs/${w.taskRunId}`, body: () => ({ progress: 0.5, messages: ['half'] }) },
  replayDlqEntry: { method: 'POST', path: (w) => `/v1/dlq/${w.dlqId}/replay` },
  deleteDlqEntry: { method: 'DELETE', path: (w) => `/v1/dlq/${w.dlqId}` },
  registerService: { method: 'PUT', path: () => '/v1/services/worker', body: () => ({ tasks: [{ id: 'compile', codeHash: 'sha256-2' }] }) },
  putTaskResult: { method: 'PUT', path: () => '/v1/idempotency/result-key', body: () => ({ result: { n: 2 } }) },
};

describe('writes through the memory layer', () => {
  let cached: TestApi;
  let uncached: TestApi;
  beforeAll(async () => {
    cached = await testApi(LONG_TTL);
    // The same database with no memory layer: what every read must answer.
    uncached = await testApi({ CACHE_MAX_ENTRIES: '0' });
  });

  it('does not serve a run after deleting its pipeline (404, not the copy in memory)', async () => {
    const { key } = await newProject(cached, 'delete-pipeline-runs');
    const pipeline = await newPipeline(cached, key);
    const run = (await cached.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: key })).body;
    expect((await cached.call('GET', `/v1/runs/${run.id}`, { token: key })).status).toBe(200);
    expect((await cached.call('DELETE', `/v1/pipelines/${pipeline.id}`, { token: key })).status).toBe(204);
    expect((await cached.call('GET', `/v1/runs/${run.id}`, { token: key })).status).toBe(404);
    expect((await cached.call('GET', `/v1/pipelines/${pipeline.id}/versions/1`, { token: key })).status).toBe(404);
  });

  describe.each([
    ['', {}],
    [' (with an Idempotency-Key)', { 'Idempotency-Key': 'cache-writes-key' }],
  ])('every write%s', (_, headers: Record<string, string>) => {
    it.each(Object.keys(WRITES))('%s: no read served afterwards by this process is stale', { timeout: 120_000 }, async (operationId) => {
      const write = WRITES[operationId]!;
      const world = await buildWorld(cached);
      // A problem's requestId is the request's own: the rest must be the same.
      const read = (api: TestApi, path: string) =>
        api.call('GET', path, { token: world.key }).then(({ status, body: { requestId, ...body } }) => ({ path, status, body }));
      // Twice: the second answer comes from memory wherever the layer keeps one.
      for (let pass = 0; pass < 2; pass++) for (const path of reads(world)) await read(cached, path);

      const token = write.admin ? ADMIN_TOKEN : world.key;
      const res = await cached.call(write.method, write.path(world), { token, body: write.body?.(world), headers });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(300);

      for (const path of reads(world)) expect(await read(cached, path)).toEqual(await read(uncached, path));
    });
  });

  it('lists every write operation of the OpenAPI document', async () => {
    const doc = (await cached.call('GET', '/openapi.json')).body;
    const writes = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((ops) =>
      Object.entries(ops)
        .filter(([method]) => ['post', 'put', 'patch', 'delete'].includes(method))
        .map(([, op]) => op.operationId),
    );
    expect(writes.sort()).toEqual(Object.keys(WRITES).sort());
  });
});
