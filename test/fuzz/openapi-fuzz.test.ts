/**
 * Every operation of the served OpenAPI document, driven over loopback with generated valid and
 * hostile requests (harness.ts): no 5xx, every status declared, every error problem+json, every
 * 2xx body valid against its schema. Seeded and bounded; FUZZ_SEED and FUZZ_RUNS override, and
 * `npm run fuzz -- --runs N` is the longer run outside the suite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/api';
import { testDatabase, testDriver } from '../support/database';
import { runFuzz } from './harness';
import { startServer } from './server';

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_612);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);

describe('OpenAPI fuzz', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer(await testDatabase(), { ADMIN_TOKEN });
  });
  afterAll(() => server?.close());

  it(`${RUNS} generated requests per operation (seed ${SEED}) get declared, well-formed answers`, { timeout: 600_000 }, async () => {
    const report = await runFuzz({ baseUrl: server.baseUrl, adminToken: ADMIN_TOKEN, seed: SEED, runs: RUNS });
    console.log(
      `fuzz on ${testDriver}: seed ${report.seed}, ${report.operations} operations, ${report.requests} requests ` +
        `(+${report.setupRequests} fixture requests), 5xx: ${report.serverErrors}, undeclared statuses: ${report.undeclared}, ` +
        `findings: ${report.findings.length}; statuses ${JSON.stringify(report.byStatus)}`,
    );
    if (process.env.FUZZ_SAMPLES) console.log(JSON.stringify(report.samples, null, 1));
    expect(report.operations).toBeGreaterThan(30);
    expect(report.requests).toBe(report.operations * RUNS);
    // Some of every kind of answer: the fuzz reaches the database, not only the validators.
    expect(Object.keys(report.byStatus)).toEqual(expect.arrayContaining(['200', '201', '400', '401', '404']));
    expect(report.findings).toEqual([]);
  });
});
