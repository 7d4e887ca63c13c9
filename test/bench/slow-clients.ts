/**
 * Slow clients against `npm start` (a subprocess on an in-memory PGlite, loopback only): the
 * larger run of test/local/server-limits.test.ts. A normal client sends sequential GET /health on
 * one keep-alive connection; first alone (the baseline, same process, same server), then beside
 * `--headers` connections sending their headers a byte every 200 ms and `--bodies` connections
 * sending a declared body a byte every 200 ms. Reports the normal client's median and p99 for
 * both phases and their ratio, how long the server let the slow ones hold their connection
 * against the bounds (and how long they waited to connect), the server's CPU time and resident
 * memory, the kernel's listen-queue overflows and the load average: on a busy machine the server
 * gets a fraction of a core, and every cut comes that much later.
 *
 *   npm run bench:slow-clients [-- --headers 400 --bodies 400 --headers-timeout 2000 --request-timeout 4000]
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
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

/** User + system CPU time of a process so far, in ms (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const round = (n: number) => Math.round(n * 10) / 10;
/** The kernel's count of connections refused because a listen queue was full (all sockets, Linux). */
const listenOverflows = () => {
  if (!existsSync('/proc/net/netstat')) return Number.NaN;
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const index = names!.split(' ').indexOf('ListenOverflows');
  return Number(values!.split(' ')[index]);
};
const latencyRow = (phase: string, l: number[]) => ({ phase, requests: l.length, 'median ms': round(percentile(l, 50)), 'p99 ms': round(percentile(l, 99)) });
const heldRow = (kind: string, bound: number, outcomes: SlowOutcome[]) => {
  const held = outcomes.map((o) => o.heldMs);
  return {
    kind,
    connections: outcomes.length,
    'bound ms': bound,
    'max connect ms': round(Math.max(...outcomes.map((o) => o.connectMs))),
    'median held ms': round(percentile(held, 50)),
    'max held ms': round(Math.max(...held)),
    '408 problem+json': outcomes.filter((o) => o.status === 408 && o.contentType === 'application/problem+json').length,
    'not cut': outcomes.filter((o) => o.status === undefined).length,
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
    const aloneFrom = { cpu: cpuMs(pid), wall: performance.now() };
    const alone = await normalClientLatencies(server.baseUrl, requestTimeoutMs);
    const aloneCpu = { cpu: cpuMs(pid) - aloneFrom.cpu, wall: performance.now() - aloneFrom.wall };

    let rssPeak = rssBefore;
    const overflowsBefore = listenOverflows();
    const besideFrom = { cpu: cpuMs(pid), wall: performance.now() };
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 100);
    const giveUpMs = requestTimeoutMs * 3;
    const headers = Array.from({ length: Number(values.headers) }, () => slowHeaders(server.port, { giveUpMs }));
    const bodies = Array.from({ length: Number(values.bodies) }, () => slowBody(server.port, LOCAL_ADMIN_TOKEN, { giveUpMs }));
    const beside = await normalClientLatencies(server.baseUrl, requestTimeoutMs + 1_000);
    const [headerOutcomes, bodyOutcomes] = [await Promise.all(headers), await Promise.all(bodies)];
    clearInterval(sampler);
    const overflows = listenOverflows() - overflowsBefore;
    const besideCpu = { cpu: cpuMs(pid) - besideFrom.cpu, wall: performance.now() - besideFrom.wall };

    console.table([latencyRow('alone (baseline)', alone), latencyRow('beside the slow clients', beside)]);
    console.log(
      `p99 ratio (beside / alone): ${round(percentile(beside, 99) / percentile(alone, 99))}x; goal p99 < 50 ms: ${percentile(beside, 99) < 50 ? 'met' : 'MISSED'}`,
    );
    console.table([heldRow('slow headers', headersTimeoutMs, headerOutcomes), heldRow('slow body', requestTimeoutMs, bodyOutcomes)]);
    const share = ({ cpu, wall }: { cpu: number; wall: number }) => `${Math.round(cpu)} ms CPU over ${Math.round(wall)} ms`;
    console.log(`server: ${share(aloneCpu)} alone, ${share(besideCpu)} beside the slow clients (until the last is cut)`);
    console.log(`server RSS: ${round(rssBefore)} MiB before, ${round(rssPeak)} MiB at the peak`);
    console.log(`listen queue overflows during the run (whole machine): ${overflows}; load average ${loadavg().map(round).join(', ')}`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
