/**
 * Driver-neutral database errors. node-postgres and PGlite expose the SQLSTATE as `code`; the
 * Data API only puts it in the message (`…; SQLState: 23505`); Drizzle wraps all of them in a
 * `DrizzleQueryError` whose message contains the SQL. The API maps these types to status codes and
 * never shows the original text.
 */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly sqlState?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class UniqueViolationError extends DatabaseError {
  constructor(
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`unique constraint ${constraint ?? '(unknown)'} violated`, '23505', options);
  }
}
export class ForeignKeyViolationError extends DatabaseError {
  constructor(
    readonly constraint: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`foreign key ${constraint ?? '(unknown)'} violated`, '23503', options);
  }
}
export class NotNullViolationError extends DatabaseError {
  constructor(options?: { cause?: unknown }) {
    super('not-null constraint violated', '23502', options);
  }
}
export class CheckViolationError extends DatabaseError {}
/** Lock or serialization conflicts: the caller may retry. */
export class ConflictError extends DatabaseError {}
/** A lock wait ran past lock_timeout (55P03). */
export class LockNotAvailableError extends ConflictError {}
/** The database could not be reached or dropped the connection: 503 + Retry-After. */
export class DatabaseUnavailableError extends DatabaseError {}
/**
 * A statement ran past statement_timeout (57014): to a caller, the database did not answer in
 * time, which is unavailability (503), unless the caller knows better (a lock wait it bounded).
 */
export class StatementTimeoutError extends DatabaseUnavailableError {}
/**
 * Every pooled connection stayed busy for the whole acquire timeout: the database is fine, this
 * process has more requests in flight than connections. 503 with its own code; for the memory
 * layer it is unavailability like any other (stale entries may answer).
 */
export class PoolSaturatedError extends DatabaseUnavailableError {}
/**
 * The server refused a new connection: every slot of its max_connections is taken, by this
 * deployment's containers or anyone else (SQLSTATE 53300: "sorry, too many clients already", or
 * "remaining connection slots are reserved" for a role that may not use the reserved ones).
 * Transient: slots free up as other containers finish or go idle. 503 with its own code.
 */
export class ConnectionsExhaustedError extends DatabaseUnavailableError {}

// pg-pool's message when a request waited for a busy pool (it only waits when the pool is full).
const POOL_WAIT_TIMEOUT = /timeout exceeded when trying to connect/i;
// 53300 too_many_connections; the messages too, for a relay that drops the SQLSTATE.
const TOO_MANY_CONNECTIONS = /too many clients already|remaining connection slots are reserved|too many connections/i;

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
// "Query read timeout": node-postgres gave up waiting for a reply (a partition: no reset, no bytes).
// "timeout expired": node-postgres's own connect timeout (connectionTimeoutMillis of the client).
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout expired|timeout exceeded when trying to connect|Client has encountered a connection error|socket hang up|the database system is (starting up|shutting down)|Communications link failure|Query read timeout/i;
/**
 * Failures that happen before a statement is sent: the connection could not be opened, or the
 * client knew it was broken before writing. Anything else (a reset mid-statement) is ambiguous.
 */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const NEVER_SENT_MESSAGES =
  /Connection terminated due to connection timeout|timeout expired|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|the database system is (starting up|shutting down)/i;
// Data API exceptions that mean "not now" rather than "bad statement".
const UNAVAILABLE_EXCEPTIONS = new Set([
  'DatabaseResumingException',
  'DatabaseNotFoundException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
  'HttpEndpointNotEnabledException',
  // The SDK's own request timeout (DB_STATEMENT_TIMEOUT_MS + grace): no reply in time.
  'TimeoutError',
]);

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current = err;
  while (current && chain.length < 8) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function sqlStateOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  const message = (e as { message?: unknown })?.message;
  if (typeof message === 'string') return /SQLState: ([0-9A-Z]{5})/.exec(message)?.[1];
  return undefined;
}

function constraintOf(e: unknown): string | undefined {
  const constraint = (e as { constraint?: unknown })?.constraint;
  if (typeof constraint === 'string') return constraint;
  const message = (e as { message?: unknown })?.message;
  return typeof message === 'string' ? /constraint "([^"]+)"/.exec(message)?.[1] : undefined;
}

export function isConnectionError(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = (e as { code?: unknown })?.code;
    const name = (e as { name?: unknown })?.name;
    const message = (e as { message?: unknown })?.message;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    // 57P01..03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions;
    // 53300: no connection slot left.
    const state = sqlStateOf(e);
    if (state && (/^57P0[123]$/.test(state) || state.startsWith('08') || state === '53300')) return true;
    if (typeof name === 'string' && UNAVAILABLE_EXCEPTIONS.has(name)) return true;
    return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
  });
}

/** Whether the statement that failed with `err` provably never reached the server. */
export function neverSent(err: unknown): boolean {
  return causes(err).some((e) => {
    const code = (e as { code?: unknown })?.code;
    const message = (e as { message?: unknown })?.message;
    if (typeof code === 'string' && (NEVER_SENT_CODES.has(code) || code === '57P03')) return true;
    return typeof message === 'string' && NEVER_SENT_MESSAGES.test(message);
  });
}

/** Whether the server refused the connection because all its slots are taken (53300). */
export function isConnectionsExhausted(err: unknown): boolean {
  return causes(err).some((e) => sqlStateOf(e) === '53300' || TOO_MANY_CONNECTIONS.test(String((e as { message?: unknown })?.message ?? '')));
}

export function isPoolSaturation(err: unknown): boolean {
  return causes(err).some((e) => POOL_WAIT_TIMEOUT.test(String((e as { message?: unknown })?.message ?? '')));
}

/** The typed error for a driver error, or undefined when it is not a database error we classify. */
export function asDatabaseError(err: unknown): DatabaseError | undefined {
  if (err instanceof DatabaseError) return err;
  if (isPoolSaturation(err)) return new PoolSaturatedError('connection pool saturated', undefined, { cause: err });
  if (isConnectionsExhausted(err)) return new ConnectionsExhaustedError('database connection slots exhausted', '53300', { cause: err });
  if (isConnectionError(err)) return new DatabaseUnavailableError('database unavailable', undefined, { cause: err });
  for (const e of causes(err)) {
    const state = sqlStateOf(e);
    if (!state) continue;
    switch (state) {
      case '23502':
        return new NotNullViolationError({ cause: err });
      case '23505':
        return new UniqueViolationError(constraintOf(e), { cause: err });
      case '23503':
        return new ForeignKeyViolationError(constraintOf(e), { cause: err });
      case '23514':
        return new CheckViolationError('check constraint violated', state, { cause: err });
      case '57014':
        return new StatementTimeoutError('statement timed out', state, { cause: err });
      case '55P03':
        return new LockNotAvailableError('concurrent update conflict', state, { cause: err });
      case '40001':
      case '40P01':
        return new ConflictError('concurrent update conflict', state, { cause: err });
      default:
        return new DatabaseError('database error', state, { cause: err });
    }
  }
  return undefined;
}
