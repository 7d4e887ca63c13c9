/**
 * A key answered from a stale cache entry may read, never write (functions/api/auth.ts). The
 * refused write says why the database could not be asked, as any other request would: no free
 * connection slot is `database_connections_exhausted` (Retry-After 2), not a network outage.
 */
import { describe, expect, it } from 'vitest';
import type { Database, Db } from '../../db/client';
import { ConnectionsExhaustedError, DatabaseUnavailableError } from '../../db/errors';
import { newProject, simpleDefinition, testApi } from '../support/api';
import { testDatabase } from '../support/database';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The database, refusing every statement with `failure()` while one is set. */
async function refusableDatabase() {
  const database = await testDatabase();
  let failure: (() => Error) | undefined;
  const db = new Proxy(database.db, {
    get(target, prop) {
      if (failure) throw failure();
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as Db;
  const refusable: Database = { ...database, db, withSession: (fn) => fn(db) };
  return { database: refusable, refuseWith: (f: (() => Error) | undefined) => (failure = f) };
}

describe('a write authenticated from a stale key entry', () => {
  it.each([
    ['no connection slot is free', () => new ConnectionsExhaustedError('sorry, too many clients already', '53300'), 'database_connections_exhausted', '2'],
    ['the database is unreachable', () => new DatabaseUnavailableError('connect ECONNREFUSED'), 'database_unavailable', '5'],
  ])('is refused with the reason the database could not be asked: %s', async (_, failure, code, retryAfter) => {
    const { database, refuseWith } = await refusableDatabase();
    const api = await testApi({ CACHE_TTL_MS: '50', CACHE_STALE_IF_ERROR_MS: '60000' }, database);
    const { key } = await newProject(api, 'stale-auth-cause');
    expect((await api.call('GET', '/v1/pipelines', { token: key })).status).toBe(200); // the key is now in memory
    await sleep(80); // past CACHE_TTL_MS: the entry is stale, served only while the database cannot answer

    refuseWith(failure);
    try {
      const write = await api.call('POST', '/v1/pipelines', { token: key, body: { name: 'refused', definition: simpleDefinition() } });
      expect(write.status).toBe(503);
      expect(write.body.code).toBe(code);
      expect(write.headers.get('retry-after')).toBe(retryAfter);
    } finally {
      refuseWith(undefined);
    }
  });
});
