import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import { issuesToFieldErrors } from '../core/field-errors';
import type { AppEnv } from './env';
import { problem, problemResponse } from './problem';
import { type Access, completeRoute } from './route-defaults';

/** Where the request validation's field errors come from (one helper for the API and sync). */
export { issuesToFieldErrors };

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
