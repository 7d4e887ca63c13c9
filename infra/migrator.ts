/**
 * Deploy-time migrations: a function that ships db/migrations next to its bundle and is invoked
 * once per deploy. The invocation's input carries the deploy time, so it changes on every deploy
 * and Pulumi invokes again; the migrator is a no-op when the schema is up to date, and a failed
 * migration fails the deploy. Not in `sst dev` (functions run locally there; apply migrations
 * with the CLI instead).
 */
import { MIGRATIONS_SOURCE, MIGRATIONS_TARGET } from './bundling';
import { functionArgs, type DatabaseAccess } from './functions';

export function createMigrator({ database }: { database: DatabaseAccess }) {
  const migrator = new sst.aws.Function('Migrator', {
    ...functionArgs('migrate', database),
    description: 'pipestore: applies database migrations (invoked on every deploy)',
    memory: '512 MB',
    // Room for a resuming cluster (~15 s) and long migrations.
    timeout: '5 minutes',
    link: [database.link],
    copyFiles: [{ from: MIGRATIONS_SOURCE, to: MIGRATIONS_TARGET }],
  });
  const invocation = $dev
    ? undefined
    : new aws.lambda.Invocation('MigratorInvocation', {
        functionName: migrator.name,
        input: JSON.stringify({ trigger: 'deploy', app: $app.name, stage: $app.stage, deployedAt: new Date().toISOString() }),
      });
  return { migrator, invocation };
}
