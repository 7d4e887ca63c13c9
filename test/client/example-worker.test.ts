/**
 * examples/worker runs to completion against `npm start`: as its own process, it registers its
 * service, triggers a run, runs the stages in order with progress and heartbeats, dead-letters the
 * task that always fails after its two attempts, and finishes the run. Checked through the client.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/support/run-cli';
import { projectClient, startPipestore } from './support/pipestore-server';

function runWorker(env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/worker/main.ts', '--trigger', '--once'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('examples/worker', () => {
  let server: Awaited<ReturnType<typeof startPipestore>>;
  beforeAll(async () => {
    server = await startPipestore();
  }, 240_000);
  afterAll(() => server?.stop());

  it('runs a pipeline to completion through the client', { timeout: 120_000 }, async () => {
    const { client: api, apiKey } = await projectClient(server.url);

    const worker = await runWorker({ PIPESTORE_URL: server.url, PIPESTORE_API_KEY: apiKey });
    expect(worker.stderr).toBe('');
    expect(worker.code).toBe(0);

    const [service] = await api.services.list().toArray();
    expect(service?.tasks.map((t) => [t.id, t.maxAttempts]).sort()).toEqual([
      ['example.download', 3],
      ['example.enrich', 2],
      ['example.normalize', 3],
      ['example.publish', 3],
    ]);

    const [run] = await api.runs.list({ pipeline: 'example-etl' }).toArray();
    expect(run).toMatchObject({ status: 'succeeded', currentStage: 'load' });
    expect(run!.heartbeatAt).not.toBeNull();
    expect(Object.keys(run!.stageResults).sort()).toEqual(['extract', 'load', 'transform']);
    expect(run!.stageResults.transform).toMatchObject({ enrich: { status: 'dead-lettered', attempts: 2 }, normalize: { status: 'succeeded' } });

    // Oldest first: task runs started in stage order, enrich twice.
    const taskRuns = (await api.taskRuns.listForRun({ id: run!.id }).toArray()).sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
    );
    expect(taskRuns.map((t) => `${t.stageId}/${t.taskId}#${t.attempt}:${t.status}`)).toEqual([
      'extract/download#1:succeeded',
      'transform/normalize#1:succeeded',
      'transform/enrich#1:failed',
      'transform/enrich#2:failed',
      'load/publish#1:succeeded',
    ]);
    const download = taskRuns[0]!;
    expect(download.progress).toBe(1);
    expect(download.messages).toEqual(['downloaded part 1 of 4', 'downloaded part 2 of 4', 'downloaded part 3 of 4', 'downloaded part 4 of 4']);

    const dlq = await api.dlq.list().toArray();
    expect(dlq).toHaveLength(1);
    expect(dlq[0]).toMatchObject({ runId: run!.id, taskRunId: taskRuns[3]!.id, attempts: 2, error: { message: 'geo lookup service unavailable (attempt 2)' } });
  });
});
