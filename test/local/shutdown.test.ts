/**
 * SIGTERM (a container runtime stopping `npm start`) with requests in flight: the server stops
 * accepting, answers every request already started, closes PGlite cleanly and exits 0; the data
 * directory then opens without recovery and holds what those requests wrote.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-http';
import { LOCAL_ADMIN_TOKEN, type LocalProcess, START_TIMEOUT_MS, startLocalServer } from '../support/local-server';

const IN_FLIGHT = 20;
const definition = { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] };

/**
 * Postgres' own record of how it stopped (pg_control's `state`, after the system identifier and
 * two version numbers): 1 is "shut down"; anything else makes the next start run crash recovery.
 */
const DB_SHUTDOWNED = 1;
const controlState = (dataDir: string) => readFileSync(join(dataDir, 'global', 'pg_control')).readUInt32LE(16);

/** A POST whose headers and first half of the body are sent now, the rest when `finish` is called. */
function halfSentPost(port: number, path: string, token: string, json: string) {
  const half = Math.floor(json.length / 2);
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  const connected = new Promise<void>((resolve) =>
    socket.on('connect', () => {
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json.slice(0, half)}`,
      );
      resolve();
    }),
  );
  return {
    connected,
    finish: () => socket.write(json.slice(half)),
    /** Status line and body, once the server has closed the connection. */
    response: closed.then((text) => ({ status: Number(text.split(' ')[1]), body: text.slice(text.indexOf('\r\n\r\n') + 4) })),
  };
}

describe('shutdown on SIGTERM', () => {
  const root = mkdtempSync(join(tmpdir(), 'pipestore-shutdown-'));
  const dataDir = join(root, 'data');
  const env = { DATABASE_URL: `pglite:${dataDir}`, SHUTDOWN_GRACE_MS: '30000' };
  let server: LocalProcess | undefined;
  afterAll(async () => {
    await server?.stop('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  it(`answers all ${IN_FLIGHT} requests in flight, exits 0, and the data directory reopens clean`, { timeout: 3 * START_TIMEOUT_MS }, async () => {
    server = await startLocalServer(env);
    const admin = { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}`, 'Content-Type': 'application/json' };
    const project = await (await fetch(`${server.baseUrl}/v1/projects`, { method: 'POST', headers: admin, body: '{"name":"shutdown"}' })).json();
    const { key } = await (await fetch(`${server.baseUrl}/v1/projects/${project.id}/keys`, { method: 'POST', headers: admin })).json();

    const names = Array.from({ length: IN_FLIGHT }, (_, i) => `in-flight-${i}`);
    const requests = names.map((name) => halfSentPost(server!.port, '/v1/pipelines', key, JSON.stringify({ name, definition })));
    await Promise.all(requests.map((r) => r.connected));
    // A request on a later connection answered: the server has taken in the earlier ones (a
    // connection whose request has not begun to be parsed counts as idle, and idle ones are
    // closed at once on shutdown, as Node does).
    expect((await rawRequest(server.port, 'GET /health HTTP/1.1\nHost: localhost')).status).toBe(200);

    server.child.kill('SIGTERM');
    // The server no longer accepts connections...
    await expect.poll(() => canConnect(server!.port), { timeout: 10_000, interval: 50 }).toBe(false);
    // ...but the requests it had get to finish.
    for (const request of requests) request.finish();
    const responses = await Promise.all(requests.map((r) => r.response));
    expect(
      responses.map((r) => r.status),
      server.output(),
    ).toEqual(names.map(() => 201));
    for (const [i, r] of responses.entries()) expect(r.body).toContain(`"name":"${names[i]}"`);
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped","signal":"SIGTERM"/);
    expect(controlState(dataDir)).toBe(DB_SHUTDOWNED);

    // Restarted on the same directory: everything the in-flight requests wrote is there.
    server = await startLocalServer(env);
    for (const name of names) {
      const res = await fetch(`${server.baseUrl}/v1/pipelines/${name}`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
    }
    expect(await server.stop('SIGINT')).toBe(0);
    expect(controlState(dataDir)).toBe(DB_SHUTDOWNED);
  });
});

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
