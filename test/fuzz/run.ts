/**
 * The longer fuzz run, outside `npm test`: `npm run fuzz -- [--runs N] [--seed S] [--pg]`.
 * --runs: generated requests per operation (default 500); --seed: default random, printed so a
 * failing run can be repeated; --pg: on a scratch database of the TEST_DATABASE_URL server
 * (default postgres://postgres@127.0.0.1:5432/test) instead of an in-memory PGlite.
 * Loopback only; prints the report and exits 1 when anything was found.
 */
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createScratchDatabase } from '../support/scratch-database';
import { newSeed, runFuzz } from './harness';
import { startServer } from './server';

const option = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const runs = Number(option('runs') ?? 500);
const seed = Number(option('seed') ?? newSeed());
const onPostgres = process.argv.includes('--pg');
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- [--runs N] [--seed S] [--pg]\n');
  process.exit(2);
}

const ADMIN_TOKEN = 'fuzz-admin-token-0123456789abcdef';

async function main() {
  const scratch = onPostgres ? await createScratchDatabase(process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', 'fuzz') : undefined;
  const database: Database = scratch
    ? await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 4, allowExitOnIdle: true, idleTimeoutMillis: 1_000 })
    : await createDatabase({ driver: 'pglite', dataDir: null });
  await migrateDatabase(database);
  const server = await startServer(database, { ADMIN_TOKEN });
  const started = Date.now();
  try {
    process.stderr.write(`fuzz: seed ${seed}, ${runs} requests per operation, on ${database.driver}\n`);
    const report = await runFuzz({
      baseUrl: server.baseUrl,
      adminToken: ADMIN_TOKEN,
      seed,
      runs,
      onProgress: (line) => process.stderr.write(`  ${line}\n`),
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    process.stdout.write(
      [
        `seed ${report.seed} on ${database.driver}: ${report.operations} operations, ${report.requests} requests ` +
          `(+${report.setupRequests} fixture requests) in ${seconds} s`,
        `5xx: ${report.serverErrors}  undeclared statuses: ${report.undeclared}  findings: ${report.findings.length}`,
        `statuses: ${Object.entries(report.byStatus)
          .map(([s, n]) => `${s}=${n}`)
          .join(' ')}`,
        ...report.findings.slice(0, 50).map((f) => `  ${f.operation} ${f.status}: ${f.problem}\n    ${f.request.slice(0, 400)}`),
        '',
      ].join('\n'),
    );
    process.exitCode = report.findings.length ? 1 : 0;
  } finally {
    await server.close();
    await database.close();
    await scratch?.drop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
