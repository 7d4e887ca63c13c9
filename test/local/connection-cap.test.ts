/**
 * SERVER_MAX_CONNECTIONS: past the cap, new connections are dropped at once (they cost nothing
 * more), and served again as soon as open ones close. The local server's own code over a stub app.
 */
import net from 'node:net';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import type { App } from '../../functions/api/env';
import { createLocalServer } from '../../functions/local/server';
import { rawRequest } from '../support/raw-http';

const CAP = 5;

describe('the connection cap', () => {
  const app = new OpenAPIHono();
  app.get('/health', (c) => c.text('ok'));
  const local = createLocalServer(app as unknown as App, { ...loadConfig({ SERVER_MAX_CONNECTIONS: String(CAP) }).server, host: '127.0.0.1' });
  let port: number;
  beforeAll(async () => {
    port = (await local.listen(0)).port;
  });
  afterAll(() => {
    local.server.closeAllConnections();
    local.server.close();
  });

  const openIdle = () =>
    new Promise<net.Socket>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
      socket.on('error', () => undefined);
    });

  it(`drops connection ${CAP + 1} while ${CAP} are open, and serves again once one closes`, async () => {
    const open = await Promise.all(Array.from({ length: CAP }, openIdle));
    const refused = await rawRequest(port, 'GET /health HTTP/1.1\nHost: localhost', '', { waitMs: 5_000 });
    expect(refused.status).toBeUndefined();

    open.pop()!.destroy();
    await expect.poll(async () => (await rawRequest(port, 'GET /health HTTP/1.1\nHost: localhost')).status, { timeout: 5_000 }).toBe(200);
    for (const socket of open) socket.destroy();
  });
});
