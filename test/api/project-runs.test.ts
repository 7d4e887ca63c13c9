/**
 * GET /v1/runs: a project's runs across pipelines, every filter alone and combined, paged with
 * small pages so that every cursor is exercised; bad input named by parameter.
 */
import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import type { operations } from '../../functions/client/generated/openapi';
import { MAX_WALKS_PER_PIPELINE } from '../../functions/core/run-queries';
import { type CreatedPipeline, newPipeline, newProject, type TypedClient } from '../support/api';
import { test as projectTest } from '../support/fixtures';
import { runInStatus } from '../support/runs';

interface Fixture {
  id: string;
  pipeline: string;
  status: string;
  trigger: string;
  createdAt: string;
}

const BASE = Date.parse('2026-01-01T00:00:00.000Z');
const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
type Filter = NonNullable<operations['listProjectRuns']['parameters']['query']>;
type Pipelines = Record<'alpha' | 'beta' | 'gamma', CreatedPipeline>;

/**
 * One project's 30 runs of three labelled pipelines, every status and trigger, spread over 40
 * minutes, plus another project's run, built once for the file: every test only reads them.
 */
const test = projectTest.extend('runs', { scope: 'file' }, async ({ api }) => {
  const { key } = await newProject(api);
  const pipelines: Pipelines = {
    alpha: await newPipeline(api, key, { labels: { team: 'data', tier: 'gold' } }),
    beta: await newPipeline(api, key, { labels: { team: 'data' } }),
    gamma: await newPipeline(api, key, { labels: { team: 'web', note: 'a=b' } }),
  };
  const runs: Fixture[] = [];
  let i = 0;
  for (const name of ['alpha', 'beta', 'gamma'] as const) {
    for (const status of STATUSES) {
      for (const trigger of name === 'gamma' ? ['api'] : ['api', 'schedule']) {
        const run = await runInStatus(api, key, pipelines[name].id, status);
        // Spread over time, interleaving pipelines; two runs share a timestamp (ties break on id).
        const createdAt = new Date(BASE + ((i * 7) % 40) * 60_000).toISOString();
        i++;
        await api.database.db.execute(sql`update pipeline_runs set trigger = ${trigger}, created_at = ${createdAt}::timestamptz where id = ${run.id}`);
        runs.push({ id: run.id, pipeline: name, status, trigger, createdAt });
      }
    }
  }
  // Another project's runs never show.
  const stranger = (await newProject(api, 'stranger')).key;
  await runInStatus(api, stranger, (await newPipeline(api, stranger)).id, 'failed');
  return { key, client: api.client(key), pipelines, list: runs };
});

const list = (client: TypedClient, query: Filter) => client.GET('/v1/runs', { params: { query } });

/** Every page of the list, 4 at a time. */
async function collect(client: TypedClient, query: Filter) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const res = await list(client, { ...query, limit: 4, cursor });
    expect(res.response.status, JSON.stringify(res.error)).toBe(200);
    expect(res.data!.items.length).toBeLessThanOrEqual(4);
    ids.push(...res.data!.items.map((r) => r.id));
    cursor = res.data!.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

const newestFirst = (a: Fixture, b: Fixture) => b.createdAt.localeCompare(a.createdAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
const expected = (runs: Fixture[], keep: (r: Fixture) => boolean) =>
  runs
    .filter(keep)
    .sort(newestFirst)
    .map((r) => r.id);

describe('GET /v1/runs', () => {
  test("lists the project's runs newest first, each with its pipeline's name, and only this project's", async ({ runs: { client, pipelines, list: runs } }) => {
    expect(await collect(client, {})).toEqual(expected(runs, () => true));
    const first = (await list(client, { limit: 1 })).data!.items[0]!;
    const fixture = runs.find((r) => r.id === first.id)!;
    const pipeline = pipelines[fixture.pipeline as keyof Pipelines];
    expect(first).toMatchObject({ pipelineId: pipeline.id, pipelineName: pipeline.name, version: 1 });
  });

  test.for([
    ['pipeline by id', (p: Pipelines) => ({ pipeline: p.alpha.id }), (r: Fixture) => r.pipeline === 'alpha'],
    ['pipeline by name', (p: Pipelines) => ({ pipeline: p.beta.name }), (r: Fixture) => r.pipeline === 'beta'],
    ['two pipelines, id and name', (p: Pipelines) => ({ pipeline: [p.alpha.id, p.gamma.name] }), (r: Fixture) => r.pipeline !== 'beta'],
    ['one status', () => ({ status: 'failed' }), (r: Fixture) => r.status === 'failed'],
    ['two statuses', () => ({ status: ['failed', 'timed_out'] }), (r: Fixture) => ['failed', 'timed_out'].includes(r.status)],
    ['trigger', () => ({ trigger: 'schedule' }), (r: Fixture) => r.trigger === 'schedule'],
    ['label', () => ({ label: 'team=data' }), (r: Fixture) => r.pipeline !== 'gamma'],
    ['two labels (all must match)', () => ({ label: ['team=data', 'tier=gold'] }), (r: Fixture) => r.pipeline === 'alpha'],
    ['a label value with "="', () => ({ label: 'note=a=b' }), (r: Fixture) => r.pipeline === 'gamma'],
    ['a label nobody has', () => ({ label: 'team=none' }), () => false],
    ['createdAfter (inclusive)', () => ({ createdAfter: '2026-01-01T00:20:00Z' }), (r: Fixture) => r.createdAt >= '2026-01-01T00:20:00.000Z'],
    ['createdBefore (exclusive)', () => ({ createdBefore: '2026-01-01T00:20:00+00:00' }), (r: Fixture) => r.createdAt < '2026-01-01T00:20:00.000Z'],
    [
      'pipelines x statuses x trigger x window',
      (p: Pipelines) => ({
        pipeline: [p.alpha.name, p.beta.id],
        status: ['succeeded', 'failed'],
        trigger: 'api',
        createdAfter: '2026-01-01T00:05:00Z',
        createdBefore: '2026-01-01T00:35:00Z',
      }),
      (r: Fixture) =>
        r.pipeline !== 'gamma' &&
        ['succeeded', 'failed'].includes(r.status) &&
        r.trigger === 'api' &&
        r.createdAt >= '2026-01-01T00:05:00.000Z' &&
        r.createdAt < '2026-01-01T00:35:00.000Z',
    ],
    ['label x status', () => ({ label: 'team=data', status: 'running' }), (r: Fixture) => r.pipeline !== 'gamma' && r.status === 'running'],
    ['pipeline and a label it lacks', (p: Pipelines) => ({ pipeline: p.gamma.id, label: 'team=data' }), () => false],
  ] as [string, (p: Pipelines) => Filter, (r: Fixture) => boolean][])(
    'filters by %s, across pages',
    async ([, query, keep], { runs: { client, pipelines, list: runs } }) => {
      expect(await collect(client, query(pipelines))).toEqual(expected(runs, keep));
    },
  );

  test(`walks the project index, filtered by pipeline, for more than ${MAX_WALKS_PER_PIPELINE} pipelines: same results`, async ({
    api,
    runs: { key, client, pipelines, list: runs },
  }) => {
    const names = Array.from({ length: MAX_WALKS_PER_PIPELINE }, (_, n) => `not-${n}`);
    expect((await list(client, { pipeline: names })).response.status).toBe(400); // unknown names are named, not ignored
    const many = await Promise.all(Array.from({ length: MAX_WALKS_PER_PIPELINE }, () => newPipeline(api, key)));
    const query: Filter = { pipeline: [...many.map((p) => p.id), pipelines.alpha.id], status: 'failed' };
    expect(await collect(client, query)).toEqual(expected(runs, (r) => r.pipeline === 'alpha' && r.status === 'failed'));
  });

  describe('bad input: 400 naming the parameter', () => {
    // Query strings the parameters' schemas refuse, so sent untyped.
    test.for([
      ['status=finished', 'query.status'],
      ['status=failed&status=nope', 'query.status'],
      ['trigger=cron', 'query.trigger'],
      ['label=team', 'query.label'],
      ['label=%3Dvalue', 'query.label'],
      ['createdAfter=yesterday', 'query.createdAfter'],
      ['createdBefore=2026-01-01', 'query.createdBefore'],
      ['createdAfter=2026-01-02T00:00:00Z&createdBefore=2026-01-01T00:00:00Z', 'query.createdAfter'],
      ['pipeline=no-such-pipeline', 'query.pipeline'],
      ['limit=0', 'query.limit'],
      ['cursor=abc', 'query.cursor'],
      ['colour=red', 'query.colour'],
    ])('%s', async ([query, path], { api, runs: { key } }) => {
      const res = await api.call('GET', `/v1/runs?${query}`, { token: key });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path.replace(/\.\d+$/, ''))).toContain(path);
    });

    test('refuses a cursor reused with other filters', async ({ runs: { client, pipelines } }) => {
      const page = await list(client, { status: 'failed', limit: 1 });
      const cursor = page.data!.nextCursor!;
      expect((await list(client, { status: 'failed', limit: 1, cursor })).response.status).toBe(200);
      // Order and repetition of values do not make another filter set.
      expect((await list(client, { status: ['failed', 'failed'], limit: 1, cursor })).response.status).toBe(200);
      const others: [string, Filter][] = [
        ['status=running', { status: 'running' }],
        ['', {}],
        ['status=failed&trigger=api', { status: 'failed', trigger: 'api' }],
        [`status=failed&pipeline=${pipelines.alpha.id}`, { status: 'failed', pipeline: pipelines.alpha.id }],
      ];
      for (const [other, query] of others) {
        const res = await list(client, { ...query, limit: 1, cursor });
        expect(res.response.status, other).toBe(400);
        expect(res.error?.errors?.[0]?.path).toBe('query.cursor');
      }
    });

    test('refuses a pipeline of another project as unknown (400), never showing its runs', async ({ api, runs: { client } }) => {
      const other = await newProject(api, 'other');
      const theirs = await newPipeline(api, other.key);
      const res = await list(client, { pipeline: theirs.id });
      expect(res.response.status).toBe(400);
      expect(res.error?.errors?.[0]?.path).toBe('query.pipeline');
    });
  });
});
