import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { pipelineRuns, taskRuns } from '../../db/schema';
import { Run } from '../../functions/api/routes/runs';
import { TaskRun } from '../../functions/api/routes/task-runs';
import { RunRecordSchema, TaskRunRecordSchema, type RunRecord, type TaskRunRecord } from '../../functions/cli/transfer/format';
import { toRun, toTaskRun } from '../../functions/core/run-views';

// The expectTypeOf lines are checked by `npm run typecheck`, the expect lines when the test runs.

const at = new Date('2026-01-02T03:04:05.678Z');

const runRow = (): typeof pipelineRuns.$inferSelect & { version: number } => ({
  id: 'run_1',
  projectId: 'prj_1',
  pipelineId: 'pl_1',
  versionId: 'ver_1',
  version: 2,
  status: 'succeeded',
  currentStage: 'load',
  stageResults: { load: { rows: 3 } },
  input: { day: '2026-01-01' },
  output: { ok: true },
  error: null,
  startedAt: at,
  completedAt: at,
  heartbeatAt: null,
  trigger: 'schedule',
  scheduledFor: at,
  missedSlots: 0,
  revision: 3,
  createdAt: at,
  updatedAt: at,
});

const taskRunRow = (): typeof taskRuns.$inferSelect => ({
  id: 'tr_1',
  projectId: 'prj_1',
  runId: 'run_1',
  stageId: 'load',
  taskId: 'copy',
  taskName: 'copy-rows',
  attempt: 1,
  status: 'failed',
  progress: 0.5,
  messages: ['started'],
  input: null,
  output: null,
  error: { message: 'boom' },
  startedAt: at,
  completedAt: at,
  heartbeatAt: at,
  revision: 2,
  createdAt: at,
  updatedAt: at,
});

/** The field names of a schema's shape, sorted: `leftOut` removed, `added` added. */
const fields = (shape: object, { leftOut = '', added = [] as string[] } = {}) => [...Object.keys(shape).filter((key) => key !== leftOut), ...added].sort();

describe('run and task-run views: one field list for the API and the export', () => {
  it("a run is answered with exactly the fields of the API's Run schema, in its order", () => {
    expectTypeOf(toRun).returns.toEqualTypeOf<z.output<typeof Run>>();
    const view = toRun(runRow());
    expect(Object.keys(view)).toEqual(Object.keys(Run.shape));
    expect(Run.strict().parse(view)).toEqual(view);
  });

  it("a task run is answered with exactly the fields of the API's TaskRun schema, in its order", () => {
    expectTypeOf(toTaskRun).returns.toEqualTypeOf<z.output<typeof TaskRun>>();
    const view = toTaskRun(taskRunRow());
    expect(Object.keys(view)).toEqual(Object.keys(TaskRun.shape));
    expect(TaskRun.strict().parse(view)).toEqual(view);
  });

  it('an export line is the run view without its pipeline, with its task runs (without their run) and DLQ entries', () => {
    expectTypeOf<keyof RunRecord>().toEqualTypeOf<Exclude<keyof z.output<typeof Run>, 'pipelineId'> | 'taskRuns' | 'dlq'>();
    expectTypeOf<keyof TaskRunRecord>().toEqualTypeOf<Exclude<keyof z.output<typeof TaskRun>, 'runId'>>();
    expect(fields(RunRecordSchema.shape)).toEqual(fields(Run.shape, { leftOut: 'pipelineId', added: ['taskRuns', 'dlq'] }));
    expect(fields(TaskRunRecordSchema.shape)).toEqual(fields(TaskRun.shape, { leftOut: 'runId' }));
  });

  it('what the export writes for a run, import reads back unchanged (its schemas are strict: an extra field is refused)', () => {
    const { pipelineId: _pipeline, ...run } = toRun(runRow());
    const { runId: _run, ...taskRun } = toTaskRun(taskRunRow());
    const line = { ...run, taskRuns: [taskRun], dlq: [] };
    expect(RunRecordSchema.parse(line)).toEqual(line);
    expect(() => RunRecordSchema.parse({ ...line, extra: 1 })).toThrow();
  });
});
