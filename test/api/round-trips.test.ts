/**
 * Round-trip budgets, counted at the driver (db/client.ts). A regression here is a latency
 * regression on every call: change the numbers only with a reason.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, newProject, testApi, type TestApi } from '../support/api';

async function roundTripsOf(api: TestApi, key: string, method: string, path: string, body?: unknown) {
  const before = api.database.roundTrips;
  const res = await api.call(method, path, { token: key, body });
  expect(res.status).toBeLessThan(300);
  return api.database.roundTrips - before;
}

describe('database round trips per request, without the memory layer (CACHE_TTL_MS=0)', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi({ CACHE_TTL_MS: '0' });
    key = (await newProject(api)).key;
  });

  it('GET /v1/pipelines/{id}: key lookup + one select', async () => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}`)).toBe(2);
  });

  it('POST /v1/pipelines/{id}/versions: 2 for a known definition, 6 for a new one', async () => {
    const { id } = await newPipeline(api, key);
    const definition = { stages: [{ id: 'new-stage' }] };
    // key lookup, hash lookup, then begin, lock the pipeline, insert the next number, commit.
    expect(await roundTripsOf(api, key, 'POST', `/v1/pipelines/${id}/versions`, { definition })).toBe(6);
    expect(await roundTripsOf(api, key, 'POST', `/v1/pipelines/${id}/versions`, { definition })).toBe(2);
  });

  it('POST /v1/pipelines/{id}/activate: key lookup + one conditional update', async () => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, key, 'POST', `/v1/pipelines/${id}/activate`, { version: 1 })).toBe(2);
  });

  it('GET /v1/runs: key lookup + one statement; + one to resolve pipeline or label filters', async () => {
    const pipeline = await newPipeline(api, key, { labels: { team: 'rt' } });
    await api.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: key, body: {} });
    expect(await roundTripsOf(api, key, 'GET', '/v1/runs?status=pending&status=running&trigger=api')).toBe(2);
    expect(await roundTripsOf(api, key, 'GET', `/v1/runs?pipeline=${pipeline.name}&status=pending`)).toBe(3);
    expect(await roundTripsOf(api, key, 'GET', '/v1/runs?label=team%3Drt')).toBe(3);
  });

  it('GET /v1/runs/stats, /v1/task-runs, /v1/task-runs/{id}, activations and a diff: key lookup + one statement', async () => {
    const pipeline = await newPipeline(api, key);
    const run = (await api.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: key, body: {} })).body;
    await api.call('PATCH', `/v1/runs/${run.id}`, { token: key, body: { status: 'running' } });
    const taskRun = (await api.call('POST', `/v1/runs/${run.id}/tasks`, { token: key, body: { stageId: 'fetch', taskId: 'download' } })).body;
    expect(await roundTripsOf(api, key, 'GET', '/v1/runs/stats?since=7d')).toBe(2);
    expect(await roundTripsOf(api, key, 'GET', '/v1/task-runs?status=pending&taskId=download')).toBe(2);
    expect(await roundTripsOf(api, key, 'GET', `/v1/task-runs/${taskRun.id}`)).toBe(2);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${pipeline.name}/activations`)).toBe(2);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${pipeline.id}/versions/1/diff/1`)).toBe(2);
  });

  it('a task execution (start, running, succeeded): key lookup + one statement per step', async () => {
    const { id } = await newPipeline(api, key);
    const run = (await api.call('POST', `/v1/pipelines/${id}/runs`, { token: key, body: {} })).body;
    expect(await roundTripsOf(api, key, 'PATCH', `/v1/runs/${run.id}`, { status: 'running' })).toBe(2);
    const start = await api.call('POST', `/v1/runs/${run.id}/tasks`, { token: key, body: { stageId: 'fetch', taskId: 'download' } });
    const before = api.database.roundTrips;
    await api.call('POST', `/v1/runs/${run.id}/tasks`, { token: key, body: { stageId: 'build', taskId: 'compile' } });
    expect(api.database.roundTrips - before).toBe(2);
    const path = `/v1/task-runs/${start.body.id}`;
    expect(await roundTripsOf(api, key, 'PATCH', path, { status: 'running' })).toBe(2);
    expect(await roundTripsOf(api, key, 'PATCH', path, { status: 'succeeded', output: { bytes: 12 } })).toBe(2);
  });
});

describe('database round trips with the memory layer (defaults)', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
  });

  it('a repeated GET /v1/pipelines/{id} costs none after the first', async () => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}`)).toBe(1);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}`)).toBe(0);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}`)).toBe(0);
  });

  it('a repeated GET /v1/pipelines/{id}/versions/{n} costs none after the first', async () => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}/versions/1`)).toBe(1);
    expect(await roundTripsOf(api, key, 'GET', `/v1/pipelines/${id}/versions/1`)).toBe(0);
  });

  it('writes still go to the database: a new version is one lookup + a 4-statement transaction', async () => {
    const { id } = await newPipeline(api, key);
    expect(await roundTripsOf(api, key, 'POST', `/v1/pipelines/${id}/versions`, { definition: { stages: [{ id: 'x' }] } })).toBe(5);
  });
});
