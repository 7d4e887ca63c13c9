/**
 * The typed test client (test/support/api.ts) checks requests against /openapi.json at compile
 * time: `npm run typecheck` fails if an `@ts-expect-error` below stops being an error, or if an
 * `expectTypeOf` no longer holds. The run-time halves show the server agrees with the types.
 */
import { describe, expect, expectTypeOf } from 'vitest';
import type { components } from '../../functions/client/generated/openapi';
import { type CreatedPipeline, simpleDefinition } from '../support/api';
import { test } from '../support/fixtures';

type Problem = components['schemas']['Problem'];

describe('the typed test client', () => {
  test('sends a well-formed request to the in-process app and types the answer by status', async ({ project }) => {
    const { data, error, response } = await project.client.POST('/v1/pipelines', { body: { name: 'typed', definition: simpleDefinition() } });
    expectTypeOf(data).not.toBeAny();
    expectTypeOf(data).toExtend<CreatedPipeline | undefined>();
    expectTypeOf<NonNullable<typeof data>['version']['number']>().toEqualTypeOf<number>();
    expectTypeOf(error).toExtend<Problem | undefined>();
    expectTypeOf<NonNullable<typeof error>['code']>().toEqualTypeOf<Problem['code']>();
    expect(response.status).toBe(201);
    expect(error).toBeUndefined();
    expect(data).toMatchObject({ name: 'typed', activeVersion: 1, version: { number: 1 } });

    const read = await project.client.GET('/v1/pipelines/{id}', { params: { path: { id: 'typed' } } });
    expectTypeOf(read.data).toExtend<components['schemas']['Pipeline'] | undefined>();
    expect(read.data?.id).toBe(data?.id);
  });

  test('refuses at compile time the requests the API refuses at run time', async ({ project }) => {
    // @ts-expect-error a misspelt field: `definitions` is unknown and `definition` is missing
    const misspelt = await project.client.POST('/v1/pipelines', { body: { name: 'typo', definitions: simpleDefinition() } });
    expect(misspelt.response.status).toBe(400);
    expect(misspelt.error?.code).toBe('validation_failed');

    // @ts-expect-error a run's status is one of the enum's names
    const exploded = await project.client.PATCH('/v1/runs/{id}', { params: { path: { id: 'run_missing' } }, body: { status: 'exploded' } });
    expect(exploded.response.status).toBe(400);

    // @ts-expect-error limit is an integer, not a string
    const limit = await project.client.GET('/v1/pipelines', { params: { query: { limit: 'ten' } } });
    expect(limit.response.status).toBe(400);

    // @ts-expect-error the path parameter is required
    const noId = await project.client.GET('/v1/runs/{id}', {});
    expect(noId.response.status).toBe(404);
  });
});
