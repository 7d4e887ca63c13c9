/**
 * Test fixtures for the HTTP API: an app over the worker's database, and a fresh project with its
 * own key per test, so tests never see each other's rows.
 */
import createClient, { type Client } from 'openapi-fetch';
import { loadConfig } from '../../functions/config';
import type { Database } from '../../db/client';
import { createApp } from '../../functions/api/app';
import type { components, paths } from '../../functions/client/generated/openapi';
import { testDatabase } from './database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

/**
 * The app as a typed client: openapi-fetch over the generated `paths`, so a test's paths, path and
 * query parameters, headers and bodies are checked against /openapi.json, and `data` (2xx) and
 * `error` (the problem of a 4xx/5xx) are typed. Requests go to `app.request` in-process.
 */
export type TypedClient = Client<paths>;

export interface TestApi {
  app: ReturnType<typeof createApp>;
  database: Database;
  /** A typed client sending `token` (a project key or the admin token) as its bearer token. */
  client(token?: string): TypedClient;
  /**
   * app.request with JSON in and out, untyped on purpose: for input the typed client would refuse
   * to send (malformed JSON, wrong types, unknown fields, made-up paths) and for raw headers.
   */
  call(method: string, path: string, options?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
}

/** An app over the worker's database (or `database`, e.g. one wrapped to observe it). */
export async function testApi(env: Record<string, string> = {}, database?: Database): Promise<TestApi> {
  database ??= await testDatabase();
  const app = createApp({ database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', ...env }) });
  return {
    app,
    database,
    client: (token) =>
      createClient<paths>({
        baseUrl: 'http://localhost',
        headers: token ? { Authorization: `Bearer ${token}` } : {},
        fetch: async (request) => app.request(request),
      }),
    async call(method, path, { body, token, headers = {} } = {}) {
      const res = await app.request(path, {
        method,
        headers: {
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
          ...(token && { Authorization: `Bearer ${token}` }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // Not JSON: tests that care look at the text.
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

/** A new project and an API key for it, through the admin API. */
export async function newProject(api: TestApi, name = 'test-project') {
  const project = await api.call('POST', '/v1/projects', { token: ADMIN_TOKEN, body: { name } });
  if (project.status !== 201) throw new Error(`project creation failed: ${JSON.stringify(project.body)}`);
  const key = await api.call('POST', `/v1/projects/${project.body.id}/keys`, { token: ADMIN_TOKEN, body: {} });
  if (key.status !== 201) throw new Error(`key creation failed: ${JSON.stringify(key.body)}`);
  return { id: project.body.id as string, key: key.body.key as string, keyId: key.body.id as string };
}

export const simpleDefinition = (suffix = '') => ({
  stages: [
    { id: 'fetch', tasks: [{ id: 'download', task: `http.get${suffix}` }] },
    { id: 'build', dependsOn: ['fetch'], tasks: [{ id: 'compile', task: 'compile', config: { optimize: true } }] },
  ],
});

/** Creates a pipeline in the project of `key` and returns its body. */
export async function newPipeline(api: TestApi, key: string, overrides: Record<string, unknown> = {}) {
  const res = await api.call('POST', '/v1/pipelines', {
    token: key,
    body: { name: `pipe-${Math.random().toString(36).slice(2, 10)}`, definition: simpleDefinition(), ...overrides },
  });
  if (res.status !== 201) throw new Error(`pipeline creation failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedPipeline;
}

/** The parameters of a typed call to a path whose one parameter is `{id}`: `client.GET('/v1/runs/{id}', withId(run.id))`. */
export const withId = (id: string) => ({ params: { path: { id } } });
/** The same with an If-Match header: `etag` as sent, e.g. `'"3"'`. */
export const withIfMatch = (id: string, etag: string) => ({ params: { path: { id }, header: { 'if-match': etag } } });

/** What POST /v1/pipelines answers: the pipeline with its first version. */
export type CreatedPipeline = paths['/v1/pipelines']['post']['responses'][201]['content']['application/json'];
export type Run = components['schemas']['Run'];
