/// <reference path="./.sst/platform/config.d.ts" />
/**
 * Deployment (README, Deploying to AWS): one module per concern in infra/, each a
 * function called from run(), where SST's globals ($app, sst, aws) exist. SST refuses top-level
 * imports here (it evaluates this file before installing its providers), hence the dynamic ones.
 * `npm run check:infra` type-checks this file against SST's platform types;
 * test/infra/sst-config.test.ts runs it offline with the SST globals stubbed.
 */
export default $config({
  app(input) {
    // infra/protection.ts's rule (no imports allowed here): PIPESTORE_PROTECT=true|false, else
    // only the stage named production.
    const setting = process.env.PIPESTORE_PROTECT?.trim();
    if (setting && setting !== 'true' && setting !== 'false') throw new Error(`PIPESTORE_PROTECT: expected true or false, got ${JSON.stringify(setting)}`);
    const protect = setting ? setting === 'true' : input?.stage === 'production';
    return {
      name: 'pipestore',
      home: 'aws',
      // A protected stage keeps its resources on `sst remove` and refuses to be removed at all.
      removal: protect ? 'retain' : 'remove',
      protect,
    };
  },
  async run() {
    const { createDatabase } = await import('./infra/database');
    const { createSecrets } = await import('./infra/secrets');
    const { createMigrator } = await import('./infra/migrator');
    const { createApi } = await import('./infra/api');
    const { createCleanup } = await import('./infra/cleanup');
    const { createScheduler } = await import('./infra/scheduler');
    const database = createDatabase();
    const { adminToken } = createSecrets();
    const { migrator, invocation } = createMigrator({ database });
    const { api, apiFunction, consoleFunction } = createApi({ database, adminToken, after: invocation });
    const { schedule } = createCleanup({ database, after: invocation });
    const scheduler = createScheduler({ database, after: invocation });
    return {
      api: api.url,
      apiFunction: apiFunction.name,
      consoleFunction: consoleFunction.name,
      migrator: migrator.name,
      cleanupSchedule: schedule,
      scheduler: scheduler.schedule,
      database: database.aurora ? database.aurora.clusterArn : 'external Postgres (secret DatabaseUrl)',
    };
  },
});
