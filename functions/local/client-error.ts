/**
 * Requests Node's HTTP parser refuses before the app sees them (headers over the limit, bytes
 * that are not HTTP, a client too slow to send its request) get the API's one error shape,
 * problem+json, instead of Node's bare status line. There is no request or response object here:
 * the answer is written to the socket, which is then closed.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { ProblemCode } from '../core/problem-codes';
import { log } from '../log';

interface ParserError extends Error {
  code?: string;
}

interface Answer {
  status: number;
  reason: string;
  code: ProblemCode;
  detail: string;
}

function answerFor(err: ParserError, maxHeaderBytes: number): Answer {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        code: 'headers_too_large',
        detail: `the request line and headers exceed ${maxHeaderBytes} bytes`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, reason: 'Content Too Large', code: 'chunk_extensions_too_large', detail: 'the chunk extensions are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', code: 'request_timeout', detail: 'the request was not received in time' };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        code: 'malformed_request',
        detail: `the request is not valid HTTP/1.1${err.code?.startsWith('HPE_') ? ` (${err.code})` : ''}`,
      };
  }
}

/** The server's 'clientError' listener. */
export function answerClientError(maxHeaderBytes: number) {
  return (err: ParserError, socket: Socket): void => {
    // The client is gone: there is no one to answer.
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    // A response of the app already under way on this socket cannot be followed by another.
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const answer = answerFor(err, maxHeaderBytes);
    const requestId = randomUUID();
    // A request the app is handling (the error is in its body, or its body is too slow) is
    // logged by the app when its body read fails; only what the app never saw is logged here.
    if (!inFlight) log.warn('request refused by the HTTP parser', { requestId, status: answer.status, error: err.code ?? err.message });
    const body = JSON.stringify({
      type: `https://pipestore.dev/problems/${answer.code}`,
      title: answer.reason,
      status: answer.status,
      detail: answer.detail,
      code: answer.code,
      requestId,
    });
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.reason}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // A client that does not read its answer must not hold the socket open.
    setTimeout(() => socket.destroy(), 1_000).unref();
  };
}
