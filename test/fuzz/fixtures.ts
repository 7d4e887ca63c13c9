/**
 * What the fuzzer's requests point at: a project with its key, a pipeline, a run, a task run, a
 * DLQ entry, a service and a stored task result, made through the API itself; and known-good
 * bodies per operation, so that most requests get past validation to the database.
 */
import type { Client } from './http-client';

export interface Fixtures {
  projectId: string;
  key: string;
  spareKeyId: string;
  pipelineId: string;
  pipelineName: string;
  runId: string;
  taskRunId: string;
  dlqId: string;
  serviceId: string;
  taskName: string;
  taskKey: string;
  versionHash: string;
  /** Cursors seen in list responses: genuine ones, to be replayed on other lists and operations. */
  cursors: string[];
}

export const DEFINITION = {
  stages: [
    { id: 'fetch', tasks: [{ id: 'download', task: 'http.get' }] },
    { id: 'build', dependsOn: ['fetch'], tasks: [{ id: 'compile', task: 'compile', config: { optimize: true } }] },
  ],
};

export let counter = 0;
export const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Known-good bodies per operation, so that most requests get past validation to the database. */
export const EXAMPLES: Record<string, ((f: Fixtures) => unknown)[]> = {
  createProject: [() => ({ name: 'fuzz project' })],
  createApiKey: [() => ({}), () => ({ name: 'fuzz key' }), () => ({ expiresAt: '2999-01-01T00:00:00+02:00' })],
  createPipeline: [
    () => ({ name: `fuzz-${unique()}`, definition: DEFINITION }),
    () => ({ name: `fuzz-${unique()}`, description: 'd', schedule: '0 3 * * *', labels: { team: 'x' }, definition: DEFINITION }),
  ],
  updatePipeline: [() => ({ description: 'updated' }), () => ({ labels: { a: 'b' } }), () => ({ schedule: null })],
  activatePipelineVersion: [() => ({ version: 1 })],
  registerVersion: [() => ({ definition: { stages: [{ id: 'only', tasks: [{ id: 't', task: `task.${unique()}` }] }] } }), () => ({ definition: DEFINITION })],
  createRun: [() => ({}), () => ({ version: 1 }), () => ({ input: { a: [1, 'two', null] } })],
  updateRun: [
    () => ({ currentStage: 'fetch' }),
    () => ({ stageResults: { fetch: { ok: true } } }),
    () => ({ status: 'succeeded', output: { n: 1 } }),
    () => ({ status: 'running' }),
  ],
  heartbeatRun: [() => ({})],
  cancelRun: [() => ({}), () => ({ reason: 'fuzz' })],
  startTaskRun: [() => ({ stageId: 'fetch', taskId: 'download', attempt: 1 + (counter++ % 900), status: 'running', input: { x: 1 } })],
  updateTaskRun: [() => ({ progress: 0.5, messages: ['half'] }), () => ({ status: 'succeeded', output: [1] }), () => ({ status: 'failed', error: { e: 1 } })],
  replayDlqEntry: [() => ({})],
  putTaskResult: [() => ({ result: { ok: true }, ttlSeconds: 60 }), () => ({ result: null })],
  registerService: [
    () => ({ tasks: [{ id: 'fuzz.task', codeHash: `h${counter++}`, maxAttempts: 3, timeoutSeconds: 60 }] }),
    () => ({ version: '1.0.0', baseUrl: 'https://worker.example', status: 'draining', tasks: [] }),
  ],
};

/** What a path parameter of a genuine resource is, from the collection it is under. */
export function fixtureParam(template: string, name: string, f: Fixtures, operationId: string): string {
  if (name === 'keyId') return f.spareKeyId;
  if (name === 'numberOrHash' || name === 'a' || name === 'b') return '1';
  const collection = template.split('/')[2];
  switch (collection) {
    case 'projects':
      return f.projectId;
    case 'pipelines':
      return operationId === 'getPipeline' && counter % 2 ? f.pipelineName : f.pipelineId;
    case 'runs':
      return f.runId;
    case 'task-runs':
      return f.taskRunId;
    case 'dlq':
      return f.dlqId;
    case 'services':
      return f.serviceId;
    case 'tasks':
      return f.taskName;
    case 'idempotency':
      return f.taskKey;
    default:
      return `unknown_${name}`;
  }
}

export async function makeFixtures(client: Client, adminToken: string, setup: { count: number }): Promise<Fixtures> {
  const call = async (method: string, path: string, token: string, body?: unknown, expected?: number[]) => {
    setup.count++;
    const res = await client.send({
      method,
      path,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
    if (expected && !expected.includes(res.status)) throw new Error(`fixture ${method} ${path}: ${res.status} ${res.text}`);
    return JSON.parse(res.text || 'null');
  };
  const project = await call('POST', '/v1/projects', adminToken, { name: 'fuzz' }, [201]);
  const key = await call('POST', `/v1/projects/${project.id}/keys`, adminToken, {}, [201]);
  const spare = await call('POST', `/v1/projects/${project.id}/keys`, adminToken, {}, [201]);
  const k = key.key as string;
  const pipeline = await call('POST', '/v1/pipelines', k, { name: `fuzz-${unique()}`, definition: DEFINITION }, [201]);
  await call('POST', `/v1/pipelines/${pipeline.id}/runs`, k, {}, [201]);
  const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, k, {}, [201]);
  await call('PATCH', `/v1/runs/${run.id}`, k, { status: 'running' }, [200]);
  const taskRun = await call('POST', `/v1/runs/${run.id}/tasks`, k, { stageId: 'fetch', taskId: 'download', status: 'running' }, [201]);
  const failing = await call('POST', `/v1/runs/${run.id}/tasks`, k, { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' }, [201]);
  await call('PATCH', `/v1/task-runs/${failing.id}`, k, { status: 'failed' }, [200]);
  const dlq = await call('GET', '/v1/dlq', k, undefined, [200]);
  await call('PUT', '/v1/services/fuzz-worker', k, { tasks: [{ id: 'fuzz.task', codeHash: 'h0' }] }, [201]);
  await call('PUT', '/v1/idempotency/fuzz-key', k, { result: { ok: true } }, [201]);
  const runs = await call('GET', `/v1/pipelines/${pipeline.id}/runs?limit=1`, k, undefined, [200]);
  return {
    projectId: project.id,
    key: k,
    spareKeyId: spare.id,
    pipelineId: pipeline.id,
    pipelineName: pipeline.name,
    runId: run.id,
    taskRunId: taskRun.id,
    dlqId: dlq.items[0].id,
    serviceId: 'fuzz-worker',
    taskName: 'fuzz.task',
    taskKey: 'fuzz-key',
    versionHash: pipeline.version.hash,
    cursors: runs.nextCursor ? [runs.nextCursor] : [],
  };
}
