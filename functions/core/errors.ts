import type { ProblemCode } from './problem-codes';

/**
 * Domain failures, independent of HTTP. The API layer maps each class to a status code and a
 * problem+json body (functions/api/problem.ts); the CLI maps them to exit codes.
 */
export interface FieldError {
  path: string;
  message: string;
}

export class DomainError extends Error {
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFoundError extends DomainError {
  constructor(resource: string, id: string) {
    super('not_found', `${resource} ${JSON.stringify(id)} was not found`);
  }
}

/** The request is well-formed but contradicts the current state (illegal transition, duplicate). */
export class StateConflictError extends DomainError {}

/** An If-Match revision that is no longer current. */
export class PreconditionFailedError extends DomainError {
  constructor(currentRevision: number) {
    super('precondition_failed', `the resource has changed: current revision is ${currentRevision}`, {
      currentRevision,
    });
  }
}

export class ValidationError extends DomainError {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super('validation_failed', message);
  }
}

/**
 * After a conditional transition (UPDATE … WHERE status IN (…) [AND revision = If-Match]) matched
 * nothing, what the row's current state says: 404 when it is gone, 412 when the If-Match revision
 * moved on, otherwise 409 because the move is illegal from where the row is.
 */
export function rejectedTransition(
  resource: string,
  id: string,
  current: { status: string; revision: number } | undefined,
  ifMatch: number | undefined,
  target: string | undefined,
): never {
  if (!current) throw new NotFoundError(resource, id);
  if (ifMatch !== undefined && current.revision !== ifMatch) throw new PreconditionFailedError(current.revision);
  throw new StateConflictError(
    'illegal_transition',
    target ? `a ${resource} cannot go from ${current.status} to ${target}` : `a ${current.status} ${resource} can no longer be updated`,
    { currentStatus: current.status, ...(target && { requestedStatus: target }) },
  );
}
