/**
 * What db/errors.ts makes of driver failures: which ones provably never reached the
 * server (the only writes db/client.ts may send again), pool saturation apart from unavailability,
 * and a statement timeout counted as unavailability.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionsExhaustedError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  LockNotAvailableError,
  NotNullViolationError,
  PoolSaturatedError,
  StatementTimeoutError,
  UniqueViolationError,
  asDatabaseError,
  isConnectionError,
  neverSent,
} from '../../db/errors';
import { toProblem } from '../../functions/api/problem';

const withCode = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('database errors', () => {
  it.each([
    ['connection refused', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout')],
    ["the client's own connect timeout", new Error('timeout expired')],
    ['a client known broken', new Error('Client has encountered a connection error and is not queryable')],
    ['the server starting up (57P03)', withCode('the database system is starting up', '57P03')],
  ])('%s: never reached the server', (_, err) => {
    expect(neverSent(err)).toBe(true);
    expect(asDatabaseError(err)).toBeInstanceOf(DatabaseUnavailableError);
  });

  it.each([
    ['a reset mid-statement', withCode('read ECONNRESET', 'ECONNRESET')],
    ['a connection lost mid-statement', new Error('Connection terminated unexpectedly')],
    ['no reply in time', new Error('Query read timeout')],
  ])('%s: may have run, so it is not sent again', (_, err) => {
    expect(neverSent(err)).toBe(false);
    expect(asDatabaseError(err)).toBeInstanceOf(DatabaseUnavailableError);
  });

  it('a full pool is saturation: 503 pool_saturated, not database_unavailable', () => {
    const err = new Error('timeout exceeded when trying to connect');
    expect(asDatabaseError(err)).toBeInstanceOf(PoolSaturatedError);
    expect(toProblem(err)).toMatchObject({ status: 503, code: 'pool_saturated', headers: { 'Retry-After': '1' } });
    expect(toProblem(withCode('connect ECONNREFUSED', 'ECONNREFUSED'))).toMatchObject({ status: 503, code: 'database_unavailable' });
  });

  it.each([
    ['node-postgres, all slots taken', withCode('sorry, too many clients already', '53300')],
    ['node-postgres, only reserved slots left', withCode('remaining connection slots are reserved for non-replication superuser connections', '53300')],
    ['the Data API relaying the server', new Error('FATAL: remaining connection slots are reserved for roles with the SUPERUSER attribute; SQLState: 53300')],
    ['wrapped by Drizzle', new Error('Failed query: select 1', { cause: withCode('sorry, too many clients already', '53300') })],
  ])('no connection slot left (%s): 503 database_connections_exhausted with Retry-After, retried by the handlers', (_, err) => {
    expect(asDatabaseError(err)).toBeInstanceOf(ConnectionsExhaustedError);
    // Unavailability for the memory layer (stale entries may answer) and the handlers' retries.
    expect(asDatabaseError(err)).toBeInstanceOf(DatabaseUnavailableError);
    expect(isConnectionError(err)).toBe(true);
    expect(toProblem(err)).toMatchObject({ status: 503, code: 'database_connections_exhausted', headers: { 'Retry-After': '2' } });
  });

  it('a statement timeout (57014) is unavailability: 503 with Retry-After', () => {
    const err = withCode('canceling statement due to statement timeout', '57014');
    expect(asDatabaseError(err)).toBeInstanceOf(DatabaseUnavailableError);
    expect(toProblem(err)).toMatchObject({ status: 503, headers: { 'Retry-After': expect.any(String) } });
  });

  it.each([
    ['23502', 'a not-null violation', NotNullViolationError],
    ['23503', 'a foreign key violation', ForeignKeyViolationError],
    ['23505', 'a unique violation', UniqueViolationError],
    ['57014', 'a statement timeout', StatementTimeoutError],
    ['55P03', 'a lock timeout', LockNotAvailableError],
  ])('SQLSTATE %s is %s, a type of its own (the core compares types, never SQLSTATEs)', (state, _, type) => {
    expect(asDatabaseError(withCode('failed', state))).toBeInstanceOf(type);
    // From the Data API, the state is only in the message.
    expect(asDatabaseError(new Error(`failed; SQLState: ${state}`))).toBeInstanceOf(type);
  });

  it('a lock timeout stays a conflict (409) and a statement timeout unavailability (503)', () => {
    expect(asDatabaseError(withCode('lock', '55P03'))).toBeInstanceOf(ConflictError);
    expect(toProblem(withCode('lock', '55P03'))).toMatchObject({ status: 409, code: 'concurrent_update' });
    expect(asDatabaseError(withCode('timeout', '57014'))).toBeInstanceOf(DatabaseUnavailableError);
    expect(toProblem(withCode('not null', '23502'))).toMatchObject({ status: 500, code: 'internal_error' });
  });

  it('a foreign key naming a vanished project is 401 (the key went with its project); others stay what they were', () => {
    const project = Object.assign(withCode('insert violates foreign key', '23503'), { constraint: 'pipelines_project_id_projects_id_fk' });
    expect(asDatabaseError(project)).toBeInstanceOf(ForeignKeyViolationError);
    expect(toProblem(project)).toMatchObject({ status: 401, code: 'unauthorized' });
    const other = Object.assign(withCode('insert violates foreign key', '23503'), { constraint: 'task_runs_run_id_pipeline_runs_id_fk' });
    expect(toProblem(other).status).toBe(500);
  });
});
