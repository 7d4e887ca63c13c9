/**
 * Round-trip budgets, counted at the driver (db/client.ts). A regression here is a latency
 * regression on every call: change the numbers only with a reason.
 */
import { describe, expect } from 'vitest';
import type { operations } from '../../functions/client/generated/openapi';
import { newPipeline, type TestApi, withId } from '../support/api';
import { test, testWith } from '../support/fixtures';

type Filter = NonNullable<operations['listProjectRuns']['parameters']['query']>;

/** The round trips one request made, which must succeed. */
async function roundTripsOf(api: TestApi, request: () => Promise<{ response: Response }>) {
  const before = api.database.roundTrips;
  const { response } = await request();
  expect(response.status).toBeLessThan(300);
  return api.database.roundTrips - before;
}

const uncached = testWith({ CACHE_TTL_MS: '0' });

describe('database round trips per request, without the memory layer (CACHE_TTL_MS=0)', () => {
  uncached('GET /v1/pipelines/{id}: key lookup + one select', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, () => client.GET('/v1/pipelines/{id}', withId(id)))).toBe(2);
  });

  uncached('POST /v1/pipelines/{id}/versions: 2 for a known definition, 6 for a new one', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const definition = { stages: [{ id: 'new-stage' }] };
    const register = () => client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition } });
    // key lookup, hash lookup, then begin, lock the pipeline, insert the next number, commit.
    expect(await roundTripsOf(api, register)).toBe(6);
    expect(await roundTripsOf(api, register)).toBe(2);
  });

  uncached('POST /v1/pipelines/{id}/activate: key lookup + one conditional update', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, () => client.POST('/v1/pipelines/{id}/activate', { ...withId(id), body: { version: 1 } }))).toBe(2);
  });

  uncached('GET /v1/runs: key lookup + one statement; + one to resolve pipeline or label filters', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key, { labels: { team: 'rt' } });
    await client.POST('/v1/pipelines/{id}/runs', { ...withId(pipeline.id), body: {} });
    const runs = (query: Filter) => () => client.GET('/v1/runs', { params: { query } });
    expect(await roundTripsOf(api, runs({ status: ['pending', 'running'], trigger: 'api' }))).toBe(2);
    expect(await roundTripsOf(api, runs({ pipeline: pipeline.name, status: 'pending' }))).toBe(3);
    expect(await roundTripsOf(api, runs({ label: 'team=rt' }))).toBe(3);
  });

  uncached(
    'GET /v1/runs/stats, /v1/task-runs, /v1/task-runs/{id}, activations and a diff: key lookup + one statement',
    async ({ api, project: { key, client } }) => {
      const pipeline = await newPipeline(api, key);
      const run = (await client.POST('/v1/pipelines/{id}/runs', { ...withId(pipeline.id), body: {} })).data!;
      await client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { status: 'running' } });
      const taskRun = (await client.POST('/v1/runs/{id}/tasks', { ...withId(run.id), body: { stageId: 'fetch', taskId: 'download' } })).data!;
      expect(await roundTripsOf(api, () => client.GET('/v1/runs/stats', { params: { query: { since: '7d' } } }))).toBe(2);
      expect(await roundTripsOf(api, () => client.GET('/v1/task-runs', { params: { query: { status: 'pending', taskId: 'download' } } }))).toBe(2);
      expect(await roundTripsOf(api, () => client.GET('/v1/task-runs/{id}', withId(taskRun.id)))).toBe(2);
      expect(await roundTripsOf(api, () => client.GET('/v1/pipelines/{id}/activations', withId(pipeline.name)))).toBe(2);
      expect(
        await roundTripsOf(api, () => client.GET('/v1/pipelines/{id}/versions/{a}/diff/{b}', { params: { path: { id: pipeline.id, a: '1', b: '1' } } })),
      ).toBe(2);
    },
  );

  uncached('a task execution (start, running, succeeded): key lookup + one statement per step', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const run = (await client.POST('/v1/pipelines/{id}/runs', { ...withId(id), body: {} })).data!;
    expect(await roundTripsOf(api, () => client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { status: 'running' } }))).toBe(2);
    const start = await client.POST('/v1/runs/{id}/tasks', { ...withId(run.id), body: { stageId: 'fetch', taskId: 'download' } });
    const before = api.database.roundTrips;
    await client.POST('/v1/runs/{id}/tasks', { ...withId(run.id), body: { stageId: 'build', taskId: 'compile' } });
    expect(api.database.roundTrips - before).toBe(2);
    const taskRun = withId(start.data!.id);
    expect(await roundTripsOf(api, () => client.PATCH('/v1/task-runs/{id}', { ...taskRun, body: { status: 'running' } }))).toBe(2);
    expect(await roundTripsOf(api, () => client.PATCH('/v1/task-runs/{id}', { ...taskRun, body: { status: 'succeeded', output: { bytes: 12 } } }))).toBe(2);
  });
});

describe('database round trips with the memory layer (defaults)', () => {
  test('a repeated GET /v1/pipelines/{id} costs none after the first', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const read = () => client.GET('/v1/pipelines/{id}', withId(id));
    expect(await roundTripsOf(api, read)).toBe(1);
    expect(await roundTripsOf(api, read)).toBe(0);
    expect(await roundTripsOf(api, read)).toBe(0);
  });

  test('a repeated GET /v1/pipelines/{id}/versions/{n} costs none after the first', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const read = () => client.GET('/v1/pipelines/{id}/versions/{numberOrHash}', { params: { path: { id, numberOrHash: '1' } } });
    expect(await roundTripsOf(api, read)).toBe(1);
    expect(await roundTripsOf(api, read)).toBe(0);
  });

  test('writes still go to the database: a new version is one lookup + a 4-statement transaction', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const register = () => client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition: { stages: [{ id: 'x' }] } } });
    expect(await roundTripsOf(api, register)).toBe(5);
  });
});
