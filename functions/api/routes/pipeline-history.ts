import { createRoute, z } from '@hono/zod-openapi';
import { projectStore } from '../http';
import { PageQuery, commonErrors, jsonResponse, notFound, pageOf } from '../schemas';
import { createRouter } from '../validation';

const PipelineParam = z.string().min(1).max(100).openapi({ description: 'The pipeline id, or its name' });
const VersionParam = z.string().min(1).max(64).openapi({ description: 'A version number or content hash' });
const tags = ['versions'];

const Activation = z
  .object({
    id: z.number().int(),
    pipelineId: z.string(),
    fromVersion: z.number().int().nullable().openapi({ description: 'The version active before (null for the first)' }),
    toVersion: z.number().int(),
    keyId: z.string().nullable().openapi({ description: 'The API key that made the change (null: made outside the API)' }),
    activatedAt: z.string().datetime(),
  })
  .openapi('Activation');

const IdChanges = z.object({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) });
const VersionRef = z.object({ number: z.number().int(), hash: z.string() });
const VersionDiff = z
  .object({
    pipelineId: z.string(),
    from: VersionRef,
    to: VersionRef,
    identical: z.boolean(),
    stages: IdChanges.openapi({ description: 'Stage ids' }),
    tasks: IdChanges.openapi({ description: 'Tasks as stageId/taskId' }),
    changes: z.array(
      z.object({
        type: z.enum(['added', 'removed', 'changed']),
        path: z.string().openapi({ description: 'JSONPath; stages and tasks are selected by id' }),
        from: z.unknown().optional(),
        to: z.unknown().optional(),
      }),
    ),
    text: z.object({ from: z.string(), to: z.string() }).openapi({ description: 'Canonical JSON of both definitions, indented, for a line diff' }),
  })
  .openapi('VersionDiff');

/** Routes under /v1/pipelines/{id} about its history: activations and version diffs. */
export const pipelineHistoryRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/activations',
      operationId: 'listActivations',
      tags,
      summary: 'Every change of the active version, newest first (from, to, by which key, when)',
      request: { params: z.object({ id: PipelineParam }), query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Activation, 'ActivationPage'), 'A page of activations'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).listActivations({ ...c.req.valid('query'), pipeline: c.req.valid('param').id }), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/versions/{a}/diff/{b}',
      operationId: 'diffVersions',
      tags,
      summary: 'Structural diff of two versions: stages and tasks added, removed, changed; each changed field by JSONPath',
      request: { params: z.object({ id: PipelineParam, a: VersionParam, b: VersionParam }) },
      responses: { 200: jsonResponse(VersionDiff, 'What changes from version a to version b'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { id: pipeline, a: from, b: to } = c.req.valid('param');
      return c.json(await projectStore(c).diffVersions({ pipeline, from, to }), 200);
    },
  );
