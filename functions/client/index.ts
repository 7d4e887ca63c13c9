/**
 * `import { createClient } from 'pipestore/client'`: the typed client of the pipestore API.
 * Fetch-based with no Node-only dependency, so it runs in Node 20+, on Lambda and in a browser.
 */
export { createClient, type ApiCall, type ClientOptions, type Method, type Operations, type PipestoreClient } from './client';
export { updateWithRetry, type UpdateRetryOptions } from './conditional';
export { PipestoreConnectionError, PipestoreError, UNEXPECTED_RESPONSE, type FieldError, type Problem, type ProblemCode } from './errors';
export type { CallArgs, Data, Item, OperationId } from './operations';
export { Paginated, type Page } from './pagination';
export { resources } from './resources';
export type { RetryOptions } from './retry';
export type { CallResult } from './transport';
export type { components, operations, paths } from './generated/openapi';
