/**
 * A run's life as raw SQL: the statements pipestore's core sends for create, start, a stage patch
 * and completion (the conditional UPDATE … WHERE status IN (…), the jsonb `||` merge, revision + 1,
 * RETURNING the row with its version number), and the API's JSON for a returned row. The floors of
 * the write-path and invocation benchmarks run exactly these, so the only difference left against
 * pipestore is its own overhead.
 */
const RETURNING = `returning *, (select v.number from pipeline_versions v where v.id = pipeline_runs.version_id) as version`;

export const RUN_STATEMENTS = {
  create: `insert into pipeline_runs (id, project_id, pipeline_id, version_id, input)
    values ($1, $2, $3, (select p.active_version_id from pipelines p where p.id = $3 and p.project_id = $2), $4) ${RETURNING}`,
  start: `update pipeline_runs set status = 'running', started_at = coalesce(started_at, now()), heartbeat_at = now(),
    revision = revision + 1, updated_at = now() where id = $1 and project_id = $2 and status in ('pending') ${RETURNING}`,
  stage: `update pipeline_runs set current_stage = $3, stage_results = stage_results || $4::jsonb,
    revision = revision + 1, updated_at = now() where id = $1 and project_id = $2 and status in ('pending', 'running') ${RETURNING}`,
  succeed: `update pipeline_runs set status = 'succeeded', completed_at = now(), output = $3,
    revision = revision + 1, updated_at = now() where id = $1 and project_id = $2 and status in ('running') ${RETURNING}`,
};

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** The API's JSON for a run row (core/runs.ts toRun), so a floor also pays for building the body. */
export const runJson = (r: Record<string, any>) =>
  JSON.stringify({
    id: r.id,
    pipelineId: r.pipeline_id,
    version: r.version,
    status: r.status,
    currentStage: r.current_stage,
    stageResults: r.stage_results,
    input: r.input,
    output: r.output,
    error: r.error,
    startedAt: iso(r.started_at),
    completedAt: iso(r.completed_at),
    heartbeatAt: iso(r.heartbeat_at),
    trigger: r.trigger,
    scheduledFor: iso(r.scheduled_for),
    missedSlots: r.missed_slots,
    revision: r.revision,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  });
