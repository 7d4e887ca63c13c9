/** The example's pipeline and task handlers: stand-ins for real work, one of which always fails. */
import type { TaskHandler } from './worker';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const PIPELINE = {
  name: 'example-etl',
  description: 'Fetch, transform and publish (examples/worker)',
  definition: {
    stages: [
      { id: 'extract', tasks: [{ id: 'download', task: 'example.download' }] },
      {
        id: 'transform',
        dependsOn: ['extract'],
        tasks: [
          { id: 'normalize', task: 'example.normalize' },
          // Optional: its failure is dead-lettered for an operator, the run goes on.
          { id: 'enrich', task: 'example.enrich', config: { optional: true } },
        ],
      },
      { id: 'load', dependsOn: ['transform'], tasks: [{ id: 'publish', task: 'example.publish' }] },
    ],
  },
};

export const TASKS: Record<string, TaskHandler> = {
  'example.download': {
    codeHash: 'sha256:download-v1',
    maxAttempts: 3,
    async run({ progress }) {
      for (const part of [1, 2, 3, 4]) {
        await pause(50);
        await progress(part / 4, `downloaded part ${part} of 4`);
      }
      return { rows: 1200 };
    },
  },
  'example.normalize': {
    codeHash: 'sha256:normalize-v1',
    maxAttempts: 3,
    async run({ progress }) {
      await progress(0.5, 'normalizing');
      return { rows: 1180, dropped: 20 };
    },
  },
  'example.enrich': {
    codeHash: 'sha256:enrich-v1',
    maxAttempts: 2,
    async run({ attempt }) {
      throw new Error(`geo lookup service unavailable (attempt ${attempt})`);
    },
  },
  'example.publish': {
    codeHash: 'sha256:publish-v1',
    maxAttempts: 3,
    async run({ progress }) {
      await progress(1, 'published');
      return { published: true };
    },
  },
};
