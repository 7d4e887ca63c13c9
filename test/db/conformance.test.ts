/**
 * Driver conformance: the same behaviour on PGlite, node-postgres and the RDS Data API (through the
 * real AWS SDK client against the local endpoint in test/support/data-api). Every driver starts
 * from an empty database, so this also proves the migrations apply from scratch.
 */
import { and, count, eq, is, sql } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { typeid } from 'typeid-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { UniqueViolationError, asDatabaseError } from '../../db/errors';
import { migrateDatabase } from '../../db/migrate';
import * as schema from '../../db/schema';
import { pipelineRuns, pipelines, pipelineVersions, projects, taskRuns } from '../../db/schema';
import { FRESH_DATABASES, type FreshDatabase, type FreshDatabaseFactory } from '../support/fresh-databases';

const drivers = Object.fromEntries(Object.entries(FRESH_DATABASES).filter((entry): entry is [string, FreshDatabaseFactory] => entry[1] !== undefined));

describe.each(Object.keys(drivers))('driver %s', (name) => {
  let subject: FreshDatabase;
  let database: Database;

  beforeAll(async () => {
    subject = await drivers[name]!('conformance');
    database = subject.database;
    await migrateDatabase(database);
  });
  afterAll(() => subject?.teardown());

  it('has applied every table, and migrating again changes nothing', async () => {
    await migrateDatabase(database);
    const rows = await database.db.select({ n: count() }).from(sql`information_schema.tables`).where(sql`table_schema = 'public'`);
    // Every table the schema declares, and nothing else.
    expect(rows[0]!.n).toBe(Object.values(schema).filter((x) => is(x, PgTable)).length);
  });

  async function newProject() {
    const [project] = await database.db
      .insert(projects)
      .values({ id: typeid('proj').toString(), name: 'conformance' })
      .returning();
    return project!;
  }

  async function newPipelineWithVersion(projectId: string) {
    const pipelineId = typeid('pl').toString();
    await database.db.insert(pipelines).values({ id: pipelineId, projectId, name: `p-${pipelineId.slice(-8)}` });
    const [version] = await database.db
      .insert(pipelineVersions)
      .values({
        id: typeid('plv').toString(),
        projectId,
        pipelineId,
        number: 1,
        hash: 'h1',
        definition: { stages: [{ id: 'build', dependsOn: [], tasks: [{ id: 't', task: 'compile', config: { n: 1.5 } }] }] },
      })
      .returning();
    return { pipelineId, version: version! };
  }

  it('round-trips every column type: text ids, jsonb objects and arrays, timestamptz in ms, integers, nulls', async () => {
    const project = await newProject();
    const { pipelineId, version } = await newPipelineWithVersion(project.id);
    const startedAt = new Date('2026-03-04T05:06:07.891Z');
    const runId = typeid('run').toString();
    await database.db.insert(pipelineRuns).values({
      id: runId,
      projectId: project.id,
      pipelineId,
      versionId: version.id,
      status: 'running',
      stageResults: { build: { ok: true, artifacts: ['a', 'b'], size: 12 } },
      input: ['x', 1, null, { nested: 'ünïcode ✓' }],
      startedAt,
    });
    const taskRunId = typeid('tr').toString();
    await database.db.insert(taskRuns).values({
      id: taskRunId,
      projectId: project.id,
      runId,
      stageId: 'build',
      taskId: 't',
      attempt: 2,
      progress: 0.25,
      messages: ['started', 'half way'],
    });

    const [run] = await database.db.select().from(pipelineRuns).where(eq(pipelineRuns.id, runId));
    expect(run).toMatchObject({
      id: runId,
      status: 'running',
      stageResults: { build: { ok: true, artifacts: ['a', 'b'], size: 12 } },
      input: ['x', 1, null, { nested: 'ünïcode ✓' }],
      output: null,
      error: null,
      completedAt: null,
      revision: 1,
    });
    expect(run!.startedAt).toEqual(startedAt);
    expect(run!.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(run!.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
    expect(version.definition.stages[0]!.tasks![0]!.config).toEqual({ n: 1.5 });

    const [task] = await database.db.select().from(taskRuns).where(eq(taskRuns.id, taskRunId));
    expect(task).toMatchObject({ attempt: 2, progress: 0.25, messages: ['started', 'half way'], taskName: null });

    const completedAt = new Date('2026-03-04T05:06:08.001Z');
    const [updated] = await database.db
      .update(pipelineRuns)
      .set({ status: 'succeeded', completedAt, output: { ok: 1 }, revision: sql`${pipelineRuns.revision} + 1` })
      .where(and(eq(pipelineRuns.id, runId), eq(pipelineRuns.status, 'running')))
      .returning();
    expect(updated).toMatchObject({ status: 'succeeded', output: { ok: 1 }, revision: 2 });
    expect(updated!.completedAt).toEqual(completedAt);

    const deleted = await database.db.delete(taskRuns).where(eq(taskRuns.id, taskRunId)).returning({ id: taskRuns.id });
    expect(deleted).toEqual([{ id: taskRunId }]);
    expect(await database.db.select().from(taskRuns).where(eq(taskRuns.id, taskRunId))).toEqual([]);
  });

  it('commits a transaction and rolls one back on error', async () => {
    const project = await newProject();
    await database.db.transaction(async (tx) => {
      await tx.insert(pipelines).values({ id: typeid('pl').toString(), projectId: project.id, name: 'committed' });
    });
    await expect(
      database.db.transaction(async (tx) => {
        await tx.insert(pipelines).values({ id: typeid('pl').toString(), projectId: project.id, name: 'rolled-back' });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = await database.db.select({ name: pipelines.name }).from(pipelines).where(eq(pipelines.projectId, project.id));
    expect(names).toEqual([{ name: 'committed' }]);
  });

  it('surfaces a unique violation as a typed error naming the constraint', async () => {
    const project = await newProject();
    const row = { projectId: project.id, name: 'same-name' };
    await database.db.insert(pipelines).values({ id: typeid('pl').toString(), ...row });
    const failure = await database.db
      .insert(pipelines)
      .values({ id: typeid('pl').toString(), ...row })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const typed = asDatabaseError(failure);
    expect(typed).toBeInstanceOf(UniqueViolationError);
    expect((typed as UniqueViolationError).constraint).toBe('pipelines_project_id_name_key');
  });

  it('counts round trips at the driver', async () => {
    const before = database.roundTrips;
    await database.db.select().from(projects).limit(1);
    expect(database.roundTrips - before).toBe(1);
  });
});
