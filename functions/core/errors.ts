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
    readonly code: string,
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
