/**
 * GET /v1/runs: a project's runs across pipelines, every filter alone and combined, paged with
 * small pages so that every cursor is exercised; bad input named by parameter.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_WALKS_PER_PIPELINE } from '../../functions/core/run-queries';
import { newPipeline, newProject, testApi, type TestApi } from '../support/api';
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

describe('GET /v1/runs', () => {
  let api: TestApi;
  let key: string;
  const pipelines: Record<string, { id: string; name: string }> = {};
  const runs: Fixture[] = [];

  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
    pipelines.alpha = await newPipeline(api, key, { labels: { team: 'data', tier: 'gold' } });
    pipelines.beta = await newPipeline(api, key, { labels: { team: 'data' } });
    pipelines.gamma = await newPipeline(api, key, { labels: { team: 'web', note: 'a=b' } });
    let i = 0;
    for (const name of ['alpha', 'beta', 'gamma']) {
      for (const status of STATUSES) {
        for (const trigger of name === 'gamma' ? ['api'] : ['api', 'schedule']) {
          const run = await runInStatus(api, key, pipelines[name]!.id, status);
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
  });

  const get = (query: string) => api.call('GET', `/v1/runs${query ? `?${query}` : ''}`, { token: key });

  /** Every page of the list, 4 at a time. */
  async function collect(query: string) {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get([query, 'limit=4', cursor && `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join('&'));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(4);
      ids.push(...res.body.items.map((r: { id: string }) => r.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  }

  const newestFirst = (a: Fixture, b: Fixture) => b.createdAt.localeCompare(a.createdAt) || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0);
  const expected = (keep: (r: Fixture) => boolean) =>
    runs
      .filter(keep)
      .sort(newestFirst)
      .map((r) => r.id);

  it("lists the project's runs newest first, each with its pipeline's name, and only this project's", async () => {
    expect(await collect('')).toEqual(expected(() => true));
    const first = (await get('limit=1')).body.items[0];
    const fixture = runs.find((r) => r.id === first.id)!;
    expect(first).toMatchObject({ pipelineId: pipelines[fixture.pipeline]!.id, pipelineName: pipelines[fixture.pipeline]!.name, version: 1 });
  });

  it.each([
    ['pipeline by id', () => `pipeline=${pipelines.alpha!.id}`, (r: Fixture) => r.pipeline === 'alpha'],
    ['pipeline by name', () => `pipeline=${pipelines.beta!.name}`, (r: Fixture) => r.pipeline === 'beta'],
    ['two pipelines, id and name', () => `pipeline=${pipelines.alpha!.id}&pipeline=${pipelines.gamma!.name}`, (r: Fixture) => r.pipeline !== 'beta'],
    ['one status', () => 'status=failed', (r: Fixture) => r.status === 'failed'],
    ['two statuses', () => 'status=failed&status=timed_out', (r: Fixture) => ['failed', 'timed_out'].includes(r.status)],
    ['trigger', () => 'trigger=schedule', (r: Fixture) => r.trigger === 'schedule'],
    ['label', () => 'label=team%3Ddata', (r: Fixture) => r.pipeline !== 'gamma'],
    ['two labels (all must match)', () => 'label=team%3Ddata&label=tier%3Dgold', (r: Fixture) => r.pipeline === 'alpha'],
    ['a label value with "="', () => 'label=note%3Da%3Db', (r: Fixture) => r.pipeline === 'gamma'],
    ['a label nobody has', () => 'label=team%3Dnone', () => false],
    ['createdAfter (inclusive)', () => 'createdAfter=2026-01-01T00:20:00Z', (r: Fixture) => r.createdAt >= '2026-01-01T00:20:00.000Z'],
    ['createdBefore (exclusive)', () => 'createdBefore=2026-01-01T00:20:00%2B00:00', (r: Fixture) => r.createdAt < '2026-01-01T00:20:00.000Z'],
    [
      'pipelines x statuses x trigger x window',
      () =>
        `pipeline=${pipelines.alpha!.name}&pipeline=${pipelines.beta!.id}&status=succeeded&status=failed&trigger=api` +
        '&createdAfter=2026-01-01T00:05:00Z&createdBefore=2026-01-01T00:35:00Z',
      (r: Fixture) =>
        r.pipeline !== 'gamma' &&
        ['succeeded', 'failed'].includes(r.status) &&
        r.trigger === 'api' &&
        r.createdAt >= '2026-01-01T00:05:00.000Z' &&
        r.createdAt < '2026-01-01T00:35:00.000Z',
    ],
    ['label x status', () => 'label=team%3Ddata&status=running', (r: Fixture) => r.pipeline !== 'gamma' && r.status === 'running'],
    ['pipeline and a label it lacks', () => `pipeline=${pipelines.gamma!.id}&label=team%3Ddata`, () => false],
  ])('filters by %s, across pages', async (_, query, keep) => {
    expect(await collect(query())).toEqual(expected(keep));
  });

  it(`walks the project index, filtered by pipeline, for more than ${MAX_WALKS_PER_PIPELINE} pipelines: same results`, async () => {
    const names = Array.from({ length: MAX_WALKS_PER_PIPELINE }, (_, n) => `pipeline=not-${n}`);
    expect((await get(names.join('&'))).status).toBe(400); // unknown names are named, not ignored
    const many = await newPipelinesWithoutRuns(MAX_WALKS_PER_PIPELINE);
    const query = [...many.map((p) => `pipeline=${p.id}`), `pipeline=${pipelines.alpha!.id}`, 'status=failed'].join('&');
    expect(await collect(query)).toEqual(expected((r) => r.pipeline === 'alpha' && r.status === 'failed'));
  });

  async function newPipelinesWithoutRuns(count: number) {
    return Promise.all(Array.from({ length: count }, () => newPipeline(api, key)));
  }

  describe('bad input: 400 naming the parameter', () => {
    it.each([
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
    ])('%s', async (query, path) => {
      const res = await get(query);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path.replace(/\.\d+$/, ''))).toContain(path);
    });

    it('refuses a cursor reused with other filters', async () => {
      const page = await get('status=failed&limit=1');
      const cursor = encodeURIComponent(page.body.nextCursor);
      expect((await get(`status=failed&limit=1&cursor=${cursor}`)).status).toBe(200);
      // Order and repetition of values do not make another filter set.
      expect((await get(`status=failed&status=failed&limit=1&cursor=${cursor}`)).status).toBe(200);
      for (const other of ['status=running', '', 'status=failed&trigger=api', `status=failed&pipeline=${pipelines.alpha!.id}`]) {
        const res = await get(`${other}&limit=1&cursor=${cursor}`);
        expect(res.status, other).toBe(400);
        expect(res.body.errors[0].path).toBe('query.cursor');
      }
    });

    it('refuses a pipeline of another project as unknown (400), never showing its runs', async () => {
      const other = await newProject(api, 'other');
      const theirs = await newPipeline(api, other.key);
      const res = await get(`pipeline=${theirs.id}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('query.pipeline');
    });
  });
});
