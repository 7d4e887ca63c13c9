/**
 * The "fresh project" preamble as a vitest fixture: `test('…', async ({ api, project }) => …)`
 * gets the file's app and a project of its own with a key, so no test sees another's rows, and
 * `project.client` to call the app with that key, typed by /openapi.json.
 */
import { test as base } from 'vitest';
import { newProject, testApi, type ApiResponse, type TypedClient } from './api';

export interface TestProject {
  id: string;
  key: string;
  keyId: string;
  /** The typed client with this project's key: the way to send well-formed requests. */
  client: TypedClient;
  /** The app called with this project's key, untyped: for hostile or malformed input only. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

/** The fixtures over an app configured with `env` (e.g. `{ CACHE_TTL_MS: '0' }`), one app per file. */
export const testWith = (env: Record<string, string>) =>
  base
    .extend('api', { scope: 'file' }, () => testApi(env))
    .extend('project', async ({ api }): Promise<TestProject> => {
      const project = await newProject(api);
      return {
        ...project,
        client: api.client(project.key),
        call: (method, path, body, headers) => api.call(method, path, { token: project.key, body, headers }),
      };
    });

export const test = testWith({});
