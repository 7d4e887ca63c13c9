/**
 * `createClient({ baseUrl, apiKey })`: a typed method for every operation of /openapi.json, grouped
 * by resource (resources.ts), plus the helper that needs more than one call: `modify` (read,
 * change, write with If-Match, retried on 412).
 */
import type { components } from './generated/openapi';
import { updateWithRetry, type UpdateRetryOptions } from './conditional';
import { type ArgList, type CallArgs, type Data, type IsPaginated, type Item, type OperationId, operationTable } from './operations';
import { type Page, Paginated } from './pagination';
import { resources, type Resources } from './resources';
import { type RetryOptions, retryPolicy } from './retry';
import { type CallResult, type TransportOptions, send } from './transport';

export interface ClientOptions {
  /** The service root, e.g. `https://api.example.com` (a trailing `/` or `/v1` is ignored). */
  baseUrl: string;
  /** A project API key, or the admin token for projects and keys. */
  apiKey: string;
  /** The fetch to use (a test double, a proxy agent); the global fetch by default. */
  fetch?: typeof fetch;
  /** Retry rules (retry.ts); `false` makes every call a single attempt. */
  retry?: RetryOptions | false;
  /** Headers added to every request. */
  headers?: Record<string, string>;
}

/** A call's data as a promise; `withResponse()` gives the same call's status, headers, replay flag and attempts. */
export type ApiCall<T> = Promise<T> & { withResponse(): Promise<CallResult<T>> };

export type Method<K extends OperationId> =
  IsPaginated<K> extends true ? (...args: ArgList<K>) => Paginated<Item<K>, Data<K> & Page<Item<K>>> : (...args: ArgList<K>) => ApiCall<Data<K>>;

export type Operations = { [K in OperationId]: Method<K> };
type ResourceMethods = { [R in keyof Resources]: { [N in keyof Resources[R]]: Resources[R][N] extends OperationId ? Method<Resources[R][N]> : never } };

type Run = components['schemas']['Run'];
type Pipeline = Data<'getPipeline'>;
type Patch<K extends 'updateRun' | 'updatePipeline'> = CallArgs<K> extends { body: infer B } ? B : never;

export type PipestoreClient = Omit<ResourceMethods, 'runs' | 'pipelines'> & {
  /** Every operation by its operationId. */
  operations: Operations;
  pipelines: ResourceMethods['pipelines'] & {
    /** Reads the pipeline, applies `change` (undefined: nothing to write) and writes it with If-Match, again on 412. */
    modify(id: string, change: (current: Pipeline) => Patch<'updatePipeline'> | undefined, options?: UpdateRetryOptions): Promise<Pipeline>;
  };
  runs: ResourceMethods['runs'] & {
    /** Reads the run, applies `change` (undefined: nothing to write) and writes it with If-Match, again on 412. */
    modify(id: string, change: (current: Run) => Patch<'updateRun'> | undefined, options?: UpdateRetryOptions): Promise<Run>;
  };
};

function apiCall<T>(result: Promise<CallResult<T>>): ApiCall<T> {
  const data = result.then((r) => r.data) as ApiCall<T>;
  // A caller that only awaits withResponse() must not leave this twin rejection unhandled.
  data.catch(() => undefined);
  data.withResponse = () => result;
  return data;
}

function method(transport: TransportOptions, operationId: OperationId): (args?: Record<string, unknown>) => unknown {
  if (operationTable[operationId].paginated) {
    return (args = {}) => {
      const { cursor, ...rest } = args;
      return new Paginated(
        (next) => send(transport, operationId, { ...rest, cursor: next }) as Promise<CallResult<Page<unknown>>>,
        cursor as string | undefined,
      );
    };
  }
  return (args = {}) => apiCall(send(transport, operationId, args));
}

export function createClient(options: ClientOptions): PipestoreClient {
  const transport: TransportOptions = {
    baseUrl: options.baseUrl.replace(/\/+$/, '').replace(/\/v1$/, ''),
    apiKey: options.apiKey,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    retry: retryPolicy(options.retry),
    headers: options.headers,
  };
  const operations = Object.fromEntries((Object.keys(operationTable) as OperationId[]).map((id) => [id, method(transport, id)])) as unknown as Operations;
  const grouped = Object.fromEntries(
    Object.entries(resources).map(([resource, names]) => [
      resource,
      Object.fromEntries(Object.entries(names).map(([name, id]) => [name, operations[id as OperationId]])),
    ]),
  ) as unknown as ResourceMethods;

  return {
    ...grouped,
    operations,
    pipelines: {
      ...grouped.pipelines,
      modify: (id, change, retry) =>
        updateWithRetry(
          () => grouped.pipelines.get({ id }),
          async (current) => {
            const body = change(current);
            return body === undefined ? current : grouped.pipelines.update({ id, ifMatch: current.revision, body });
          },
          retry,
        ),
    },
    runs: {
      ...grouped.runs,
      modify: (id, change, retry) =>
        updateWithRetry(
          () => grouped.runs.get({ id }),
          async (current) => {
            const body = change(current);
            return body === undefined ? current : grouped.runs.update({ id, ifMatch: current.revision, body });
          },
          retry,
        ),
    },
  };
}
