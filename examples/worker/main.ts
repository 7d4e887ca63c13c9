/**
 * The example worker as a program:
 *
 *   PIPESTORE_URL=http://127.0.0.1:3000 PIPESTORE_API_KEY=ps_… node --import tsx examples/worker/main.ts [--trigger] [--once]
 *
 * `--trigger` creates the example pipeline when missing and starts one run; `--once` processes the
 * pending runs and exits, otherwise it polls every POLL_INTERVAL_MS (default 2000) until Ctrl-C.
 */
import { PipestoreError, createClient } from 'pipestore/client';
import { PIPELINE, TASKS } from './tasks';
import { processPendingRuns, registerService, type WorkerOptions } from './worker';

const url = process.env.PIPESTORE_URL ?? 'http://127.0.0.1:3000';
const apiKey = process.env.PIPESTORE_API_KEY;
if (!apiKey) {
  process.stderr.write('PIPESTORE_API_KEY is required (a project key: see "Your first authenticated call" in the README)\n');
  process.exit(2);
}
const client = createClient({ baseUrl: url, apiKey });
const options: WorkerOptions = {
  client,
  serviceId: 'example-worker',
  version: '1.0.0',
  pipeline: PIPELINE.name,
  tasks: TASKS,
  log: (message) => process.stdout.write(`${message}\n`),
};

await registerService(options);
if (process.argv.includes('--trigger')) {
  const pipeline = await client.pipelines.create({ body: PIPELINE }).catch(async (err) => {
    if (err instanceof PipestoreError && err.status === 409) return client.pipelines.get({ id: PIPELINE.name });
    throw err;
  });
  const run = await client.runs.create({ id: pipeline.id, body: { input: { date: new Date().toISOString().slice(0, 10) } } });
  options.log?.(`triggered run ${run.id}`);
}

let stopping = false;
process.on('SIGINT', () => (stopping = true));
do {
  await processPendingRuns(options);
  if (process.argv.includes('--once')) break;
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.POLL_INTERVAL_MS ?? 2_000)));
} while (!stopping);
