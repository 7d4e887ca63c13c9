/**
 * What the log says about a failed request: the statement's name, the SQLSTATE and the database's
 * message, never a parameter value (run inputs, names, an API key's hash, prefix or last four).
 * A trigger makes inserts of marked rows fail with a message that quotes the whole row, the worst
 * case: the database itself echoing request data back.
 */
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiKeys } from '../../db/schema';
import { errorFields, statementName } from '../../functions/log';
import { ADMIN_TOKEN, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

const SECRET = 'explode-secret-value-9f3c';

describe('error logs', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  let lines: Record<string, any>[];

  beforeAll(async () => {
    api = await testApi({ LOG_LEVEL: 'warn' });
    project = await newProject(api, 'error-logs');
    await api.database.db.execute(sql`
      create or replace function pipestore_test_explode() returns trigger language plpgsql as $$
      begin
        if new.name like 'explode-%' then
          raise exception 'refused row %', row_to_json(new)::text;
        end if;
        return new;
      end $$`);
    for (const table of ['pipelines', 'api_keys'])
      await api.database.db.execute(
        sql.raw(`create or replace trigger pipestore_test_explode before insert on ${table} for each row execute function pipestore_test_explode()`),
      );
  });
  afterAll(async () => {
    for (const table of ['pipelines', 'api_keys']) await api.database.db.execute(sql.raw(`drop trigger if exists pipestore_test_explode on ${table}`));
  });

  beforeEach(() => {
    lines = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      if (String(chunk).startsWith('{"level"')) lines.push(JSON.parse(String(chunk)));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  it('a 500 from a failed insert logs the statement, SQLSTATE and message without the values', async () => {
    const input = { name: SECRET, description: 'run input kept private', definition: simpleDefinition() };
    const res = await api.call('POST', '/v1/pipelines', { token: project.key, body: input });
    expect(res.status).toBe(500);
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({ level: 'error', msg: 'request failed', status: 500 });
    expect(line.error).toMatchObject({ statement: 'insert pipelines', sqlState: 'P0001' });
    expect(line.error.message).toMatch(/^refused row /);
    const text = JSON.stringify(line);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('run input kept private');
    expect(text).not.toContain(project.id);
    expect(text).not.toMatch(/Failed query|params:/);
  });

  it('a request the client aborted is logged at warn as a client abort, not as a server error', async () => {
    const controller = new AbortController();
    controller.abort();
    const res = await api.app.request('/v1/pipelines', {
      method: 'POST',
      signal: controller.signal,
      headers: { Authorization: `Bearer ${project.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `${SECRET}-2`, definition: simpleDefinition() }),
    });
    expect(res.status).toBe(500);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'client aborted the request', status: 500 })]);
    expect(JSON.stringify(lines)).not.toContain(SECRET);
  });

  it('no parameter of a statement touching api_keys is ever logged (hash, prefix, last four)', async () => {
    const created = await api.call('POST', `/v1/projects/${project.id}/keys`, { token: ADMIN_TOKEN, body: { name: 'explode-key' } });
    expect(created.status).toBe(500);
    const line = lines[0]!;
    expect(line.error).toMatchObject({ statement: 'insert api_keys', sqlState: 'P0001' });
    // The row the trigger quoted held the key's hash, prefix and last four: all cut out.
    expect(line.error.message).toContain('[redacted]');
    expect(JSON.stringify(line)).not.toMatch(/"hash":"[0-9a-f]{64}"|ps_[A-Za-z0-9_-]{7}|explode-key/);
  });

  it('errorFields: a driver error under Drizzle gives its code and constraint, never detail or params', async () => {
    const error = await api.database.db
      .insert(apiKeys)
      .values({ id: 'key_x', projectId: 'no-such-project', prefix: 'ps_abcdefg', hash: 'a'.repeat(64), lastFour: 'wxyz' })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const fields = errorFields(error);
    expect(fields).toMatchObject({ statement: 'insert api_keys', sqlState: '23503', constraint: expect.stringContaining('project') });
    const text = JSON.stringify(fields);
    for (const value of ['no-such-project', 'ps_abcdefg', 'a'.repeat(64), 'wxyz', 'key_x']) expect(text).not.toContain(value);
  });

  it('statementName: the verb and first table of a statement', () => {
    expect(statementName('insert into "api_keys" ("id") values ($1)')).toBe('insert api_keys');
    expect(statementName('select "id" from "pipelines" where "id" = $1')).toBe('select pipelines');
    expect(statementName('update "pipeline_runs" set "status" = $1')).toBe('update pipeline_runs');
    expect(statementName('delete from "idempotency_keys" where true')).toBe('delete idempotency_keys');
  });
});
