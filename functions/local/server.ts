/**
 * The Node HTTP server `npm start` runs the app on, with its limits set for an API rather than
 * left at Node's defaults (a 60 s headers timeout, 300 s per request, no connection cap): slow or
 * oversized clients are cut at the configured bounds, answered in problem+json, and an early
 * answer never leaves a client's connection pool holding a dead socket.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import type { LocalServerConfig } from '../config';
import type { App } from '../api/env';
import { answerClientError } from './client-error';
import { type ConnectionPolicy, keepConnectionsUsable } from './early-answers';

export interface LocalServer {
  server: Server;
  policy: ConnectionPolicy;
  /** Resolves with the bound address once listening (port 0 picks a free port). */
  listen(port: number): Promise<AddressInfo>;
}

export function createLocalServer(app: App, settings: LocalServerConfig): LocalServer {
  const policy: ConnectionPolicy = { closing: false, inFlight: 0 };
  const fetch = keepConnectionsUsable((request, env: HttpBindings) => app.fetch(request, env), policy);
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      maxHeaderSize: settings.maxHeaderBytes,
      // Node checks the two timeouts only this often (30 s by default): often enough that a
      // slow client is cut close to its bound.
      connectionsCheckingInterval: checkingInterval(settings),
    },
    getRequestListener(fetch as Parameters<typeof getRequestListener>[0]),
  );
  server.maxConnections = settings.maxConnections;
  server.on('clientError', answerClientError(settings.maxHeaderBytes));
  return {
    server,
    policy,
    listen: (port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        // The kernel queues connections the server has not accepted yet up to the backlog (Node's
        // default is 511) and drops the SYNs of more; a dropped client retries after 1 s, 3 s, 7 s.
        // A burst up to the connection cap, arriving while the event loop is busy, waits instead.
        server.listen({ port, host: settings.host, backlog: settings.maxConnections }, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
  };
}

function checkingInterval({ headersTimeoutMs, requestTimeoutMs }: LocalServerConfig): number {
  return Math.max(50, Math.min(1_000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 10)));
}
