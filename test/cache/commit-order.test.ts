/**
 * A write inside an Idempotency-Key request commits with the request's transaction. A read by
 * another request of this process between the write and that COMMIT sees the old row (on
 * PostgreSQL, from another connection; PGlite has one connection, so there the read waits for
 * the COMMIT), and what it loads must not outlive the COMMIT in memory: invalidation follows it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database, Db } from '../../db/client';
import { newPipeline, newProject, testApi, type ApiResponse, type TestApi } from '../support/api';
import { testDatabase, testDriver } from '../support/database';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The database, with a hook run when a transaction's work is done, before it commits. */
function withBeforeCommit(database: Database) {
  let beforeCommit: (() => Promise<void>) | undefined;
  const db = new Proxy(database.db, {
    get(target, prop) {
      if (prop === 'transaction') {
        return (work: (tx: unknown) => Promise<unknown>, config?: unknown) =>
          target.transaction(async (tx) => {
            const result = await work(tx);
            const hook = beforeCommit;
            beforeCommit = undefined;
            await hook?.();
            return result;
          }, config as never);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Db;
  const hooked: Database = { ...database, db, withSession: (fn) => fn(db) };
  return { database: hooked, beforeNextCommit: (hook: () => Promise<void>) => (beforeCommit = hook) };
}

interface Fixture {
  pipelineId: string;
  runId: string;
}

const CASES = [
  {
    name: 'a cancelled run',
    write: (f: Fixture) => `/v1/runs/${f.runId}/cancel`,
    body: {},
    read: (f: Fixture) => `/v1/runs/${f.runId}`,
    field: 'status',
    after: 'cancelled',
  },
  {
    name: 'a pipeline whose active version moved',
    write: (f: Fixture) => `/v1/pipelines/${f.pipelineId}/activate`,
    body: { version: 2 },
    read: (f: Fixture) => `/v1/pipelines/${f.pipelineId}`,
    field: 'activeVersion',
    after: 2,
  },
];

describe('invalidation of an idempotent write', () => {
  let api: TestApi;
  let beforeNextCommit: (hook: () => Promise<void>) => void;
  beforeAll(async () => {
    const hooked = withBeforeCommit(await testDatabase());
    beforeNextCommit = hooked.beforeNextCommit;
    api = await testApi({ CACHE_TTL_MS: '3600000' }, hooked.database);
  });

  it.each(CASES)('leaves no copy of $name read between the write and COMMIT', { timeout: 60_000 }, async (c) => {
    const { key } = await newProject(api, 'commit-order');
    const pipeline = await newPipeline(api, key);
    await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: key, body: { definition: { stages: [{ id: 'v2' }] } } });
    const run = (await api.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: key, body: {} })).body;
    const fixture = { pipelineId: pipeline.id, runId: run.id };
    const before = (await api.call('GET', c.read(fixture), { token: key })).body[c.field];
    expect(before).not.toEqual(c.after);

    let readBetween: Promise<ApiResponse> | undefined;
    beforeNextCommit(async () => {
      readBetween = api.call('GET', c.read(fixture), { token: key });
      // PostgreSQL answers from the committed (old) row at once; on PGlite the read can only
      // run after COMMIT, so the transaction must not wait for it.
      await Promise.race([readBetween, sleep(testDriver === 'pg' ? 30_000 : 200)]);
    });
    const headers = { 'Idempotency-Key': `commit-order-${c.field}` };
    expect((await api.call('POST', c.write(fixture), { token: key, body: c.body, headers })).status).toBe(200);
    expect(readBetween).toBeDefined();
    const between = await readBetween!;
    if (testDriver === 'pg') expect(between.body[c.field]).toEqual(before);

    expect((await api.call('GET', c.read(fixture), { token: key })).body[c.field]).toEqual(c.after);
  });
});
