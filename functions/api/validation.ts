import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { problem, problemResponse } from './problem';

type Issue = { path: PropertyKey[]; message: string };

/** zod issues as problem+json `errors[]`, with `path` in JSON-pointer-ish dotted form. */
export const issuesToFieldErrors = (issues: Issue[], prefix = '') =>
  issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));

// Every route's request validation fails the same way: a 400 naming each offending field.
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const errors = issuesToFieldErrors(result.error.issues, result.target);
  return problemResponse(c, problem(400, 'validation_failed', 'the request is invalid', { errors }));
};

/** A sub-app with the shared validation behaviour; every resource module starts from this. */
export const createRouter = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
