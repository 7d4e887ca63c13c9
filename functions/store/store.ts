import type { DbOrTx } from '../../db/client';
import type { MemoryCache, ReadPolicy } from '../cache/memory-cache';
import { sha256Hex } from '../core/hashing';
import type { PageRequest } from '../core/pagination';
import { authenticateApiKey, createApiKey, createProject, deleteProject, listApiKeys, listProjects, revokeApiKey } from '../core/projects';
import { ProjectStore } from './project-store';
import { tags } from './tags';

type Input<F> = F extends (args: { db: DbOrTx; input: infer I }) => unknown ? I : never;

/**
 * The one way into the data for a request (API route or console page): it serves the reads the
 * memory layer holds and performs the writes that invalidate them, so what a write changes and
 * what it drops from memory are decided in one place. Project-scoped operations are on
 * `project(projectId)` (functions/store/project-store.ts); here are the process-wide ones: API
 * keys and projects.
 *
 * One per request: the same read within it is served once (memo), and whether anything was
 * served stale is remembered so the API can say so in a header. Inside a transaction (an
 * Idempotency-Key request) `inTransaction` gives the store the handler uses: its reads bypass
 * the memory layer (they see uncommitted rows) and its invalidations wait for `committed()`, so a
 * concurrent read between the write and COMMIT cannot leave the old value in memory.
 */
export class Store {
  /** Set when a cached entry was served because the database was unreachable. */
  stale = false;
  /** Set when a list was served from its last cached page. */
  staleList = false;
  /** Set when the API key lookup was answered stale: the request may then only read (auth.ts). */
  staleAuth = false;
  private readonly memo = new Map<string, Promise<unknown>>();

  /** `deferred`: inside a transaction, the tags its writes dropped, invalidated at commit. */
  private constructor(
    readonly cache: MemoryCache,
    readonly db: DbOrTx,
    private readonly deferred?: string[],
  ) {}

  /** A request's store over the process's memory layer. */
  static over(cache: MemoryCache, db: DbOrTx): Store {
    return new Store(cache, db);
  }

  /** The store for the statements of transaction `tx` (see the class comment). */
  inTransaction(tx: DbOrTx): Store {
    return new Store(this.cache, tx, []);
  }

  /** After the transaction of `inTransaction` committed: drops what its writes changed. */
  committed(): void {
    if (this.deferred) this.cache.invalidate(...this.deferred.splice(0));
  }

  /** The operations on one project's data. */
  project(projectId: string): ProjectStore {
    return new ProjectStore(this, projectId);
  }

  authenticateApiKey(input: Input<typeof authenticateApiKey>) {
    if (this.deferred) return authenticateApiKey({ db: this.db, input });
    // Keyed by the key's hash: the clear key is never held anywhere it could be dumped from.
    // Its staleness is not the body's: it is kept apart from `stale` (the Cache-Status header).
    return this.cache
      .read(`auth:${input.keyHash ?? sha256Hex(input.key)}`, { tags: [tags.apiKeys] }, () => authenticateApiKey({ db: this.db, input }))
      .then(({ value, stale }) => {
        if (stale) this.staleAuth = true;
        return value;
      });
  }

  createProject(input: Input<typeof createProject>) {
    return this.write(() => createProject({ db: this.db, input }), []);
  }

  listProjects(input: PageRequest) {
    return listProjects({ db: this.db, input });
  }

  deleteProject(input: Input<typeof deleteProject>) {
    return this.write(() => deleteProject({ db: this.db, input }), [tags.apiKeys, tags.project(input.projectId)]);
  }

  createApiKey(input: Input<typeof createApiKey>) {
    return this.write(() => createApiKey({ db: this.db, input }), []);
  }

  listApiKeys(input: Input<typeof listApiKeys>) {
    return listApiKeys({ db: this.db, input });
  }

  revokeApiKey(input: Input<typeof revokeApiKey>) {
    return this.write(() => revokeApiKey({ db: this.db, input }), [tags.apiKeys]);
  }

  /** A read the memory layer may answer (project-scoped ones come from ProjectStore). */
  cached<T>(key: string, policy: ReadPolicy<T>, load: () => Promise<T>): Promise<T> {
    // Inside a transaction reads see its uncommitted rows: they must not fill the shared cache.
    if (this.deferred) return load();
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

  /** A list: always loaded, its last page kept only for when the database is unreachable. */
  async list<T>(name: string, input: object, load: () => Promise<T>): Promise<T> {
    if (this.deferred) return load();
    const { value, stale } = await this.cache.readThrough(`list:${name}:${JSON.stringify(input)}`, load);
    if (stale) this.staleList = true;
    return value;
  }

  /**
   * Runs a write, then drops the tags it changed (given, or read from its result): at once, or
   * at commit inside a transaction. The memo goes too: a read after the write in this request
   * must not get what was read before it. A failed write changed nothing we can know of, so the
   * memory layer keeps its entries: during an outage they are exactly what stale-if-error serves.
   * (A commit whose acknowledgement was lost is corrected by the TTL once the database is back.)
   */
  async write<T>(run: () => Promise<T>, dropped: string[] | ((result: T) => string[])): Promise<T> {
    const result = await run();
    const droppedTags = typeof dropped === 'function' ? dropped(result) : dropped;
    if (droppedTags.length) {
      this.memo.clear();
      if (this.deferred) this.deferred.push(...droppedTags);
      else this.cache.invalidate(...droppedTags);
    }
    return result;
  }
}
