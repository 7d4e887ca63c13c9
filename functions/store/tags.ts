/**
 * Tags: what a write invalidates. Every entry of a project carries its project's tag (deleting a
 * project drops them all). Pipelines are tagged per project (a rename or delete must also drop the
 * by-name entries); versions and runs carry their pipeline's tag (deleting it deletes them); a run
 * also carries its own; API keys share one tag (a revocation is rare and must win quickly).
 */
export const tags = {
  apiKeys: 'api-keys',
  project: (projectId: string) => `project:${projectId}`,
  pipelines: (projectId: string) => `pipelines:${projectId}`,
  pipeline: (projectId: string, pipelineId: string) => `pipeline:${projectId}:${pipelineId}`,
  run: (projectId: string, runId: string) => `run:${projectId}:${runId}`,
};
