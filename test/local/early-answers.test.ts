/**
 * An answer sent before the request body was read (413 on a declared size, 401 before the body is
 * let in) must not leave the client's connection pool holding a socket the server is about to
 * close: with Node's own fetch (undici), the next requests on the same client succeed. Bodies up
 * to EARLY_ANSWER_DRAIN_BYTES are read and discarded (the connection stays usable); beyond that,
 * or once the app stopped reading mid-way, the answer says Connection: close, and the server goes
 * on reading the upload after it (a lingering close) so the client still gets the answer.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EARLY_ANSWER_DRAIN_BYTES } from '../../functions/local/early-answers';
import { LOCAL_ADMIN_TOKEN, type LocalProcess, START_TIMEOUT_MS, startLocalServer } from '../support/local-server';

const MiB = 1024 * 1024;

interface UploadOutcome {
  status: number | undefined;
  connection: string | undefined;
  /** The socket error the client saw, if any (EPIPE, ECONNRESET). */
  error: string | undefined;
}

/**
 * A client that sends its whole request before it reads the response, as Python's http.client
 * and many scripts do: if the server resets the connection while the body is still going out, it
 * never sees the answer.
 */
function uploadThenRead(port: number, head: string, bodyBytes: number): Promise<UploadOutcome> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let error: string | undefined;
    const giveUp = setTimeout(() => socket.destroy(), 30_000);
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err.code ?? err.message));
    socket.on('connect', () => {
      socket.write(`${head.replace(/\r?\n/g, '\r\n')}\r\nContent-Length: ${bodyBytes}\r\n\r\n`);
      socket.end(Buffer.alloc(bodyBytes, 0x78), () => socket.on('data', (chunk) => (text += chunk.toString('latin1'))));
    });
    socket.on('close', () => {
      clearTimeout(giveUp);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]) || undefined;
      resolve({ status, connection: /\r\nconnection: ([^\r]+)/i.exec(text)?.[1], error });
    });
  });
}

describe('early answers over one fetch client', () => {
  let server: LocalProcess;
  beforeAll(async () => {
    server = await startLocalServer();
  }, START_TIMEOUT_MS);
  afterAll(() => server?.stop());

  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${server.baseUrl}/v1/projects`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${LOCAL_ADMIN_TOKEN}`, 'Content-Type': 'application/json', ...headers },
      body,
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    } as RequestInit);

  /** Plain GETs on the same client; the count of those that got their answer. */
  const followingGets = async (n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${server.baseUrl}/health`).catch(() => undefined);
      if (res?.status === 200) ok++;
      await res?.text();
    }
    return ok;
  };

  it('a 2 MiB POST answered 413, then GETs: 100 sequences out of 100 succeed, the connection kept', async () => {
    const body = 'x'.repeat(2 * MiB);
    let succeeded = 0;
    for (let i = 0; i < 100; i++) {
      const res = await post(body);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('keep-alive');
      expect((await res.json()).code).toBe('payload_too_large');
      if ((await followingGets(2)) === 2) succeeded++;
    }
    expect(succeeded).toBe(100);
  });

  it('a 401 before the body is read keeps the connection usable too', async () => {
    let succeeded = 0;
    for (let i = 0; i < 20; i++) {
      const res = await post('x'.repeat(2 * MiB), { Authorization: 'Bearer wrong-token-000000000000' });
      expect(res.status).toBe(401);
      await res.text();
      if ((await followingGets(2)) === 2) succeeded++;
    }
    expect(succeeded).toBe(20);
  });

  it('a chunked 2 MiB body the app stopped reading at the limit is drained: 413, the connection kept', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    for (let i = 0; i < 20; i++) {
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 2 * MiB) return controller.close();
          sent += chunk.byteLength;
          controller.enqueue(chunk);
        },
      });
      const res = await post(stream);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('keep-alive');
      await res.text();
      expect(await followingGets(2)).toBe(2);
    }
  });

  it('a body beyond what is drained: 413 with Connection: close, read by the client (lingering close), the next GETs succeed', async () => {
    const body = 'x'.repeat(EARLY_ANSWER_DRAIN_BYTES + MiB);
    for (let i = 0; i < 10; i++) {
      const res = await post(body);
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      await res.text();
      expect(await followingGets(2)).toBe(2);
    }
  });

  it('a 20 MiB upload answered 413 is read whole by a client that sends its body before reading (lingering close)', async () => {
    const head = `POST /v1/projects HTTP/1.1\nHost: localhost\nAuthorization: Bearer ${LOCAL_ADMIN_TOKEN}\nContent-Type: application/json`;
    for (let i = 0; i < 5; i++) {
      const outcome = await uploadThenRead(server.port, head, 20 * MiB);
      expect(outcome).toEqual({ status: 413, connection: 'close', error: undefined });
    }
  });

  it('a 415 (the body read whole) keeps the connection', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await post('name=x', { 'Content-Type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(415);
      expect(res.headers.get('connection')).toBe('keep-alive');
      await res.text();
      expect(await followingGets(2)).toBe(2);
    }
  });
});
