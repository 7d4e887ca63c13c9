/**
 * The few operations sync needs from a store, behind one interface so that planning and applying
 * are the same code (and tested once) whether sync writes to the database directly or through a
 * deployed API (api-store.ts).
 */
import type { Database } from '../../../db/client';
import type { PipelineDefinition, PipelineLabels } from '../../../db/schema';
import { PreconditionFailedError } from '../../core/errors';
import { activateVersion, createPipeline, deletePipeline, updatePipeline } from '../../core/pipelines';
import { type SyncedPipeline, listSyncState } from '../../core/sync';
import { registerVersion } from '../../core/versions';
import { CliError, EXIT } from '../exit-codes';

export type { SyncedPipeline } from '../../core/sync';

export interface PipelineMetadata {
  description: string | null;
  schedule: string | null;
  timezone: string;
  /** Only when the file says: a schedule paused by an operator stays paused through syncs that do not. */
  scheduleEnabled?: boolean;
  labels: PipelineLabels;
}

/**
 * Writes are conditional on the revision sync read (If-Match): a pipeline edited by someone else
 * between planning and writing stops the sync instead of being overwritten blindly.
 */
export interface StoreWriter {
  create(input: PipelineMetadata & { name: string; definition: PipelineDefinition; sourceHash: string }): Promise<{ version: number }>;
  registerVersion(id: string, definition: PipelineDefinition, sourceHash: string): Promise<{ number: number; created: boolean }>;
  /** Returns the pipeline's new revision. */
  activate(id: string, version: number, revision: number): Promise<number>;
  update(id: string, patch: Partial<PipelineMetadata>, revision: number): Promise<number>;
  remove(id: string, revision: number): Promise<void>;
}

export interface SyncStore {
  /** For reports: where the pipelines are written. */
  readonly target: string;
  list(): Promise<SyncedPipeline[]>;
  /** Runs the writes of one sync; the direct store makes them one transaction. */
  write<T>(run: (writer: StoreWriter) => Promise<T>): Promise<T>;
}

export const changedUnderneath = (id: string) =>
  new CliError(`pipeline ${id} was changed by someone else during the sync; nothing more was written, run sync again`, EXIT.checkFailed);

/** Straight to the database through the core, all writes in one transaction (all or nothing). */
export function directStore(database: Database, projectId: string, target: string): SyncStore {
  const conditional = async <T>(id: string, write: Promise<T>) => {
    try {
      return await write;
    } catch (err) {
      if (err instanceof PreconditionFailedError) throw changedUnderneath(id);
      throw err;
    }
  };
  return {
    target,
    list: () => listSyncState({ db: database.db, input: { projectId } }),
    write: (run) =>
      database.db.transaction((tx) =>
        run({
          async create(input) {
            const { version } = await createPipeline({ db: tx, input: { ...input, projectId } });
            return { version: version.number };
          },
          async registerVersion(pipelineId, definition, sourceHash) {
            const { version, created } = await registerVersion({ db: tx, input: { projectId, pipelineId, definition, sourceHash } });
            return { number: version.number, created };
          },
          async activate(id, version, revision) {
            return (await conditional(id, activateVersion({ db: tx, input: { projectId, id, version, ifMatch: revision } }))).revision;
          },
          async update(id, patch, revision) {
            return (await conditional(id, updatePipeline({ db: tx, input: { projectId, id, patch, ifMatch: revision } }))).revision;
          },
          async remove(id, revision) {
            await conditional(id, deletePipeline({ db: tx, input: { projectId, id, ifMatch: revision } }));
          },
        }),
      ),
  };
}
