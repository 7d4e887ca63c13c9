/**
 * API keys at the edges of their life: expiry is checked against the clock on every
 * use, even when the lookup is cached; a key whose project was deleted (by another process, so
 * this one still holds the lookup in memory) gets 401 on writes, never a 500.
 */
import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { projects } from '../../db/schema';
import { ADMIN_TOKEN, newPipeline, newProject, type TestApi, withId } from '../support/api';
import { testWith } from '../support/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A long CACHE_TTL_MS: the lookup stays cached well past the key's expiry.
const test = testWith({ CACHE_TTL_MS: '600000' });

/** A project with a pipeline, a run and a task run, its key's lookup cached; then deleted behind the app's back. */
async function deletedProject(api: TestApi) {
  const project = await newProject(api, 'doomed');
  const client = api.client(project.key);
  const pipeline = await newPipeline(api, project.key);
  const run = (await client.POST('/v1/pipelines/{id}/runs', { ...withId(pipeline.id), body: {} })).data!;
  const task = (await client.POST('/v1/runs/{id}/tasks', { ...withId(run.id), body: { stageId: 'build', taskId: 'compile' } })).data!;
  await api.database.db.delete(projects).where(eq(projects.id, project.id));
  return { key: project.key, pipeline, run, task };
}

describe('API keys at the boundaries', () => {
  test('an expiring key works until expiresAt and not a moment later, though its lookup is cached', async ({ api, project }) => {
    const expiresAt = new Date(Date.now() + 1_500);
    const created = await api.client(ADMIN_TOKEN).POST('/v1/projects/{id}/keys', { ...withId(project.id), body: { expiresAt: expiresAt.toISOString() } });
    expect(created.response.status).toBe(201);
    const client = api.client(created.data!.key);
    expect((await client.GET('/v1/pipelines')).response.status).toBe(200);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now() - 300));
    expect((await client.GET('/v1/pipelines')).response.status).toBe(200);
    await sleep(Math.max(0, expiresAt.getTime() - Date.now() + 10));
    const expired = await client.GET('/v1/pipelines');
    expect(expired.response.status).toBe(401);
    expect(expired.response.headers.get('www-authenticate')).toBe('Bearer');
  });

  const writes: [string, string, (f: Awaited<ReturnType<typeof deletedProject>>) => string, unknown, boolean][] = [
    // [method, label, path, body, creates a row naming only the project (under a pipeline or run,
    // the vanished parent answers 404 first)]
    ['POST', 'create a pipeline', () => '/v1/pipelines', { name: 'again', definition: { stages: [{ id: 'a' }] } }, true],
    ['POST', 'add a version', (f) => `/v1/pipelines/${f.pipeline.id}/versions`, { definition: { stages: [{ id: 'b' }] } }, false],
    ['POST', 'start a run', (f) => `/v1/pipelines/${f.pipeline.id}/runs`, {}, false],
    ['POST', 'start a task run', (f) => `/v1/runs/${f.run.id}/tasks`, { stageId: 'build', taskId: 'compile', attempt: 2 }, false],
    ['PUT', 'store a task result', () => '/v1/idempotency/result-1', { result: 1 }, true],
    ['PUT', 'register a service', () => '/v1/services/worker-1', { status: 'active', tasks: [] }, true],
    ['PATCH', 'update a pipeline', (f) => `/v1/pipelines/${f.pipeline.id}`, { description: 'x' }, false],
    ['DELETE', 'delete a pipeline', (f) => `/v1/pipelines/${f.pipeline.id}`, undefined, false],
    ['POST', 'activate a version', (f) => `/v1/pipelines/${f.pipeline.id}/activate`, { version: 1 }, false],
    ['PATCH', 'update a run', (f) => `/v1/runs/${f.run.id}`, { status: 'running' }, false],
    ['POST', 'heartbeat a run', (f) => `/v1/runs/${f.run.id}/heartbeat`, undefined, false],
    ['POST', 'cancel a run', (f) => `/v1/runs/${f.run.id}/cancel`, undefined, false],
    ['PATCH', 'update a task run', (f) => `/v1/task-runs/${f.task.id}`, { status: 'running' }, false],
    ['DELETE', 'delete a DLQ entry', () => '/v1/dlq/dlq_00000000000000000000000000', undefined, false],
    ['POST', 'replay a DLQ entry', () => '/v1/dlq/dlq_00000000000000000000000000/replay', undefined, false],
  ];

  // A table of every kind of write, sent untyped.
  test.for(writes)("a deleted project's key: %s %s is refused, never 5xx", async ([method, , path, body, creates], { api }) => {
    const fixture = await deletedProject(api);
    const res = await api.call(method, path(fixture), { token: fixture.key, body });
    // Creating a row for the vanished project: 401 (the key went with it). Writing to a row that
    // went with it: 404 from the cached lookup's view, or 401 once the lookup is dropped.
    if (creates) expect(res.status).toBe(401);
    else expect([401, 404]).toContain(res.status);
    if (res.status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
    // The lookup that let it in is dropped: the key is unknown from now on, for reads too.
    if (creates) expect((await api.call('GET', '/v1/pipelines', { token: fixture.key })).status).toBe(401);
  });

  test("a deleted project's key: every POST with an Idempotency-Key is 401 (the key's claim names the project)", async ({ api }) => {
    for (const [method, label, path, body] of writes.filter(([m]) => m === 'POST')) {
      const fixture = await deletedProject(api);
      const res = await api.call(method, path(fixture), { token: fixture.key, body, headers: { 'Idempotency-Key': 'k' } });
      expect(res.status, label).toBe(401);
    }
  });
});
