/**
 * A pipestore worker, written only against `pipestore/client`: it registers its service and the
 * code hashes of its tasks, polls for pending runs of its pipeline, claims each with If-Match (so
 * two workers never run the same run), runs the stages in dependency order with heartbeats and
 * task progress, retries a failing task up to its registered attempts (the last failure lands in
 * the dead-letter queue, written by the server) and finishes the run.
 */
import { PipestoreError, type PipestoreClient, type components } from 'pipestore/client';

type Run = components['schemas']['Run'];
type Definition = components['schemas']['Version']['definition'];
type Stage = Definition['stages'][number];

export interface TaskContext {
  input: unknown;
  config: Record<string, unknown>;
  attempt: number;
  /** Reports progress (0..1) and a message on the task run. */
  progress(fraction: number, message?: string): Promise<void>;
}

export interface TaskHandler {
  codeHash: string;
  maxAttempts: number;
  run(context: TaskContext): Promise<unknown>;
}

export interface WorkerOptions {
  client: PipestoreClient;
  serviceId: string;
  version: string;
  /** The pipeline's name or id. */
  pipeline: string;
  tasks: Record<string, TaskHandler>;
  heartbeatIntervalMs?: number;
  log?: (message: string) => void;
}

export async function registerService({ client, serviceId, version, tasks }: WorkerOptions) {
  return client.services.register({
    id: serviceId,
    body: { version, tasks: Object.entries(tasks).map(([id, task]) => ({ id, codeHash: task.codeHash, maxAttempts: task.maxAttempts })) },
  });
}

/** Runs every pending run of the pipeline once; returns the runs it finished. */
export async function processPendingRuns(options: WorkerOptions): Promise<Run[]> {
  const finished: Run[] = [];
  for await (const pending of options.client.runs.list({ pipeline: options.pipeline, status: 'pending' })) {
    const run = await claim(options.client, pending);
    if (run) finished.push(await executeRun(options, run));
  }
  return finished;
}

/** pending -> running, conditional on the revision we saw: another worker's claim makes it 412 or 409. */
async function claim(client: PipestoreClient, run: Run): Promise<Run | undefined> {
  try {
    return await client.runs.update({ id: run.id, ifMatch: run.revision, body: { status: 'running' } });
  } catch (err) {
    if (err instanceof PipestoreError && (err.status === 412 || err.status === 409)) return undefined;
    throw err;
  }
}

/** Stages in an order where each comes after the stages it depends on. */
export function stageOrder(stages: Stage[]): Stage[] {
  const done = new Set<string>();
  const ordered: Stage[] = [];
  while (ordered.length < stages.length) {
    const ready = stages.filter((s) => !done.has(s.id) && (s.dependsOn ?? []).every((d) => done.has(d)));
    if (ready.length === 0) throw new Error('the definition has a dependency cycle');
    for (const stage of ready) {
      done.add(stage.id);
      ordered.push(stage);
    }
  }
  return ordered;
}

async function executeRun(options: WorkerOptions, run: Run): Promise<Run> {
  const { client, log = () => undefined } = options;
  const version = await client.versions.get({ id: run.pipelineId, numberOrHash: String(run.version) });
  log(`run ${run.id}: claimed (version ${run.version})`);
  await client.runs.heartbeat({ id: run.id });
  const heartbeat = setInterval(() => void client.runs.heartbeat({ id: run.id }).catch(() => undefined), options.heartbeatIntervalMs ?? 1_000);
  try {
    let failure: { stage: string; task: string; error: string } | undefined;
    for (const stage of stageOrder(version.definition.stages)) {
      await client.runs.update({ id: run.id, body: { currentStage: stage.id } });
      const results: Record<string, unknown> = {};
      for (const task of stage.tasks ?? []) {
        const outcome = await executeTask(options, run, stage.id, task);
        results[task.id] = outcome;
        // A task whose definition says `optional: true` may fail without failing the run.
        if (outcome.status === 'dead-lettered' && task.config?.optional !== true) failure = { stage: stage.id, task: task.id, error: outcome.error };
      }
      await client.runs.update({ id: run.id, body: { stageResults: { [stage.id]: results } } });
      if (failure) break;
    }
    const done = failure
      ? await client.runs.update({ id: run.id, body: { status: 'failed', error: failure } })
      : await client.runs.update({ id: run.id, body: { status: 'succeeded', output: { stages: version.definition.stages.length } } });
    log(`run ${run.id}: ${done.status}`);
    return done;
  } finally {
    clearInterval(heartbeat);
  }
}

type TaskOutcome = { status: 'succeeded'; attempts: number; output: unknown } | { status: 'dead-lettered'; attempts: number; error: string };

async function executeTask(options: WorkerOptions, run: Run, stageId: string, task: NonNullable<Stage['tasks']>[number]): Promise<TaskOutcome> {
  const { client, log = () => undefined } = options;
  const handler = options.tasks[task.task];
  const maxAttempts = handler?.maxAttempts ?? 1;
  for (let attempt = 1; ; attempt++) {
    const taskRun = await client.taskRuns.start({ id: run.id, body: { stageId, taskId: task.id, attempt, status: 'running', input: run.input } });
    try {
      if (!handler) throw new Error(`no handler for task "${task.task}" in this worker`);
      const output = await handler.run({
        input: run.input,
        config: task.config ?? {},
        attempt,
        progress: async (fraction, message) => {
          await client.taskRuns.update({ id: taskRun.id, body: { progress: fraction, ...(message && { messages: [message] }) } });
        },
      });
      await client.taskRuns.update({ id: taskRun.id, body: { status: 'succeeded', output } });
      log(`  ${stageId}/${task.id}: succeeded (attempt ${attempt})`);
      return { status: 'succeeded', attempts: attempt, output };
    } catch (err) {
      const message = (err as Error).message;
      // With its attempts used up, the server writes the DLQ entry in the same transaction.
      await client.taskRuns.update({ id: taskRun.id, body: { status: 'failed', error: { message } } });
      log(`  ${stageId}/${task.id}: failed (attempt ${attempt}/${maxAttempts}): ${message}`);
      if (attempt >= maxAttempts) return { status: 'dead-lettered', attempts: attempt, error: message };
    }
  }
}
