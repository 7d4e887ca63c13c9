/**
 * A burst of connections arriving while the event loop is busy (a slow handler, GC, a starved CPU)
 * waits in the kernel's listen queue, up to SERVER_MAX_CONNECTIONS, instead of having its SYNs
 * dropped: a dropped client retries only a second or more later, so it is served (or cut) late.
 * The local server's own code over a stub app; the queue is read where the kernel shows it.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import type { App } from '../../functions/api/env';
import { createLocalServer } from '../../functions/local/server';

/** Over Node's default backlog of 511, under the default cap of 1000. */
const BURST = 700;
/** How long the event loop is held at most while the burst arrives. */
const BUSY_MS = 3_000;

/**
 * Connections the kernel has established for a listening port that the server has not accepted
 * yet: the rx_queue column of its LISTEN line in /proc/net/tcp (Linux).
 */
function acceptQueueLength(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((fields) => fields[1] === local && fields[3] === '0A');
  if (!listening) throw new Error(`no listening socket on ${local} in /proc/net/tcp`);
  return Number.parseInt(listening[4]!.split(':')[1]!, 16);
}

describe('the listen queue', () => {
  const app = new OpenAPIHono();
  app.get('/health', (c) => c.text('ok'));
  const local = createLocalServer(app as unknown as App, { ...loadConfig({}).server, host: '127.0.0.1' });
  let port: number;
  const sockets: net.Socket[] = [];
  beforeAll(async () => {
    port = (await local.listen(0)).port;
  });
  afterAll(() => {
    for (const socket of sockets) socket.destroy();
    local.server.closeAllConnections();
    local.server.close();
  });

  it(`queues a burst of ${BURST} connections that arrives while the event loop is busy, then serves them all`, async () => {
    const connected = Array.from(
      { length: BURST },
      () =>
        new Promise<boolean>((resolve) => {
          const socket = net.connect(port, '127.0.0.1', () => resolve(true));
          socket.on('error', () => resolve(false));
          sockets.push(socket);
        }),
    );
    // net.connect to an IP address connects on the next tick: let the SYNs go, then hold the
    // loop (the server cannot accept) until the kernel has queued them all or stops taking more.
    await new Promise((resolve) => process.nextTick(resolve));
    const busyUntil = performance.now() + BUSY_MS;
    let queued = acceptQueueLength(port);
    while (queued < BURST && performance.now() < busyUntil) {
      const pause = performance.now() + 50;
      while (performance.now() < pause);
      queued = acceptQueueLength(port);
    }

    expect(queued).toBe(BURST);
    expect(await Promise.all(connected)).toEqual(connected.map(() => true));
  });
});
