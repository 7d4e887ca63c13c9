/**
 * The HTTP API: an API Gateway HTTP API whose one `$default` route sends every request to the API
 * function, where Hono routes it. The function is updated only after this deploy's migrations ran
 * (`after`), so new code never meets an old schema.
 */
import { functionArgs, type Linkable } from './functions';
import type { createMigrator } from './migrator';

export function createApi({
  database,
  adminToken,
  after,
}: {
  database: Linkable;
  adminToken: Linkable;
  after?: ReturnType<typeof createMigrator>['invocation'];
}) {
  const apiFunction = new sst.aws.Function(
    'ApiFunction',
    {
      ...functionArgs('api'),
      description: 'pipestore: HTTP API',
      memory: '1024 MB',
      // API Gateway gives up after 30 s.
      timeout: '29 seconds',
      link: [database, adminToken],
    },
    after ? { dependsOn: [after] } : undefined,
  );
  const api = new sst.aws.ApiGatewayV2('Api');
  api.route('$default', apiFunction.arn);
  return { api, apiFunction };
}
