/**
 * Slow clients over raw sockets (the "slowloris" kinds) and a normal client beside them: how long
 * the server lets each slow one hold its connection, and what the normal one's latency is
 * meanwhile. Shared by test/local/server-limits.test.ts and `npm run bench:slow-clients`.
 */
import net from 'node:net';

export interface SlowOutcome {
  /** From the connect call to the connection being established (the server's listen queue). */
  connectMs: number;
  /** Connected to closed, as the client saw it. */
  heldMs: number;
  status: number | undefined;
  contentType: string | undefined;
}

/**
 * Sends `head` then `trickle` one byte every `intervalMs`, never finishing, until the server closes
 * the connection (or `giveUpMs` after connecting passes: then the outcome has no status and
 * heldMs >= giveUpMs).
 */
export function slowClient(port: number, head: string, trickle: string, { intervalMs = 200, giveUpMs = 30_000 } = {}): Promise<SlowOutcome> {
  return new Promise((resolve) => {
    const called = performance.now();
    let started = called;
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let ticker: NodeJS.Timeout | undefined;
    // Reset on connect: time spent in the server's listen queue is not time the server holds.
    let giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    socket.on('connect', () => {
      clearTimeout(giveUp);
      started = performance.now();
      if (head) socket.write(head);
      ticker = setInterval(() => {
        if (socket.writable) socket.write(trickle[sent++ % trickle.length]!);
      }, intervalMs);
      giveUp = setTimeout(() => socket.destroy(), giveUpMs);
    });
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(ticker);
      clearTimeout(giveUp);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(received)?.[1]) || undefined;
      const contentType = /\r\ncontent-type: ([^\r]+)/i.exec(received)?.[1];
      resolve({ connectMs: started - called, heldMs: performance.now() - started, status, contentType });
    });
  });
}

/** Headers that never end: a byte of a header value at a time. */
export const slowHeaders = (port: number, options?: { intervalMs?: number; giveUpMs?: number }) =>
  slowClient(port, 'GET /health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ', 'abcdefgh', options);

/** Complete headers, then a declared body sent a byte at a time. */
export const slowBody = (port: number, token: string, options?: { intervalMs?: number; giveUpMs?: number }) =>
  slowClient(
    port,
    `POST /v1/projects HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"`,
    'slow',
    options,
  );

/** Sequential GETs on one fetch client for `durationMs`; each latency in ms. */
export async function normalClientLatencies(baseUrl: string, durationMs: number, path = '/health'): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + durationMs;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await fetch(`${baseUrl}${path}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`normal client got ${res.status}`);
    latencies.push(performance.now() - t);
  }
  return latencies;
}

export const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
