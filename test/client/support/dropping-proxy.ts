import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy between the client and the API that the test controls: it forwards bytes both
 * ways, records each request line it sees, and `dropResponseTo(match)` makes it cut the
 * connection of the next request whose head matches when the server's first response bytes
 * arrive, so the server has done (and committed) the work but the client never hears of it.
 */
export async function startDroppingProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  const requestLines: string[] = [];
  let match: ((head: string) => boolean) | undefined;
  let dropped = 0;

  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    let dropNextResponse = false;
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      // A request head starts a chunk (bodies follow in the same or later chunks).
      const line = /^(GET|POST|PUT|PATCH|DELETE) \S+ HTTP\/1\.1/.exec(text)?.[0];
      if (line) {
        requestLines.push(line);
        if (match?.(text)) {
          match = undefined;
          dropNextResponse = true;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (dropNextResponse) {
        dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requestLines,
    dropped: () => dropped,
    dropResponseTo(predicate: (head: string) => boolean) {
      match = predicate;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
