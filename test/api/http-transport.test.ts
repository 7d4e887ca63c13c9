/**
 * What arrives over a real socket, as curl and broken clients send it, through the Node server
 * `npm start` runs: a POST with no body and no Content-Length is a request without a body
 * (accepted wherever the body is optional), and a body whose framing is broken or cut short is a
 * client error (400, logged at warn), not a database outage.
 */
import { count, eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pipelines } from '../../db/schema';
import { startServer } from '../fuzz/server';
import { ADMIN_TOKEN, newPipeline, newProject, testApi, type TestApi } from '../support/api';
import { testDatabase } from '../support/database';
import { rawRequest } from '../support/raw-http';

describe('over a socket', () => {
  let api: TestApi;
  let server: Awaited<ReturnType<typeof startServer>>;
  let port: number;
  let project: Awaited<ReturnType<typeof newProject>>;
  let logs: string[];

  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api, 'transport');
    server = await startServer(await testDatabase(), { ADMIN_TOKEN, LOG_LEVEL: 'warn' });
    port = Number(new URL(server.baseUrl).port);
  });
  afterAll(() => server?.close());

  beforeEach(() => {
    logs = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).startsWith('{"level"')) {
        logs.push(String(chunk));
        return true;
      }
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    });
  });
  afterEach(() => vi.restoreAllMocks());

  /** `curl -X POST URL` with a bearer token: no Content-Length, no Content-Type, no body. */
  const curlPost = (path: string, token = project.key) => rawRequest(port, `POST ${path} HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${token}`);

  describe('a POST without a body', () => {
    it('creates an API key, as the README quick start does', async () => {
      const res = await curlPost(`/v1/projects/${project.id}/keys`, ADMIN_TOKEN);
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body).key).toMatch(/^ps_/);
    });

    it('starts, heartbeats and cancels a run, and replays a DLQ entry', async () => {
      const pipeline = await newPipeline(api, project.key);
      const created = await curlPost(`/v1/pipelines/${pipeline.id}/runs`);
      expect(created.status).toBe(201);
      const run = JSON.parse(created.body);
      expect(run).toMatchObject({ status: 'pending', version: 1 });
      await api.call('PATCH', `/v1/runs/${run.id}`, { token: project.key, body: { status: 'running' } });
      expect((await curlPost(`/v1/runs/${run.id}/heartbeat`)).status).toBe(200);
      const failing = await api.call('POST', `/v1/runs/${run.id}/tasks`, {
        token: project.key,
        body: { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' },
      });
      await api.call('PATCH', `/v1/task-runs/${failing.body.id}`, { token: project.key, body: { status: 'failed' } });
      const dlq = (await api.call('GET', '/v1/dlq', { token: project.key })).body.items[0];
      expect((await curlPost(`/v1/dlq/${dlq.id}/replay`)).status).toBe(201);
      const cancelled = await curlPost(`/v1/runs/${run.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(JSON.parse(cancelled.body).status).toBe('cancelled');
    });

    it('is no body also with Content-Type: application/json and Content-Length: 0', async () => {
      const res = await rawRequest(
        port,
        `POST /v1/projects/${project.id}/keys HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${ADMIN_TOKEN}\nContent-Type: application/json\nContent-Length: 0`,
      );
      expect(res.status).toBe(201);
    });

    it('is no body also when sent as an empty chunked body, whatever its Content-Encoding', async () => {
      const res = await rawRequest(
        port,
        `POST /v1/projects/${project.id}/keys HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${ADMIN_TOKEN}\nTransfer-Encoding: chunked\nContent-Encoding: gzip`,
        '0\r\n\r\n',
      );
      expect(res.status).toBe(201);
    });

    it('is a 400 naming the missing fields where a body is required, not a 415', async () => {
      const res = await curlPost('/v1/pipelines');
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(
        JSON.parse(res.body)
          .errors.map((e: { path: string }) => e.path)
          .sort(),
      ).toEqual(['definition', 'name']);
    });

    it('still refuses a body the operation does not take', async () => {
      const pipeline = await newPipeline(api, project.key);
      const run = (await api.call('POST', `/v1/pipelines/${pipeline.id}/runs`, { token: project.key, body: {} })).body;
      const res = await rawRequest(
        port,
        `POST /v1/runs/${run.id}/heartbeat HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${project.key}\nContent-Type: application/json\nContent-Length: 8`,
        '{"at":1}',
      );
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body).errors).toEqual([{ path: 'at', message: 'unknown field' }]);
    });
  });

  describe('a body that cannot be read', () => {
    const pipelineCount = async () => (await api.database.db.select({ n: count() }).from(pipelines).where(eq(pipelines.projectId, project.id)))[0]!.n;
    const head = () => `POST /v1/pipelines HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${project.key}\nContent-Type: application/json`;

    /** The app's own log lines for the request, once it has finished with it. */
    const appLog = async () => {
      await vi.waitFor(() => expect(logs.length).toBeGreaterThan(0), { timeout: 5_000 });
      return logs.map((line) => JSON.parse(line) as { level: string; msg: string; status?: number });
    };

    it.each([
      ['a chunk size that is not hex', '\nTransfer-Encoding: chunked', 'ZZ\r\n{}\r\n0\r\n\r\n'],
      ['a broken chunk after a good one', '\nTransfer-Encoding: chunked', '2\r\n{"\r\nnope\r\n'],
    ])('%s: a 400 logged at warn, nothing written', async (_, framing, body) => {
      const before = await pipelineCount();
      const res = await rawRequest(port, `${head()}${framing}`, body);
      expect(res.status).toBe(400);
      const lines = await appLog();
      expect(lines).toEqual([expect.objectContaining({ level: 'warn', msg: 'request body could not be read', status: 400 })]);
      expect(await pipelineCount()).toBe(before);
    });

    it('a body shorter than its Content-Length, the client gone: logged at warn as a 400', async () => {
      await rawRequest(port, `${head()}\nContent-Length: 100`, '{"name":"cut', { endEarly: true, waitMs: 2_000 });
      expect(await appLog()).toEqual([expect.objectContaining({ level: 'warn', status: 400 })]);
    });
  });
});
