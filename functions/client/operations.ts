/**
 * Types of one operation's call, derived from the generated `operations` (openapi-typescript):
 * path and query parameters as named fields, `body` when the operation takes one, `ifMatch` when
 * it declares If-Match, `idempotencyKey` on POSTs, and the data of its 2xx responses.
 */
import type { operations } from './generated/openapi';
import { operationTable } from './generated/openapi';

export type OperationId = keyof typeof operationTable & keyof operations;
export type OperationInfo = (typeof operationTable)[OperationId];
export { operationTable };

type Parameters<K extends OperationId> = operations[K]['parameters'];
type Present<T> = [NonNullable<T>] extends [never] ? {} : NonNullable<T>;

type PathArgs<K extends OperationId> = Parameters<K> extends { path: infer P } ? Present<P> : {};
type QueryArgs<K extends OperationId> = Parameters<K> extends { query?: infer Q } ? Present<Q> : {};

type RequestBody<K extends OperationId> = operations[K] extends { requestBody?: infer R } ? NonNullable<R> : never;
type BodyArgs<K extends OperationId> = [RequestBody<K>] extends [never]
  ? {}
  : RequestBody<K> extends { content: { 'application/json': infer B } }
    ? operations[K] extends { requestBody: unknown }
      ? { body: B }
      : { body?: B }
    : {};

type HeaderNames<K extends OperationId> = keyof Present<Parameters<K> extends { header?: infer H } ? H : never>;
type ConditionalArgs<K extends OperationId> =
  'if-match' extends HeaderNames<K>
    ? {
        /** The revision this write is conditional on (sent as If-Match: "<revision>"); stale is a 412. */
        ifMatch?: number | string;
      }
    : {};
type IdempotencyArgs<K extends OperationId> = (typeof operationTable)[K]['method'] extends 'POST'
  ? {
      /** Reused across this call's retries; generated once per call when not given. */
      idempotencyKey?: string;
    }
  : {};

export type CallArgs<K extends OperationId> = PathArgs<K> &
  QueryArgs<K> &
  BodyArgs<K> &
  ConditionalArgs<K> &
  IdempotencyArgs<K> & {
    /** Cancels the call, its retries included. */
    signal?: AbortSignal;
  };

type RequiredKeys<T> = { [P in keyof T]-?: {} extends Pick<T, P> ? never : P }[keyof T];
/** The argument list: optional when nothing in it is required. */
export type ArgList<K extends OperationId> = [RequiredKeys<CallArgs<K>>] extends [never] ? [args?: CallArgs<K>] : [args: CallArgs<K>];

type Responses<K extends OperationId> = operations[K]['responses'];
type SuccessStatus<K extends OperationId> = Extract<keyof Responses<K>, 200 | 201 | 202 | 204>;
/** The body of any 2xx response of the operation (undefined for 204). */
export type Data<K extends OperationId> = {
  [S in SuccessStatus<K>]: Responses<K>[S] extends { content: { 'application/json': infer D } } ? D : undefined;
}[SuccessStatus<K>];

/** The element type of a list operation's `items`. */
export type Item<K extends OperationId> = Data<K> extends { items: (infer I)[] } ? I : never;

export type IsPaginated<K extends OperationId> = (typeof operationTable)[K]['paginated'];

/** Keys of CallArgs that are not parameters of the operation. */
export const CONTROL_ARGS = new Set(['body', 'ifMatch', 'idempotencyKey', 'signal']);
