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
export class ForeignKeyViolationError extends DatabaseError {}
export class CheckViolationError extends DatabaseError {}
/** Lock or serialization conflicts: the caller may retry. */
export class ConflictError extends DatabaseError {}
/** The database could not be reached or dropped the connection: 503 + Retry-After. */
export class DatabaseUnavailableError extends DatabaseError {}

const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const CONNECTION_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|socket hang up|the database system is (starting up|shutting down)|Communications link failure/i;
// Data API exceptions that mean "not now" rather than "bad statement".
const UNAVAILABLE_EXCEPTIONS = new Set([
  'DatabaseResumingException',
  'DatabaseNotFoundException',
  'DatabaseUnavailableException',
  'ServiceUnavailableError',
  'InternalServerErrorException',
  'HttpEndpointNotEnabledException',
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
    // 57P01..03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions.
    const state = sqlStateOf(e);
    if (state && (/^57P0[123]$/.test(state) || state.startsWith('08'))) return true;
    if (typeof name === 'string' && UNAVAILABLE_EXCEPTIONS.has(name)) return true;
    return typeof message === 'string' && CONNECTION_MESSAGES.test(message);
  });
}

/** The typed error for a driver error, or undefined when it is not a database error we classify. */
export function asDatabaseError(err: unknown): DatabaseError | undefined {
  if (err instanceof DatabaseError) return err;
  if (isConnectionError(err)) return new DatabaseUnavailableError('database unavailable', undefined, { cause: err });
  for (const e of causes(err)) {
    const state = sqlStateOf(e);
    if (!state) continue;
    switch (state) {
      case '23505':
        return new UniqueViolationError(constraintOf(e), { cause: err });
      case '23503':
        return new ForeignKeyViolationError('foreign key violated', state, { cause: err });
      case '23514':
        return new CheckViolationError('check constraint violated', state, { cause: err });
      case '40001':
      case '40P01':
      case '55P03':
        return new ConflictError('concurrent update conflict', state, { cause: err });
      default:
        return new DatabaseError('database error', state, { cause: err });
    }
  }
  return undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const typed = asDatabaseError(err);
  return typed instanceof UniqueViolationError && (constraint === undefined || typed.constraint === constraint);
}
