import { createServer, connect, type Socket } from 'node:net';

/** Where a one-shot cut happens, relative to the first client message whose bytes match. */
export interface CutPoint {
  /** Matched against the bytes the app sends (the SQL text of a Query or Parse message). */
  match: RegExp;
  /**
   * 'before': the matching bytes never reach the server (the statement is never run);
   * 'after-reply': they reach it and it runs them, but its reply never reaches the app.
   */
  when: 'before' | 'after-reply';
}

/**
 * A TCP proxy the test controls, between the app and PostgreSQL. Two kinds of fault:
 * - outage (reset): `cut()` resets open connections and closes new ones at once; `cutAt()` does so
 *   once, at a chosen point of the protocol (before BEGIN, after an INSERT, between COMMIT and its
 *   reply);
 * - partition: `partition()` keeps every connection open but forwards no more bytes either way and
 *   leaves new ones hanging, as a network that drops packets does.
 * `restore()` ends either. The database itself is never stopped.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let mode: 'up' | 'reset' | 'partition' = 'up';
  let cutPoint: (CutPoint & { hit: () => void }) | undefined;

  const server = createServer((client) => {
    if (mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    pairs.add(pair);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    // Per pair: once the cut point fired on this connection, its next reply is swallowed and the
    // connection reset.
    let swallowReply = false;
    client.on('data', (chunk: Buffer) => {
      if (mode === 'partition') return;
      if (cutPoint?.match.test(chunk.toString('latin1'))) {
        const point = cutPoint;
        cutPoint = undefined;
        point.hit();
        if (point.when === 'before') {
          client.resetAndDestroy();
          upstream.destroy();
          return;
        }
        swallowReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (mode === 'partition') return;
      if (swallowReply) {
        client.resetAndDestroy();
        // Left to the server: its side sees the connection close and rolls back whatever is open.
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    /** Outage: every open connection reset, new ones refused, until restore(). */
    cut() {
      mode = 'reset';
      for (const socket of sockets) socket.destroy();
    },
    /** One reset at a point of the protocol; resolves when it has happened. */
    cutAt(point: CutPoint): Promise<void> {
      return new Promise<void>((resolve) => (cutPoint = { ...point, hit: resolve }));
    },
    /** Partition: connections stay open, bytes stop, new connections hang; until restore(). */
    partition() {
      mode = 'partition';
    },
    restore() {
      mode = 'up';
      cutPoint = undefined;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
