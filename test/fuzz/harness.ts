/**
 * The API fuzzer: drives every operation of the served /openapi.json over loopback with generated
 * valid and hostile requests, and checks every response against the same document:
 * - no 5xx;
 * - every status is declared for the operation;
 * - every 4xx is application/problem+json and validates as a Problem with its own status;
 * - every 2xx JSON body validates against the operation's response schema (ajv, JSON Schema
 *   2020-12 as OpenAPI 3.1 uses it), and the headers declared `required` are there.
 * Generation is seeded (fast-check), so a run is reproducible from (seed, runs). The fixtures it
 * needs (a project, its key, a pipeline, a run, a task run, a DLQ entry, a service, a stored task
 * result) are made through the API itself and remade every few requests, since the fuzz deletes,
 * cancels and revokes them.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Checker, describe, parse } from './checker';
import { type Doc, operations } from './document';
import { makeFixtures } from './fixtures';
import { createClient } from './http-client';
import { buildRequest, planArbitrary } from './requests';

export interface Finding {
  operation: string;
  request: string;
  status: number;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  operations: number;
  requests: number;
  setupRequests: number;
  byStatus: Record<string, number>;
  serverErrors: number;
  undeclared: number;
  findings: Finding[];
  /** A few requests per status, to see what the generated traffic looks like. */
  samples: Record<string, string[]>;
}

export interface FuzzOptions {
  baseUrl: string;
  adminToken: string;
  seed: number;
  /** Generated requests per operation. */
  runs: number;
  /** Fixtures are remade after this many requests of an operation. */
  refreshEvery?: number;
  onProgress?: (line: string) => void;
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const client = createClient(options.baseUrl);
  const refreshEvery = options.refreshEvery ?? 40;
  try {
    const docRes = await client.send({ method: 'GET', path: '/openapi.json', headers: {} });
    const doc = JSON.parse(docRes.text) as Doc;
    const ops = operations(doc);
    const checker = new Checker(doc);
    const report: FuzzReport = {
      seed: options.seed,
      operations: ops.length,
      requests: 0,
      setupRequests: 0,
      byStatus: {},
      serverErrors: 0,
      undeclared: 0,
      findings: [],
      samples: {},
    };
    const setup = { count: 0 };

    for (const [index, op] of ops.entries()) {
      // Each operation has its own stream of the seed: adding an operation leaves the others' alone.
      const plans = fc.sample(planArbitrary(doc, op), { seed: options.seed + index * 7919, numRuns: options.runs });
      let fixtures = await makeFixtures(client, options.adminToken, setup);
      for (const [i, plan] of plans.entries()) {
        if (i > 0 && i % refreshEvery === 0) fixtures = await makeFixtures(client, options.adminToken, setup);
        const request = buildRequest(op, plan, fixtures, options.adminToken);
        const res = await client.send(request);
        report.requests++;
        report.byStatus[res.status] = (report.byStatus[res.status] ?? 0) + 1;
        const nextCursor = res.status === 200 ? (parse(res.text) as { nextCursor?: unknown }).nextCursor : undefined;
        if (typeof nextCursor === 'string') fixtures.cursors.push(nextCursor);
        const problem = checker.check(op, res, request.mustFail, !request.body?.byteLength);
        const samples = (report.samples[res.status] ??= []);
        if (samples.length < 3 || Math.random() < 0.01)
          samples[samples.length < 3 ? samples.length : Math.floor(Math.random() * 3)] = `${describe(request)} -> ${res.text.slice(0, 200)}`;
        if (problem) {
          if (res.status >= 500) report.serverErrors++;
          if (problem.startsWith('status ')) report.undeclared++;
          if (report.findings.length < 200) {
            report.findings.push({
              operation: op.id,
              request: describe(request),
              status: res.status,
              problem,
            });
          }
        }
      }
      options.onProgress?.(`${op.id}: ${plans.length} requests`);
    }
    report.setupRequests = setup.count;
    return report;
  } finally {
    client.close();
  }
}

export const newSeed = () => Number.parseInt(randomUUID().slice(0, 8), 16);
