/**
 * The HTTP API: an API Gateway HTTP API whose `$default` route sends every request to the API
 * function, where Hono routes it, except the web console's paths (`/console`, `/console/…`), which
 * go to the console's own function so the API's bundle and cold start carry none of it. Both
 * functions are updated only after this deploy's migrations ran (`after`), so new code never meets
 * an old schema.
 */
import { functionArgs, type DatabaseAccess, type Linkable } from './functions';
import type { createMigrator } from './migrator';

export function createApi({
  database,
  adminToken,
  after,
}: {
  database: DatabaseAccess;
  adminToken: Linkable;
  after?: ReturnType<typeof createMigrator>['invocation'];
}) {
  const apiFunction = new sst.aws.Function(
    'ApiFunction',
    {
      ...functionArgs('api', database),
      description: 'pipestore: HTTP API',
      memory: '1024 MB',
      // API Gateway gives up after 30 s.
      timeout: '29 seconds',
      link: [database.link, adminToken],
    },
    after ? { dependsOn: [after] } : undefined,
  );
  const consoleFunction = new sst.aws.Function(
    'ConsoleFunction',
    {
      ...functionArgs('console', database),
      description: 'pipestore: web console',
      memory: '1024 MB',
      timeout: '29 seconds',
      link: [database.link, adminToken],
    },
    after ? { dependsOn: [after] } : undefined,
  );
  const api = new sst.aws.ApiGatewayV2('Api');
  api.route('$default', apiFunction.arn);
  api.route('ANY /console', consoleFunction.arn);
  api.route('ANY /console/{proxy+}', consoleFunction.arn);
  return { api, apiFunction, consoleFunction };
}
