/**
 * A loopback HTTP client that sends exactly what it is given: headers with any latin1 bytes, no
 * header it was not asked for, bodies as raw bytes. (fetch adds a Content-Type to string bodies
 * and refuses some header values; the fuzz wants to send those.)
 */
import http from 'node:http';

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export function createClient(baseUrl: string) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    send(request: RawRequest): Promise<RawResponse> {
      return new Promise((resolve, reject) => {
        const headers: Record<string, string | number> = { ...request.headers };
        // Always framed by Content-Length (the chunked and body-less framings have their own tests).
        if (request.body !== undefined) headers['content-length'] = request.body.byteLength;
        const req = http.request(
          { hostname, port, method: request.method, path: request.path, headers, agent, timeout: 60_000, insecureHTTPParser: false },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timeout: ${request.method} ${request.path}`)));
        req.on('error', reject);
        req.end(request.body);
      });
    },
    close: () => agent.destroy(),
  };
}

export type Client = ReturnType<typeof createClient>;
