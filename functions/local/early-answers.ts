/**
 * A response sent before the request body was read (401 before authorization lets the body in,
 * 413 on a declared Content-Length) leaves the client still sending it. If the server then closes
 * the socket while the response said keep-alive, the client's pool reuses a dead connection and
 * its next request fails ("other side closed"). So an early answer either reads and discards the
 * rest of the body (up to EARLY_ANSWER_DRAIN_BYTES), keeping the connection, or says
 * `Connection: close` so the client opens a new one, and then closes with a linger (below) so the
 * client still reads the answer. Node-only: on Lambda the whole body is in the event.
 */
import type { HttpBindings } from '@hono/node-server';

/** How many unread body bytes an early answer reads and discards to keep the connection. */
export const EARLY_ANSWER_DRAIN_BYTES = 8 * 1024 * 1024;
/** After an answer that closes the connection, how long the rest of the body is still read. */
export const LINGER_MS = 5_000;
/** ...and how many of its bytes at most. */
export const LINGER_BYTES = 64 * 1024 * 1024;

type Fetch = (request: Request, env: HttpBindings) => Response | Promise<Response>;

export interface ConnectionPolicy {
  /** Set while shutting down: every response closes its connection. */
  closing: boolean;
  /** Requests the app is handling now (shutdown waits for them). */
  inFlight: number;
}

export function keepConnectionsUsable(fetch: Fetch, policy: ConnectionPolicy): Fetch {
  return async (request, env) => {
    policy.inFlight++;
    try {
      return await answer(request, env);
    } finally {
      policy.inFlight--;
    }
  };

  async function answer(request: Request, env: HttpBindings): Promise<Response> {
    const response = await fetch(request, env);
    if (await bodyConsumed(request, env)) return policy.closing ? withConnectionClose(response) : response;
    lingerAfterAnswer(request.body, env);
    return withConnectionClose(response);
  }
}

/** Whether the request's body has all arrived, once the rest of an unread one is drained. */
async function bodyConsumed(request: Request, env: HttpBindings): Promise<boolean> {
  // complete: the parser has seen the end of the body (read or not, Node discards the rest).
  if (env.incoming.complete) return true;
  const declared = Number(env.incoming.headers['content-length'] ?? Number.NaN);
  if (declared > EARLY_ANSWER_DRAIN_BYTES) return false;
  // Through the request's own stream: once the adapter has opened it, it owns the socket's flow.
  // The app releases its reader when it stops at the size limit (request-body.ts).
  const body = request.body;
  return body !== null && !body.locked && (await drain(body, EARLY_ANSWER_DRAIN_BYTES));
}

/**
 * A lingering close, as nginx does it. A socket closed while the client's upload is still arriving
 * makes the kernel answer with a reset, and the reset can discard the response before the client
 * reads it: a client that sends its whole body before reading (Python's http.client, most
 * scripts) sees ECONNRESET or EPIPE instead of the 413. So the server sends the response,
 * half-closes, reads and discards the body until it ends or LINGER_MS / LINGER_BYTES pass, and
 * only then closes. SERVER_REQUEST_TIMEOUT_MS still cuts it too.
 */
function lingerAfterAnswer(body: ReadableStream<Uint8Array> | null, { incoming }: HttpBindings): void {
  // An app still holding the body's reader: nothing can read it here, Node closes as it would.
  if (body === null || body.locked) return;
  const socket = incoming.socket;
  let answered = false;
  let drained = false;
  const close = () => socket.destroy();
  const closeWhenDone = () => {
    if (answered && drained) close();
  };
  const deadline = setTimeout(close, LINGER_MS).unref();
  socket.once('close', () => clearTimeout(deadline));
  // Node destroys the socket as soon as a Connection: close response is written
  // (socket.destroySoon); this one only ends, and is destroyed once the lingering is over.
  socket.destroySoon = () =>
    socket.end(() => {
      answered = true;
      closeWhenDone();
    });
  void drain(body, LINGER_BYTES).then(() => {
    drained = true;
    closeWhenDone();
  });
}

/**
 * Reads and discards the rest of a request body; false when it is longer than `maxBytes` or the
 * client goes away. Time is bounded by the server's requestTimeout, which cuts the socket.
 */
async function drain(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<boolean> {
  const reader = body.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      read += value.byteLength;
      if (read > maxBytes) return false;
    }
  } catch {
    return false;
  } finally {
    reader.releaseLock();
  }
}

function withConnectionClose(response: Response): Response {
  const headers = new Headers(response.headers);
  headers.set('Connection', 'close');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
