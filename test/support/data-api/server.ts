/**
 * A local RDS Data API endpoint over real Postgres, for tests. It speaks the restJson wire
 * format that `@aws-sdk/client-rds-data` sends and parses, so the real `RDSDataClient` and
 * Drizzle's `aws-data-api/pg` driver run unmodified against it.
 *
 * Supported: ExecuteStatement (`/Execute`), BeginTransaction, CommitTransaction,
 * RollbackTransaction. Request signatures are not checked; the ARNs and database are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { BackendSession, BackendTransaction, DataApiBackend, StatementResult } from './backends';
import { bindStatement, RequestError } from './sql-params';
import { catalogSql, TypeRegistry } from './types';
import { columnMetadata, formatRecords, toField, type ResultSetOptions } from './values';

export { pgBackend, pgliteBackend } from './backends';
export type { BackendTransaction, DataApiBackend, StatementResult } from './backends';

export interface DataApiServerOptions {
  port?: number;
  /** Database name clients must send (or omit); defaults to "postgres". */
  database?: string;
  /** Idle time after which an open transaction is rolled back; the service uses 3 minutes. */
  transactionTimeoutMs?: number;
}

export interface DataApiServer {
  endpoint: string;
  resourceArn: string;
  secretArn: string;
  database: string;
  /** Requests answered so far (every operation, errors included): what a caller pays per call. */
  readonly requests: number;
  /**
   * The cluster scales to zero, as Aurora Serverless v2 does after `pauseAfter` idle: the next
   * request starts its resume, and every request for `resumeMs` from then on is refused with
   * DatabaseResumingException (HTTP 400), as the service answers until the instance is back.
   */
  pause(resumeMs: number): void;
  /** The resume is over at once (a test's teardown of a long pause). */
  resume(): void;
  /** Requests refused with DatabaseResumingException so far. */
  readonly resumingRefusals: number;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

const badRequest = (message: string) => new ApiError(400, 'BadRequestException', message);

interface PgError {
  severity?: string;
  code?: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  internalQuery?: string;
  internalPosition?: string;
}

const isPgError = (error: unknown): error is PgError =>
  error instanceof Error && typeof (error as PgError).code === 'string' && /^[0-9A-Z]{5}$/.test((error as PgError).code!);

/**
 * The service relays the JDBC driver's rendering of the server error plus the SQLSTATE, e.g.
 * `ERROR: duplicate key value violates unique constraint "x"\n  Detail: Key (id)=(1) already exists.; SQLState: 23505`.
 */
function pgErrorMessage(error: PgError): string {
  let message = `${error.severity ?? 'ERROR'}: ${error.message}`;
  const parts: [string, string | undefined][] = [
    ['Detail', error.detail],
    ['Hint', error.hint],
    ['Position', error.position],
    ['Where', error.where],
    ['Internal Query', error.internalQuery],
    ['Internal Position', error.internalPosition],
  ];
  for (const [label, value] of parts) if (value) message += `\n  ${label}: ${value}`;
  return `${message}; SQLState: ${error.code}`;
}

async function onDatabase<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isPgError(error)) throw badRequest(pgErrorMessage(error));
    if (error instanceof ApiError) throw error;
    throw new ApiError(500, 'InternalServerErrorException', error instanceof Error ? error.message : String(error));
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('Request body must be a JSON object');
  return body as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': randomUUID(),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(payload);
}

interface OpenTransaction {
  tx: BackendTransaction;
  timer: NodeJS.Timeout;
}

export async function startDataApiServer(backend: DataApiBackend, opts: DataApiServerOptions = {}): Promise<DataApiServer> {
  const resourceArn = 'arn:aws:rds:us-east-1:123456789012:cluster:pipestore-local';
  const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:pipestore-local-AbCdEf';
  const database = opts.database ?? 'postgres';
  const timeoutMs = opts.transactionTimeoutMs ?? 3 * 60_000;
  const types = new TypeRegistry();
  const transactions = new Map<string, OpenTransaction>();

  const expire = (id: string) => {
    const open = transactions.get(id);
    if (!open) return;
    transactions.delete(id);
    open.tx.rollback().catch(() => {});
  };

  const useTransaction = (id: unknown): BackendTransaction => {
    const open = typeof id === 'string' ? transactions.get(id) : undefined;
    if (!open) throw badRequest(`Transaction ${String(id)} is not found`);
    open.timer.refresh();
    return open.tx;
  };

  const takeTransaction = (id: unknown): BackendTransaction => {
    const tx = useTransaction(id);
    clearTimeout(transactions.get(id as string)!.timer);
    transactions.delete(id as string);
    return tx;
  };

  const checkTarget = (body: Record<string, unknown>, required: string[]) => {
    for (const name of ['resourceArn', 'secretArn', ...required]) {
      if (typeof body[name] !== 'string' || body[name] === '') throw badRequest(`${name} is required`);
    }
    if (body.resourceArn !== resourceArn) throw badRequest(`Invalid resource ARN: ${String(body.resourceArn)}`);
    if (body.secretArn !== secretArn) throw badRequest(`Invalid secret ARN: ${String(body.secretArn)}`);
    if (body.database !== undefined && body.database !== database) {
      throw badRequest(`FATAL: database "${String(body.database)}" does not exist; SQLState: 3D000`);
    }
  };

  // Unknown OIDs (enums, user-defined arrays) are looked up in the session that produced them.
  const learnTypes = async (session: BackendSession, result: StatementResult) => {
    for (let round = 0; round < 2; round++) {
      const missing = types.missing(result.fields.map((f) => f.dataTypeID));
      if (missing.length === 0) return;
      types.learn((await session.execute({ text: catalogSql(missing), values: [], types: [] })).rows);
    }
  };

  const execute = async (body: Record<string, unknown>) => {
    checkTarget(body, ['sql']);
    let statement: ReturnType<typeof bindStatement>;
    try {
      statement = bindStatement(body.sql as string, body.parameters);
    } catch (error) {
      if (error instanceof RequestError) throw badRequest(error.message);
      throw error;
    }
    const session = body.transactionId === undefined ? backend : useTransaction(body.transactionId);
    const result = await onDatabase(() => session.execute(statement));
    const hasResultSet = result.fields.length > 0 || result.command === 'SELECT';
    // JDBC reports no update count for statements that return rows, INSERT … RETURNING included.
    if (!hasResultSet) return { numberOfRecordsUpdated: result.rowCount ?? 0, generatedFields: [] };

    await onDatabase(() => learnTypes(session, result));
    const options = (body.resultSetOptions ?? {}) as ResultSetOptions;
    const records = result.rows.map((row) => row.map((text, i) => toField(text, result.fields[i]!.dataTypeID, types, options)));
    return {
      ...(body.formatRecordsAs === 'JSON' ? { formattedRecords: formatRecords(result.fields, records) } : { records }),
      ...(body.includeResultMetadata === true ? { columnMetadata: result.fields.map((f) => columnMetadata(f, types)) } : {}),
      numberOfRecordsUpdated: 0,
    };
  };

  const operations: Record<string, (body: Record<string, unknown>) => Promise<unknown>> = {
    '/Execute': execute,
    async '/BeginTransaction'(body) {
      checkTarget(body, []);
      const tx = await onDatabase(() => backend.begin());
      // The service's ids are long opaque base64 strings; mimic that so nothing relies on a shape.
      const transactionId = randomBytes(138).toString('base64');
      const timer = setTimeout(() => expire(transactionId), timeoutMs).unref();
      transactions.set(transactionId, { tx, timer });
      return { transactionId };
    },
    async '/CommitTransaction'(body) {
      checkTarget(body, ['transactionId']);
      const tx = takeTransaction(body.transactionId);
      const committed = await onDatabase(() => tx.commit());
      if (!committed) {
        throw badRequest('The database returned ROLLBACK, so the transaction cannot be committed.; SQLState: 25P02');
      }
      return { transactionStatus: 'Transaction Committed' };
    },
    async '/RollbackTransaction'(body) {
      checkTarget(body, ['transactionId']);
      const tx = takeTransaction(body.transactionId);
      await onDatabase(() => tx.rollback());
      return { transactionStatus: 'Rollback Complete' };
    },
  };

  let requests = 0;
  // pause(): the resume time, until a request wakes the cluster; then when the resume ends.
  let pausedFor: number | undefined;
  let resumedAt = 0;
  let resumingRefusals = 0;
  const refuseWhileResuming = () => {
    if (pausedFor !== undefined) {
      resumedAt = Date.now() + pausedFor;
      pausedFor = undefined;
    }
    if (Date.now() < resumedAt) {
      resumingRefusals++;
      throw new ApiError(
        400,
        'DatabaseResumingException',
        `The Aurora DB instance ${resourceArn} is resuming after being auto-paused. Please wait a few seconds and try again.`,
      );
    }
  };

  const server = createServer((req, res) => {
    requests++;
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const operation = req.method === 'POST' ? operations[path] : undefined;
    (async () => {
      if (!operation) throw new ApiError(404, 'UnknownOperationException', `Unsupported operation: ${req.method} ${path}`);
      const body = await readJson(req);
      refuseWhileResuming();
      return operation(body);
    })().then(
      (out) => send(res, 200, out),
      (error: unknown) => {
        const api =
          error instanceof ApiError ? error : new ApiError(500, 'InternalServerErrorException', error instanceof Error ? error.message : String(error));
        send(res, api.status, { message: api.message }, api.type);
      },
    );
  });
  // Outlive the SDK agent's idle sockets: a server-side close racing a reused keep-alive socket
  // would surface as a spurious network error (clients run with maxAttempts 1).
  server.keepAliveTimeout = 120_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    resourceArn,
    secretArn,
    database,
    get requests() {
      return requests;
    },
    pause(resumeMs) {
      pausedFor = resumeMs;
    },
    resume() {
      pausedFor = undefined;
      resumedAt = 0;
    },
    get resumingRefusals() {
      return resumingRefusals;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      const open = [...transactions.values()];
      transactions.clear();
      for (const { tx, timer } of open) {
        clearTimeout(timer);
        await tx.rollback().catch(() => {});
      }
      await backend.close();
    },
  };
}

/** A real RDSDataClient aimed at the local endpoint (no retries, so failures surface at once). */
export function dataApiClient(server: Pick<DataApiServer, 'endpoint'>): RDSDataClient {
  return new RDSDataClient({
    region: 'us-east-1',
    endpoint: server.endpoint,
    credentials: { accessKeyId: 'AKIALOCALDATAAPI', secretAccessKey: 'local-data-api-secret' },
    maxAttempts: 1,
  });
}
