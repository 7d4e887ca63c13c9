import type { Run, TestApi } from './api';

/** Drives a new run of `pipelineId` into `status` through legal transitions only. */
export async function runInStatus(api: TestApi, key: string, pipelineId: string, status: string) {
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, { token: key, body });
  const run = (await call('POST', `/v1/pipelines/${pipelineId}/runs`, {})).body;
  const path = `/v1/runs/${run.id}`;
  const steps: Record<string, string[]> = {
    pending: [],
    running: ['running'],
    succeeded: ['running', 'succeeded'],
    failed: ['running', 'failed'],
    timed_out: ['running', 'timed_out'],
    cancelled: ['cancelled'],
  };
  let current = run;
  for (const step of steps[status]!) {
    const res = await call('PATCH', path, { status: step });
    if (res.status !== 200) throw new Error(`could not move run to ${step}: ${JSON.stringify(res.body)}`);
    current = res.body;
  }
  return current as Run;
}
