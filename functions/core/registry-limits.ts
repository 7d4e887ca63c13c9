/**
 * What a worker service may register (PUT /v1/services/{id}). Task names may be as long as a
 * definition's `task` field, so every task a definition can name fits (core/definitions.ts).
 */
export const REGISTRY_LIMITS = {
  serviceId: 100,
  taskName: 200,
  codeHash: 128,
  version: 200,
  baseUrl: 2000,
  maxAttempts: 100,
  timeoutSeconds: 86_400,
  tasksPerService: 500,
} as const;
