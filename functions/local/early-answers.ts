/**
 * A response sent before the request body was read (401 before authorization lets the body in,
 * 413 on a declared Content-Length) leaves the client still sending it. If the server then closes
 * the socket while the response said keep-alive, the client's pool reuses a dead connection and
 * its next request fails ("other side closed"). So an early answer either reads and discards the
 * rest of the body (up to EARLY_ANSWER_DRAIN_BYTES), keeping the connection, or says
 * `Connection: close` so the client opens a new one. Beyond the bound the refused request itself
 * may see its upload reset (the server stops reading), but the client's next request succeeds.
 * Node-only: on Lambda the whole body is in the event.
 */
import type { HttpBindings } from '@hono/node-server';

/** How many unread body bytes an early answer reads and discards to keep the connection. */
export const EARLY_ANSWER_DRAIN_BYTES = 8 * 1024 * 1024;

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
    const reusable = await bodyConsumed(request, env);
    return reusable && !policy.closing ? response : withConnectionClose(response);
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
