/**
 * Which operation each `client.<resource>.<method>` calls. A new operation is usable as
 * `client.operations.<operationId>` as soon as the types are regenerated; giving it a name here
 * is one line (test/client/resources.test.ts fails while an operation of the document has none).
 */
import type { OperationId } from './operations';

export const resources = {
  health: { get: 'getHealth' },
  projects: { create: 'createProject', list: 'listProjects', delete: 'deleteProject' },
  keys: { create: 'createApiKey', list: 'listApiKeys', revoke: 'revokeApiKey' },
  pipelines: {
    create: 'createPipeline',
    list: 'listPipelines',
    get: 'getPipeline',
    update: 'updatePipeline',
    delete: 'deletePipeline',
    activate: 'activatePipelineVersion',
    activations: 'listActivations',
  },
  versions: { register: 'registerVersion', list: 'listVersions', get: 'getVersion', diff: 'diffVersions' },
  runs: {
    create: 'createRun',
    list: 'listProjectRuns',
    listForPipeline: 'listPipelineRuns',
    stats: 'getRunStats',
    get: 'getRun',
    update: 'updateRun',
    heartbeat: 'heartbeatRun',
    cancel: 'cancelRun',
  },
  taskRuns: { start: 'startTaskRun', list: 'listProjectTaskRuns', listForRun: 'listRunTaskRuns', get: 'getTaskRun', update: 'updateTaskRun' },
  dlq: { list: 'listDlqEntries', get: 'getDlqEntry', delete: 'deleteDlqEntry', replay: 'replayDlqEntry' },
  taskResults: { put: 'putTaskResult', get: 'getTaskResult' },
  services: { register: 'registerService', list: 'listServices' },
  tasks: { history: 'listTaskHistory' },
  schedules: { list: 'listSchedules' },
} as const satisfies Record<string, Record<string, OperationId>>;

export type Resources = typeof resources;
