/**
 * One logical call of one operation: builds the request from the operation table, then sends it
 * under the retry rules of retry.ts. The Idempotency-Key of a POST is chosen once, before the first
 * attempt, so every retry of the call carries the same one.
 */
import { PipestoreConnectionError, PipestoreError, type Problem } from './errors';
import { CONTROL_ARGS, type OperationId, operationTable } from './operations';
import { type RetryPolicy, backoffMs, retryAfterMs, retryableAfterLostConnection, retryableStatus } from './retry';

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  fetch: typeof fetch;
  retry: RetryPolicy;
  /** Extra headers on every request (a user agent, tracing). */
  headers?: Record<string, string>;
}

/** What a call returned, beyond its data. */
export interface CallResult<T> {
  data: T;
  status: number;
  headers: Headers;
  /** True when the server replayed the stored response of an earlier request with the same key. */
  replayed: boolean;
  /** The Idempotency-Key sent (POSTs), the same on every attempt. */
  idempotencyKey: string | null;
  requestId: string | null;
  /** Attempts made, 1 when the first one answered. */
  attempts: number;
}

type Args = Record<string, unknown> & { body?: unknown; ifMatch?: number | string; idempotencyKey?: string; signal?: AbortSignal };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** AbortSignal.any where it exists (Node 20.3+, current browsers), else the same by hand. */
function eitherSignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const controller = new AbortController();
  for (const signal of [a, b]) {
    if (signal.aborted) controller.abort(signal.reason);
    else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  }
  return controller.signal;
}

export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** A stored ETag is `"<revision>"`: a number becomes that, a string is sent as given. */
const ifMatchHeader = (value: number | string) => (typeof value === 'number' ? `"${value}"` : value);

export function buildUrl(baseUrl: string, path: string, args: Args): string {
  const used = new Set<string>();
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = args[name];
    if (value === undefined || value === null || value === '') throw new TypeError(`missing path parameter "${name}" for ${path}`);
    used.add(name);
    return encodeURIComponent(String(value));
  });
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(args)) {
    if (used.has(name) || CONTROL_ARGS.has(name) || value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(name, String(item));
  }
  const search = query.toString();
  return `${baseUrl}${filled}${search ? `?${search}` : ''}`;
}

async function readBody(res: Response): Promise<{ json: unknown; text: string }> {
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  if (!text || !/[/+]json\b/.test(type)) return { json: undefined, text };
  try {
    return { json: JSON.parse(text), text };
  } catch {
    return { json: undefined, text };
  }
}

const isProblem = (value: unknown): value is Problem =>
  typeof value === 'object' && value !== null && typeof (value as Problem).code === 'string' && typeof (value as Problem).status === 'number';

export async function send<K extends OperationId>(options: TransportOptions, operationId: K, args: Args = {}): Promise<CallResult<unknown>> {
  const operation = operationTable[operationId];
  const { retry, fetch: doFetch } = options;
  const url = buildUrl(options.baseUrl, operation.path, args);
  const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${options.apiKey}`, ...options.headers };
  if (args.body !== undefined) headers['Content-Type'] = 'application/json';
  if (args.ifMatch !== undefined) headers['If-Match'] = ifMatchHeader(args.ifMatch);
  const idempotencyKey = operation.method === 'POST' ? (args.idempotencyKey ?? newIdempotencyKey()) : null;
  if (idempotencyKey !== null) headers['Idempotency-Key'] = idempotencyKey;
  const body = args.body === undefined ? undefined : JSON.stringify(args.body);

  const deadline = Date.now() + retry.deadlineMs;
  const deadlineSignal = AbortSignal.timeout(retry.deadlineMs);
  const signal = args.signal ? eitherSignal(args.signal, deadlineSignal) : deadlineSignal;
  /** Waits before the next attempt, or says there is none: attempts used up, or the wait ends past the deadline. */
  const waitForNext = async (attempt: number, ms: number) => {
    if (attempt >= retry.attempts || Date.now() + ms >= deadline) return false;
    await sleep(ms, signal);
    return true;
  };

  for (let attempt = 1; ; attempt++) {
    let res: Response;
    let json: unknown;
    let text: string;
    try {
      res = await doFetch(url, { method: operation.method, headers, body, signal });
      // Inside the try: a connection lost while the body arrives is as much a lost answer.
      ({ json, text } = await readBody(res));
    } catch (err) {
      if (args.signal?.aborted) throw args.signal.reason;
      const timedOut = deadlineSignal.aborted;
      const again = !timedOut && retryableAfterLostConnection(operation) && (await waitForNext(attempt, backoffMs(retry, attempt)).catch(() => false));
      if (again) continue;
      if (args.signal?.aborted) throw args.signal.reason;
      const why = timedOut || deadlineSignal.aborted ? `no answer within ${retry.deadlineMs} ms` : `connection failed (${(err as Error).message})`;
      throw new PipestoreConnectionError(`${operationId}: ${why} after ${attempt} attempt(s)`, operationId, attempt, timedOut || deadlineSignal.aborted, {
        cause: err,
      });
    }

    const requestId = res.headers.get('x-request-id');
    if (res.ok) {
      return {
        data: json,
        status: res.status,
        headers: res.headers,
        replayed: res.headers.get('idempotent-replayed') === 'true',
        idempotencyKey,
        requestId,
        attempts: attempt,
      };
    }
    const after = retryAfterMs(res.headers.get('retry-after'));
    if (retryableStatus(res.status)) {
      const wait = Math.max(after ?? 0, backoffMs(retry, attempt));
      if (await waitForNext(attempt, wait).catch(() => false)) continue;
      if (args.signal?.aborted) throw args.signal.reason;
    }
    throw new PipestoreError({
      status: res.status,
      problem: isProblem(json) ? json : null,
      text,
      requestId,
      retryAfterMs: after,
      operation: operationId,
      attempts: attempt,
    });
  }
}
