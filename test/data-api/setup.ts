/**
 * One local Data API per test file: on real Postgres when TEST_DATABASE_URL is set, otherwise on
 * an in-memory PGlite.
 */
import { randomBytes } from 'node:crypto';
import { ExecuteStatementCommand, type ExecuteStatementCommandInput, type ExecuteStatementCommandOutput, type RDSDataClient } from '@aws-sdk/client-rds-data';
import type { PGlite } from '@electric-sql/pglite';
import { dataApiClient, pgBackend, pgliteBackend, startDataApiServer, type DataApiServer } from '../support/data-api/server';

export interface LocalDataApi {
  server: DataApiServer;
  client: RDSDataClient;
  onPostgres: boolean;
  /** Suffix that keeps this run's tables apart from other suites on a shared database. */
  suffix: string;
  exec(
    sql: string,
    parameters?: ExecuteStatementCommandInput['parameters'],
    extra?: Partial<ExecuteStatementCommandInput>,
  ): Promise<ExecuteStatementCommandOutput>;
  stop(): Promise<void>;
}

export async function startLocalDataApi(): Promise<LocalDataApi> {
  const url = process.env.TEST_DATABASE_URL;
  let pglite: PGlite | undefined;
  let backend: Parameters<typeof startDataApiServer>[0];
  if (url) {
    backend = pgBackend(url);
  } else {
    const { PGlite } = await import('@electric-sql/pglite');
    pglite = new PGlite();
    backend = pgliteBackend(pglite);
  }
  const server = await startDataApiServer(backend);
  const client = dataApiClient(server);
  const target = { resourceArn: server.resourceArn, secretArn: server.secretArn, database: server.database };
  return {
    server,
    client,
    onPostgres: Boolean(url),
    suffix: randomBytes(4).toString('hex'),
    exec: (sql, parameters, extra) => client.send(new ExecuteStatementCommand({ ...target, sql, parameters, ...extra })),
    async stop() {
      client.destroy();
      await server.close();
      await pglite?.close();
    },
  };
}
