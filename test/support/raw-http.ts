/**
 * HTTP/1.1 over a bare socket: requests exactly as written, framing included (no Content-Length,
 * broken chunked encoding, a body cut short), which no HTTP client library will send.
 */
import net from 'node:net';

export interface RawExchange {
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, without the blank line) and `body` as written, then
 * reads until the server closes or `waitMs` passes; `endEarly` half-closes right after writing.
 */
export function rawRequest(
  port: number,
  head: string,
  body = '',
  { waitMs = 5_000, endEarly = false }: { waitMs?: number; endEarly?: boolean } = {},
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(`${head.replace(/\r?\n/g, '\r\n').trimEnd()}\r\nConnection: close\r\n\r\n${body}`);
      if (endEarly) socket.end();
    });
    let text = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (chunk) => (text += chunk.toString('utf8')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const [headText = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = headText.split('\r\n');
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      const raw = rest.join('\r\n\r\n');
      resolve({ status: Number(statusLine.split(' ')[1]) || undefined, headers, body: headers['transfer-encoding'] === 'chunked' ? unchunk(raw) : raw });
    });
  });
}

function unchunk(text: string): string {
  let out = '';
  let rest = text;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
