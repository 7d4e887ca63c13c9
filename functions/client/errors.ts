/**
 * Failures as values a program can switch on: `PipestoreError` when the API answered with an
 * error (its problem+json, typed by the served document's Problem schema), and
 * `PipestoreConnectionError` when no answer came (network failure or deadline) after the retries.
 */
import type { components } from './generated/openapi';

export type Problem = components['schemas']['Problem'];
/** The problem codes of the API (the `code` of its Problem schema). */
export type ProblemCode = Problem['code'];
export type FieldError = NonNullable<Problem['errors']>[number];

/** The code given to an error response that is not problem+json (a gateway page, a proxy). */
export const UNEXPECTED_RESPONSE = 'unexpected_response';

export class PipestoreError extends Error {
  override readonly name = 'PipestoreError';
  /** The HTTP status. */
  readonly status: number;
  /** The problem code, or `unexpected_response` when the body was not a problem. */
  readonly code: ProblemCode | typeof UNEXPECTED_RESPONSE;
  /** Field errors of a 400: `path` names the body field, `query.…`, `param.…` or `header.…`. */
  readonly errors: FieldError[];
  /** The server's request id (problem body, else the X-Request-Id header), for its logs. */
  readonly requestId: string | null;
  /** The whole problem body, extensions included (e.g. `currentStatus` of a 409). */
  readonly problem: Problem | null;
  /** Retry-After of the response, in milliseconds, when it had one. */
  readonly retryAfterMs: number | null;
  /** The operationId of the call and how many attempts it made. */
  readonly operation: string;
  readonly attempts: number;

  constructor(init: {
    status: number;
    problem: Problem | null;
    text: string;
    requestId: string | null;
    retryAfterMs: number | null;
    operation: string;
    attempts: number;
  }) {
    const { status, problem } = init;
    super(problem ? `${status} ${problem.code}: ${problem.detail}` : `${status}: ${init.text.slice(0, 200) || 'no body'}`);
    this.status = status;
    this.problem = problem;
    this.code = problem?.code ?? UNEXPECTED_RESPONSE;
    this.errors = problem?.errors ?? [];
    this.requestId = problem?.requestId || init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.operation = init.operation;
    this.attempts = init.attempts;
  }
}

export class PipestoreConnectionError extends Error {
  override readonly name = 'PipestoreConnectionError';
  constructor(
    message: string,
    readonly operation: string,
    readonly attempts: number,
    /** True when the call's deadline ran out rather than its attempts. */
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
