/**
 * zod issues in the two forms pipestore reports them: problem+json `errors[]` (the API, sync) and
 * one line per issue (the CLI's import report, the Lambda entries' event checks).
 */
import type { FieldError } from './errors';

type Issue = { path: PropertyKey[]; message: string; code?: string; keys?: string[] };

const dotted = (...parts: PropertyKey[]) => parts.map(String).filter(Boolean).join('.');

/** `path` is dotted, under `prefix` (the request part: '' for the body, `query`, `param`…). */
export const issuesToFieldErrors = (issues: Issue[], prefix = ''): FieldError[] =>
  issues.flatMap((issue) =>
    // An unknown field is reported at its own path, so the client sees which one to remove.
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: dotted(prefix, ...issue.path, key), message: 'unknown field' }))
      : [{ path: dotted(prefix, ...issue.path), message: issue.message }],
  );

/** "labels.team: expected string" for each issue. */
export const issueReasons = (issues: Issue[]): string[] =>
  issues.map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
