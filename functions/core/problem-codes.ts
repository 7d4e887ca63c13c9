/**
 * Every `code` a problem+json answer can carry: the closed list clients switch on. The Problem
 * schema of /openapi.json is an enum of it (functions/api/problem.ts), `DomainError.code` and the
 * API's `problem()` are typed by it, and test/api/problem-codes.test.ts checks that every code the
 * source produces is here. Adding a code is an API change: regenerate the client types.
 */
export const PROBLEM_CODES = [
  // Domain failures (functions/core/errors.ts and its callers).
  'not_found',
  'validation_failed',
  'precondition_failed',
  'illegal_transition',
  'pipeline_name_taken',
  'attempt_exists',
  'run_finished',
  // Credentials (functions/api/auth.ts).
  'unauthorized',
  'admin_required',
  'project_key_required',
  // The request itself (functions/api/request-body.ts, http.ts, idempotency.ts, app.ts).
  'malformed_json',
  'malformed_body',
  'json_too_deep',
  'invalid_encoding',
  'unsupported_media_type',
  'payload_too_large',
  'invalid_if_match',
  'invalid_idempotency_key',
  'idempotency_key_reused',
  'idempotency_request_in_flight',
  'route_not_found',
  'http_error',
  // What the database said (functions/api/problem.ts).
  'conflict',
  'concurrent_update',
  'invalid_value',
  'database_unavailable',
  'database_connections_exhausted',
  'pool_saturated',
  'internal_error',
  // Refused by the local server's HTTP parser before the app saw the request
  // (functions/local/client-error.ts).
  'headers_too_large',
  'chunk_extensions_too_large',
  'request_timeout',
  'malformed_request',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];
