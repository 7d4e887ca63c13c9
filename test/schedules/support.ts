/** Fixtures for schedule tests: a fresh project with scheduled pipelines, and the runs the tick made. */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { pipelineRuns, pipelines } from '../../db/schema';
import { createPipeline, type PipelineMetadata } from '../../functions/core/pipelines';
import { createProject } from '../../functions/core/projects';

export const definition = { stages: [{ id: 'work', tasks: [{ id: 'do', task: 'do-it' }] }] };

export async function scheduledProject(db: DbOrTx) {
  const project = await createProject({ db, input: { name: 'schedules' } });
  let n = 0;
  return {
    projectId: project.id,
    /** A pipeline with this schedule whose schedule took effect at `since` (the fixture's clock). */
    async pipeline(schedule: string, options: Omit<PipelineMetadata, 'name' | 'schedule'> & { since?: Date } = {}) {
      const { since, ...metadata } = options;
      const { pipeline } = await createPipeline({
        db,
        input: { projectId: project.id, name: `sched-${++n}`, schedule, definition, ...metadata },
      });
      if (since) await scheduleSince(db, pipeline.id, since);
      return pipeline;
    },
    /** The project's scheduled runs in slot order, as (pipeline id, slot ISO, missed). */
    async runs() {
      const rows = await db
        .select({
          id: pipelineRuns.id,
          pipelineId: pipelineRuns.pipelineId,
          versionId: pipelineRuns.versionId,
          trigger: pipelineRuns.trigger,
          status: pipelineRuns.status,
          scheduledFor: pipelineRuns.scheduledFor,
          missedSlots: pipelineRuns.missedSlots,
        })
        .from(pipelineRuns)
        .where(eq(pipelineRuns.projectId, project.id))
        .orderBy(asc(pipelineRuns.scheduledFor), asc(pipelineRuns.pipelineId));
      return rows.map((r) => ({ ...r, scheduledFor: r.scheduledFor?.toISOString() ?? null }));
    },
  };
}

/** Says the pipeline's current schedule took effect at `since` (as if it had been written then). */
export async function scheduleSince(db: DbOrTx, pipelineId: string, since: Date) {
  await db
    .update(pipelines)
    .set({ scheduleSince: since, scheduleNextAt: sql`null` })
    .where(and(eq(pipelines.id, pipelineId)));
}

export const at = (iso: string) => new Date(iso);
export const addMinutes = (date: Date, minutes: number) => new Date(date.getTime() + minutes * 60_000);

/** Every minute from `from` (inclusive) to `to` (exclusive). */
export function* minutes(from: Date, to: Date) {
  for (let t = from; t < to; t = addMinutes(t, 1)) yield t;
}
