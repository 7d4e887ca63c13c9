/**
 * definePipeline(), `pipestore import` and the API must accept and refuse the same pipelines:
 * direct-mode sync and import write through the core, which does not check names or labels, so
 * their own rules are the only gate there. Both build on the metadata schemas of core/pipeline-metadata.ts; these cases go through
 * both ends (the SDK's spec schema and the API's request body, each composed from them), so a
 * field overridden or left out on one side only shows up here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PipelineFileSchema } from '../../functions/cli/transfer/format';
import { definePipeline, isDefinedPipeline, PipelineSpecError, type PipelineSpec } from '../../functions/sdk';
import { newProject, testApi, type TestApi } from '../support/api';

const stages = [{ id: 'a', tasks: [{ id: 't', task: 'do.it' }] }];
let counter = 0;
const unique = () => `p-${Date.now().toString(36)}-${counter++}`;

const cases: [string, () => Record<string, unknown>][] = [
  ['a plain slug', () => ({ name: unique() })],
  ['an upper-case name', () => ({ name: `A${unique()}` })],
  ['a double hyphen', () => ({ name: `${unique()}--x` })],
  ['a leading hyphen', () => ({ name: `-${unique()}` })],
  ['a 100-character name', () => ({ name: unique().padEnd(100, 'x') })],
  ['a 101-character name', () => ({ name: unique().padEnd(101, 'x') })],
  ['a 2000-character description', () => ({ name: unique(), description: 'd'.repeat(2000) })],
  ['a 2001-character description', () => ({ name: unique(), description: 'd'.repeat(2001) })],
  ['@daily', () => ({ name: unique(), schedule: '@daily' })],
  ['a schedule that never fires', () => ({ name: unique(), schedule: '0 0 31 2 *' })],
  ['a malformed schedule', () => ({ name: unique(), schedule: 'every day' })],
  ['50 labels', () => ({ name: unique(), labels: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v'])) })],
  ['51 labels', () => ({ name: unique(), labels: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) })],
  ['an empty label key', () => ({ name: unique(), labels: { '': 'v' } })],
  ['a 501-character label value', () => ({ name: unique(), labels: { k: 'v'.repeat(501) } })],
  ['a null description and schedule', () => ({ name: unique(), description: null, schedule: null })],
];

describe('definePipeline() and import validate like POST /v1/pipelines', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api, 'sync-spec')).key;
  });

  it.each(cases)('%s', async (_, make) => {
    const { name, ...metadata } = make();
    let sdkAccepts = true;
    try {
      definePipeline({ name, ...metadata, stages } as PipelineSpec);
    } catch (err) {
      expect(err).toBeInstanceOf(PipelineSpecError);
      sdkAccepts = false;
    }
    const res = await api.call('POST', '/v1/pipelines', { token: key, body: { name, ...metadata, definition: { stages } } });
    expect(res.status === 201, JSON.stringify(res.body)).toBe(sdkAccepts);
    // The same pipeline as an export file (versions/<name>.json) that an import would read.
    const at = '2026-01-01T00:00:00.000Z';
    const file = {
      id: 'pl_1',
      name,
      description: null,
      schedule: null,
      labels: {},
      ...metadata,
      activeVersion: 1,
      revision: 1,
      createdAt: at,
      updatedAt: at,
      versions: [{ id: 'plv_1', number: 1, hash: 'a'.repeat(64), sourceHash: null, createdAt: at }],
    };
    expect(PipelineFileSchema.safeParse(file).success).toBe(sdkAccepts);
  });
});

describe('definePipeline()', () => {
  it('brands a frozen, JSON-normalised copy', () => {
    const when = new Date('2024-01-02T03:04:05Z');
    const defined = definePipeline({ name: 'x', stages: [{ id: 'a', config: { when, skip: undefined } }] });
    expect(isDefinedPipeline(defined)).toBe(true);
    expect(isDefinedPipeline({ name: 'x', stages })).toBe(false);
    expect(Object.isFrozen(defined)).toBe(true);
    expect(JSON.stringify(defined.stages)).toBe('[{"id":"a","config":{"when":"2024-01-02T03:04:05.000Z"}}]');
  });

  it('reports every problem at once, with paths', () => {
    const attempt = () => definePipeline({ name: 'Bad', stages: [{ id: 'a', dependsOn: ['b'] }, { id: 'a' }], extra: 1 } as unknown as PipelineSpec);
    expect(attempt).toThrowError(PipelineSpecError);
    try {
      attempt();
    } catch (err) {
      expect((err as PipelineSpecError).errors.map((e) => e.path)).toEqual(['name', 'extra', 'stages.1.id', 'stages.0.dependsOn.0']);
      expect((err as Error).message).toMatch(/^invalid pipeline "Bad":\n {2}name: must be a slug/);
    }
  });
});
