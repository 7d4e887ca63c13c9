/**
 * Test fixtures for the HTTP API: an app over the worker's database, and a fresh project with its
 * own key per test, so tests never see each other's rows.
 */
import { loadConfig } from '../../functions/config';
import type { Database } from '../../db/client';
import { createApp } from '../../functions/api/app';
import { testDatabase } from './database';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApi {
  app: ReturnType<typeof createApp>;
  database: Database;
  /** app.request with JSON in and out. */
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
  return res.body;
}
