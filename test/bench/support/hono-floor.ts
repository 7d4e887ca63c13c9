/**
 * The write path's framework floor (test/bench/write-path.ts): the two routes it calls, as a bare
 * @hono/zod-openapi app validating the same bodies and calling the same core functions, without
 * any of pipestore's middleware (request id, body checks, auth, idempotency, cache). Between this
 * and "pipestore core" is what Hono and zod cost on Node; between this and "pipestore API" is ours.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Db } from '../../../db/client';
import { RUN_STATUSES } from '../../../db/schema';
import { createRun, updateRun } from '../../../functions/core/runs';

const RunPatch = z.strictObject({
  status: z.enum(RUN_STATUSES).exclude(['pending']).optional(),
  currentStage: z.string().min(1).max(64).nullable().optional(),
  stageResults: z.record(z.string().max(64), z.unknown()).optional(),
  output: z.unknown().optional(),
  error: z.unknown().optional(),
});
const params = z.object({ id: z.string().min(1).max(100) });
const json = <T extends z.ZodTypeAny>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });
const ok = { 200: { description: 'ok' }, 201: { description: 'created' } };

export function honoFloorApp(db: Db, projectId: string) {
  return new OpenAPIHono()
    .openapi(
      createRoute({
        method: 'post',
        path: '/v1/pipelines/{id}/runs',
        request: { params, body: json(z.strictObject({ input: z.unknown().optional() })) },
        responses: ok,
      }),
      async (c) => c.json(await createRun({ db, input: { projectId, pipelineId: c.req.valid('param').id, input: c.req.valid('json').input } }), 201),
    )
    .openapi(createRoute({ method: 'patch', path: '/v1/runs/{id}', request: { params, body: json(RunPatch) }, responses: ok }), async (c) =>
      c.json(await updateRun({ db, input: { projectId, runId: c.req.valid('param').id, patch: c.req.valid('json') } }), 200),
    );
}
