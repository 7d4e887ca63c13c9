import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { problem, problemResponse } from './problem';
import { type Access, completeRoute } from './route-defaults';

type Issue = { path: PropertyKey[]; message: string; code?: string; keys?: string[] };

const dotted = (...parts: PropertyKey[]) => parts.map(String).filter(Boolean).join('.');

/** zod issues as problem+json `errors[]`: `path` is dotted, from the request part (body, query…). */
export const issuesToFieldErrors = (issues: Issue[], prefix = '') =>
  issues.flatMap((issue) =>
    // An unknown field is reported at its own path, so the client sees which one to remove.
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: dotted(prefix, ...issue.path, key), message: 'unknown field' }))
      : [{ path: dotted(prefix, ...issue.path), message: issue.message }],
  );

// Every route's request validation fails the same way: a 400 naming each offending field.
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result, c) => {
  if (result.success) return;
  const errors = issuesToFieldErrors(result.error.issues, result.target === 'json' ? '' : result.target);
  return problemResponse(c, problem(400, 'validation_failed', 'the request is invalid', { errors }));
};

/**
 * A sub-app with the shared validation behaviour; every resource module starts from this. Its
 * routes get what the middleware makes common to all of them (route-defaults.ts): `access` says
 * which credentials they take (project key unless said otherwise, like `authorize`).
 */
export const createRouter = (access: Access = 'project') => {
  const router = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const register = router.openapi;
  router.openapi = ((route, handler, hook) => register(completeRoute(route, access), handler, hook)) as typeof register;
  return router;
};
