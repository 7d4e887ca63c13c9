/**
 * The sync plan in isolation (no store, no files): which files may be skipped unevaluated, and
 * what each pipeline needs. The subprocess tests (sync.test.ts) cover the same code end to end.
 */
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../functions/core/hashing';
import type { PipelineSpec, SyncedPipeline } from '../../functions/core/sync';
import { applyPlan, computePlan, duplicateNames, skippable } from '../../functions/cli/sync/plan';
import type { StoreWriter } from '../../functions/cli/sync/store';

const spec = (name: string, task = 't'): PipelineSpec => ({ name, labels: { a: '1', b: '2' }, stages: [{ id: 's', tasks: [{ id: 'x', task }] }] });

const stored = (name: string, over: Partial<SyncedPipeline> = {}): SyncedPipeline => ({
  id: `pl_${name}`,
  name,
  description: null,
  schedule: null,
  timezone: 'UTC',
  scheduleEnabled: true,
  labels: { b: '2', a: '1' },
  revision: 1,
  activeVersion: 1,
  activeHash: contentHash({ stages: spec(name).stages }),
  activeSourceHash: `src-${name}`,
  ...over,
});
const file = (name: string, sourceHash = `src-${name}`) => ({ path: `/x/${name}.ts`, file: `${name}.ts`, sourceHash });

describe('skippable', () => {
  it("skips a file whose hash is exactly one pipeline's active source hash", () => {
    const skip = skippable([file('a'), file('b', 'edited')], [stored('a'), stored('b')]);
    expect([...skip.keys()]).toEqual(['a.ts']);
    expect(skip.get('a.ts')?.name).toBe('a');
  });

  it('evaluates two files with the same text (their names could collide) and hashes owned twice', () => {
    expect(skippable([file('a'), { ...file('a'), file: 'copy.ts' }], [stored('a')]).size).toBe(0);
    expect(skippable([file('a')], [stored('a'), stored('other', { activeSourceHash: 'src-a' })]).size).toBe(0);
  });

  it('evaluates a file reverted to an older version (that version must be re-activated)', () => {
    expect(skippable([file('a', 'older')], [stored('a', { activeSourceHash: 'newer' })]).size).toBe(0);
  });
});

describe('computePlan', () => {
  it('compares definitions by content hash and metadata field by field (label order ignored)', () => {
    const plan = computePlan(
      [
        { file: 'same.ts', sourceHash: 'h1', name: 'same', spec: spec('same') },
        { file: 'def.ts', sourceHash: 'h2', name: 'def', spec: spec('def', 'other') },
        { file: 'meta.ts', sourceHash: 'h3', name: 'meta', spec: { ...spec('meta'), description: 'new', labels: { a: '1' } } },
        { file: 'new.ts', sourceHash: 'h4', name: 'new', spec: spec('new') },
        { file: 'skip.ts', sourceHash: 'h5', name: 'skip' },
      ],
      [stored('same'), stored('def'), stored('meta'), stored('skip'), stored('gone')],
      false,
    );
    expect(plan.items.map((i) => [i.name, i.action, 'definition' in i ? i.definition : '-', 'metadata' in i ? i.metadata : '-'])).toEqual([
      ['same', 'unchanged', '-', '-'],
      ['def', 'update', true, []],
      ['meta', 'update', false, ['description', 'labels']],
      ['new', 'create', '-', '-'],
      ['skip', 'unchanged', '-', '-'],
    ]);
    expect(plan.notInCode).toEqual(['gone']);
    expect(computePlan([], [stored('gone')], true).items).toMatchObject([{ action: 'prune', name: 'gone' }]);
  });

  it('syncs the time zone always (absent = UTC) and the pause switch only when the file states it', () => {
    const code = (name: string, extra: Partial<PipelineSpec>) => ({ file: `${name}.ts`, sourceHash: 'new', name, spec: { ...spec(name), ...extra } });
    const plan = computePlan(
      [code('zoned', { timezone: 'Europe/Berlin' }), code('silent', {}), code('unpause', { scheduleEnabled: true }), code('rezoned', {})],
      [
        stored('zoned'),
        stored('silent', { scheduleEnabled: false }),
        stored('unpause', { scheduleEnabled: false }),
        stored('rezoned', { timezone: 'Asia/Tokyo' }),
      ],
      false,
    );
    expect(plan.items.map((i) => [i.name, i.action === 'update' ? i.metadata : i.action])).toEqual([
      ['zoned', ['timezone']],
      ['silent', 'unchanged'], // paused by an operator; the file says nothing about it
      ['unpause', ['scheduleEnabled']],
      ['rezoned', ['timezone']],
    ]);
  });

  it('reports each file of a duplicated name', () => {
    const dup = duplicateNames([
      { file: 'a.ts', sourceHash: '1', name: 'x' },
      { file: 'b.ts', sourceHash: '2', name: 'x' },
      { file: 'c.ts', sourceHash: '3', name: 'y' },
    ]);
    expect(dup).toEqual([
      { file: 'a.ts', message: 'pipeline "x" is also defined in b.ts' },
      { file: 'b.ts', message: 'pipeline "x" is also defined in a.ts' },
    ]);
  });
});

describe('applyPlan', () => {
  it('registers, activates and patches in order, each write conditional on the revision the last one returned', async () => {
    const calls: unknown[][] = [];
    const writer: StoreWriter = {
      create: async (input) => (calls.push(['create', input.name, input.sourceHash]), { version: 1 }),
      registerVersion: async (id, _definition, sourceHash) => (calls.push(['register', id, sourceHash]), { number: 4, created: true }),
      activate: async (id, version, revision) => (calls.push(['activate', id, version, revision]), revision + 1),
      update: async (id, patch, revision) => (calls.push(['update', id, patch, revision]), revision + 1),
      remove: async (id, revision) => void calls.push(['remove', id, revision]),
    };
    const plan = computePlan(
      [
        { file: 'both.ts', sourceHash: 'h1', name: 'both', spec: { ...spec('both', 'other'), schedule: '@daily' } },
        { file: 'new.ts', sourceHash: 'h2', name: 'new', spec: spec('new') },
      ],
      [stored('both', { revision: 7, activeVersion: 3 }), stored('gone', { revision: 2 })],
      true,
    );
    const outcomes = await applyPlan(plan, writer, () => {});
    expect(calls).toEqual([
      ['register', 'pl_both', 'h1'],
      ['activate', 'pl_both', 4, 7],
      ['update', 'pl_both', { schedule: '@daily' }, 8],
      ['create', 'new', 'h2'],
      ['remove', 'pl_gone', 2],
    ]);
    expect(outcomes).toEqual([{ name: 'both', version: 4, newVersion: true }, { name: 'new', version: 1, newVersion: true }, { name: 'gone' }]);
  });
});
