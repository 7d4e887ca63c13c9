/**
 * Slow clients against `npm start` (a subprocess on an in-memory PGlite, loopback only): the
 * larger run of test/local/server-limits.test.ts. A normal client sends sequential GET /health on
 * one keep-alive connection; first alone (the baseline, same process, same server), then beside
 * `--headers` connections sending their headers a byte every 200 ms and `--bodies` connections
 * sending a declared body a byte every 200 ms. Reports the normal client's median and p99 for
 * both phases and their ratio, how long the server let the slow ones hold their connection
 * against the bounds, and the server's resident memory before and at the peak.
 *
 *   npm run bench:slow-clients [-- --headers 400 --bodies 400 --headers-timeout 2000 --request-timeout 4000]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOCAL_ADMIN_TOKEN, startLocalServer } from '../support/local-server';
import { normalClientLatencies, percentile, slowBody, slowHeaders, type SlowOutcome } from '../support/slow-clients';

const { values } = parseArgs({
  options: {
    headers: { type: 'string', default: '400' },
    bodies: { type: 'string', default: '400' },
    'headers-timeout': { type: 'string', default: '2000' },
    'request-timeout': { type: 'string', default: '4000' },
  },
});
const headersTimeoutMs = Number(values['headers-timeout']);
const requestTimeoutMs = Number(values['request-timeout']);

const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const round = (n: number) => Math.round(n * 10) / 10;
const latencyRow = (phase: string, l: number[]) => ({ phase, requests: l.length, 'median ms': round(percentile(l, 50)), 'p99 ms': round(percentile(l, 99)) });
const heldRow = (kind: string, bound: number, outcomes: SlowOutcome[]) => {
  const held = outcomes.map((o) => o.heldMs);
  return {
    kind,
    connections: outcomes.length,
    'bound ms': bound,
    'median held ms': round(percentile(held, 50)),
    'max held ms': round(Math.max(...held)),
    '408 problem+json': outcomes.filter((o) => o.status === 408 && o.contentType === 'application/problem+json').length,
  };
};

async function main() {
  const server = await startLocalServer({
    SERVER_HEADERS_TIMEOUT_MS: String(headersTimeoutMs),
    SERVER_REQUEST_TIMEOUT_MS: String(requestTimeoutMs),
    LOG_LEVEL: 'info',
  });
  try {
    const pid = server.child.pid!;
    await normalClientLatencies(server.baseUrl, 500);
    const rssBefore = rssMiB(pid);
    const alone = await normalClientLatencies(server.baseUrl, requestTimeoutMs);

    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 100);
    const giveUpMs = requestTimeoutMs * 3;
    const headers = Array.from({ length: Number(values.headers) }, () => slowHeaders(server.port, { giveUpMs }));
    const bodies = Array.from({ length: Number(values.bodies) }, () => slowBody(server.port, LOCAL_ADMIN_TOKEN, { giveUpMs }));
    const beside = await normalClientLatencies(server.baseUrl, requestTimeoutMs + 1_000);
    const [headerOutcomes, bodyOutcomes] = [await Promise.all(headers), await Promise.all(bodies)];
    clearInterval(sampler);

    console.table([latencyRow('alone (baseline)', alone), latencyRow('beside the slow clients', beside)]);
    console.log(`p99 ratio (beside / alone): ${round(percentile(beside, 99) / percentile(alone, 99))}x; goal p99 < 50 ms: ${percentile(beside, 99) < 50 ? 'met' : 'MISSED'}`);
    console.table([heldRow('slow headers', headersTimeoutMs, headerOutcomes), heldRow('slow body', requestTimeoutMs, bodyOutcomes)]);
    console.log(`server RSS: ${round(rssBefore)} MiB before, ${round(rssPeak)} MiB at the peak`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
