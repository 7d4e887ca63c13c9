import type { DbOrTx } from '../../db/client';
import { sha256Hex } from '../core/hashing';
import { getPipeline, listPipelines } from '../core/pipelines';
import { authenticateApiKey } from '../core/projects';
import { getRun, listRuns } from '../core/runs';
import { getVersion, listVersions } from '../core/versions';
import type { MemoryCache, ReadPolicy } from './memory-cache';

/**
 * Tags: what a write invalidates. Pipelines are tagged per project (a rename or delete must also
 * drop the by-name entries), versions per pipeline (immutable: only a delete drops them), runs by
 * id, and API keys all together (a revocation is rare and must win quickly).
 */
export const tags = {
  apiKeys: 'api-keys',
  pipelines: (projectId: string) => `pipelines:${projectId}`,
  versions: (projectId: string, pipelineId: string) => `versions:${projectId}:${pipelineId}`,
  run: (projectId: string, runId: string) => `run:${projectId}:${runId}`,
};

/**
 * Drops what a write changed once it has committed. A failed write changed nothing we can know
 * of, so the cache keeps its entries: during an outage they are exactly what stale-if-error
 * serves. (A commit whose acknowledgement was lost is corrected by the TTL once the database is
 * back.)
 */
export async function invalidating<T>(cache: MemoryCache, dropped: string[], write: Promise<T>): Promise<T> {
  const result = await write;
  cache.invalidate(...dropped);
  return result;
}

type Args<F> = F extends (args: { db: DbOrTx; input: infer I }) => unknown ? I : never;

/**
 * The core's read operations behind the memory layer, for one request: the same read within the
 * request is served once (memo), and whether anything was served stale is remembered so the API
 * can say so in a header. Writes stay in the core; callers invalidate after commit.
 */
export class CachedReads {
  /** Set when a cached entry was served because the database was unreachable. */
  stale = false;
  /** Set when a list was served from its last cached page. */
  staleList = false;
  /** Set when the API key lookup was answered stale: the request may then only read (auth.ts). */
  staleAuth = false;
  private readonly memo = new Map<string, Promise<unknown>>();

  constructor(
    private readonly cache: MemoryCache,
    private readonly db: DbOrTx,
  ) {}

  authenticateApiKey(input: Args<typeof authenticateApiKey>) {
    // Keyed by the key's hash: the clear key is never held anywhere it could be dumped from.
    // Its staleness is not the body's: it is kept apart from `stale` (the Cache-Status header).
    return this.cache
      .read(`auth:${input.keyHash ?? sha256Hex(input.key)}`, { tags: [tags.apiKeys] }, () => authenticateApiKey({ db: this.db, input }))
      .then(({ value, stale }) => {
        if (stale) this.staleAuth = true;
        return value;
      });
  }

  getPipeline(input: Args<typeof getPipeline>) {
    return this.read(`pipeline:${input.projectId}:${input.idOrName}`, { tags: [tags.pipelines(input.projectId)] }, () =>
      getPipeline({ db: this.db, input }),
    );
  }

  getVersion(input: Args<typeof getVersion>) {
    const key = `version:${input.projectId}:${input.pipelineId}:${input.numberOrHash}`;
    return this.read(key, { immutable: true, tags: [tags.versions(input.projectId, input.pipelineId)] }, () =>
      getVersion({ db: this.db, input }),
    );
  }

  getRun(input: Args<typeof getRun>) {
    return this.read(`run:${input.projectId}:${input.runId}`, { tags: [tags.run(input.projectId, input.runId)] }, () =>
      getRun({ db: this.db, input }),
    );
  }

  listPipelines(input: Args<typeof listPipelines>) {
    return this.list('pipelines', input, () => listPipelines({ db: this.db, input }));
  }

  listVersions(input: Args<typeof listVersions>) {
    return this.list('versions', input, () => listVersions({ db: this.db, input }));
  }

  listRuns(input: Args<typeof listRuns>) {
    return this.list('runs', input, () => listRuns({ db: this.db, input }));
  }

  private read<T>(key: string, policy: ReadPolicy, load: () => Promise<T>): Promise<T> {
    let pending = this.memo.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = this.cache.read(key, policy, load).then(({ value, stale }) => {
        if (stale) this.stale = true;
        return value;
      });
      this.memo.set(key, pending);
    }
    return pending;
  }

  private async list<T>(name: string, input: object, load: () => Promise<T>): Promise<T> {
    const { value, stale } = await this.cache.readThrough(`list:${name}:${JSON.stringify(input)}`, load);
    if (stale) this.staleList = true;
    return value;
  }
}
