import { LRUCache } from 'lru-cache';
import { DatabaseUnavailableError, asDatabaseError } from '../../db/errors';

export interface CacheOptions {
  maxEntries: number;
  /** Freshness of mutable entries; immutable ones never expire (only eviction removes them). */
  ttlMs: number;
  /** How long past expiry an entry may still be served while the database is unreachable. */
  staleIfErrorMs: number;
  now?: () => number;
}

export interface CacheStats {
  entries: number;
  hits: number;
  misses: number;
  staleServes: number;
  evictions: number;
}

export interface ReadPolicy<T = unknown> {
  immutable?: boolean;
  /**
   * Invalidation handles: a write to the thing a tag names drops every entry carrying it. Known
   * before the load, or read from the loaded value (a run carries the tag of its pipeline).
   */
  tags: string[] | ((value: T) => string[]);
}

interface Entry {
  value: unknown;
  expiresAt: number;
  tags: string[];
}

const isUnavailable = (err: unknown) => asDatabaseError(err) instanceof DatabaseUnavailableError;
/**
 * After a load failed for unavailability, for this long a read that has a stale entry serves it at
 * once instead of waiting for the database again (a partition makes every wait a full timeout);
 * one load per key still runs in the background and ends the spell when it succeeds.
 */
export const UNAVAILABLE_RECHECK_MS = 5_000;

/**
 * The memory layer in front of Postgres (README, Memory layer): a bounded LRU that lives as long as the
 * process (a warm Lambda container), single-flight loads, tag invalidation by this process's own
 * writes, and stale-if-error when the database is unreachable. Postgres stays the source of truth:
 * nothing is ever written here that did not come from it.
 */
export class MemoryCache {
  private readonly entries: LRUCache<string, Entry>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly keysByTag = new Map<string, Set<string>>();
  /**
   * A load that started before a write must not store its result. Every invalidation takes the
   * next number of `invalidations`; while loads are running, each tag remembers the number of
   * its last one, and a load stores only if none of its tags was invalidated after it started.
   * With no load running nothing needs remembering, so the map empties whenever loads do.
   */
  private invalidations = 0;
  private readonly invalidatedAt = new Map<string, number>();
  private loadsRunning = 0;
  private readonly now: () => number;
  private readonly counters = { hits: 0, misses: 0, staleServes: 0, evictions: 0 };
  /** Until when the database counts as unavailable (see UNAVAILABLE_RECHECK_MS). */
  private unavailableUntil = 0;
  private unavailableCause: unknown;

  /** maxEntries 0: no memory layer at all, every read is a database read (no coalescing either). */
  private readonly enabled: boolean;

  constructor(private readonly options: CacheOptions) {
    this.now = options.now ?? Date.now;
    this.enabled = options.maxEntries > 0;
    this.entries = new LRUCache<string, Entry>({
      max: Math.max(1, options.maxEntries),
      dispose: (entry, key, reason) => {
        if (reason === 'evict') this.counters.evictions++;
        if (reason !== 'set') this.untag(key, entry.tags);
      },
    });
  }

  stats(): CacheStats {
    return { entries: this.entries.size, ...this.counters };
  }

  /**
   * Why the database was last found unreachable, while that spell lasts (UNAVAILABLE_RECHECK_MS):
   * a request refused because of it says the same thing (no free connection slot is not a
   * network outage, and each has its own Retry-After).
   */
  get unavailableReason(): unknown {
    return this.now() < this.unavailableUntil ? this.unavailableCause : undefined;
  }

  private markUnavailable(err: unknown): void {
    this.unavailableUntil = this.now() + UNAVAILABLE_RECHECK_MS;
    this.unavailableCause = err;
  }

  /**
   * A fresh entry, or the loader's result (one load per key at a time). When the loader fails
   * because the database is unreachable, an entry expired less than staleIfErrorMs ago is served
   * with `stale: true`; anything else rethrows.
   */
  async read<T>(key: string, policy: ReadPolicy<T>, load: () => Promise<T>): Promise<{ value: T; stale: boolean }> {
    if (!this.enabled) return { value: await load(), stale: false };
    const entry = this.entries.get(key);
    if (entry && this.now() < entry.expiresAt) {
      this.counters.hits++;
      return { value: entry.value as T, stale: false };
    }
    const servable = entry !== undefined && this.now() - entry.expiresAt <= this.options.staleIfErrorMs;
    const loading = this.loadOnce(key, policy, load);
    if (servable && this.now() < this.unavailableUntil) {
      loading.catch(() => undefined);
      this.counters.staleServes++;
      return { value: entry.value as T, stale: true };
    }
    try {
      return { value: await loading, stale: false };
    } catch (err) {
      if (servable && isUnavailable(err)) {
        this.counters.staleServes++;
        return { value: entry.value as T, stale: true };
      }
      throw err;
    }
  }

  /**
   * Lists prefer the durable store: always loaded, and the last good page is kept only as the
   * fallback for when the database is unreachable (served with `stale: true`, no age limit but
   * the LRU's). Untagged: an outdated last page is still better than an error during an outage,
   * and the response says it is stale.
   */
  async readThrough<T>(key: string, load: () => Promise<T>): Promise<{ value: T; stale: boolean }> {
    if (!this.enabled) return { value: await load(), stale: false };
    const loading = load().then(
      (value) => {
        this.counters.misses++;
        this.unavailableUntil = 0;
        this.store(key, value, { immutable: true, tags: [] }, this.invalidations);
        return value;
      },
      (err: unknown) => {
        if (isUnavailable(err)) this.markUnavailable(err);
        throw err;
      },
    );
    const last = this.entries.get(key);
    if (last && this.now() < this.unavailableUntil) {
      loading.catch(() => undefined);
      this.counters.staleServes++;
      return { value: last.value as T, stale: true };
    }
    try {
      return { value: await loading, stale: false };
    } catch (err) {
      const entry = this.entries.get(key);
      if (entry && isUnavailable(err)) {
        this.counters.staleServes++;
        return { value: entry.value as T, stale: true };
      }
      throw err;
    }
  }

  /**
   * Called once a write has committed: drops every entry that carries one of the tags. Reads
   * already loading are not joined by later ones: a read that starts after the write loads afresh.
   */
  invalidate(...tags: string[]): void {
    if (!tags.length) return;
    const now = ++this.invalidations;
    this.inflight.clear();
    for (const tag of tags) {
      if (this.loadsRunning > 0) this.invalidatedAt.set(tag, now);
      for (const key of [...(this.keysByTag.get(tag) ?? [])]) this.entries.delete(key);
    }
  }

  private async loadOnce<T>(key: string, policy: ReadPolicy<T>, load: () => Promise<T>): Promise<T> {
    const pending = this.inflight.get(key);
    if (pending) return pending as Promise<T>;
    const startedAt = this.invalidations;
    this.loadsRunning++;
    const finished = () => {
      if (--this.loadsRunning === 0) this.invalidatedAt.clear();
    };
    const promise = load().then(
      (value) => {
        this.counters.misses++;
        this.unavailableUntil = 0;
        this.store(key, value, policy, startedAt);
        finished();
        return value;
      },
      (err: unknown) => {
        finished();
        if (isUnavailable(err)) this.markUnavailable(err);
        throw err;
      },
    );
    this.inflight.set(key, promise);
    try {
      return await promise;
    } finally {
      if (this.inflight.get(key) === promise) this.inflight.delete(key);
    }
  }

  private store<T>(key: string, value: T, policy: ReadPolicy<T>, loadStartedAt: number): void {
    // "Not there" is never cached: the next read must ask the database again.
    if (value === undefined) return;
    const tags = typeof policy.tags === 'function' ? policy.tags(value) : policy.tags;
    if (tags.some((tag) => (this.invalidatedAt.get(tag) ?? 0) > loadStartedAt)) return;
    const expiresAt = policy.immutable ? Number.POSITIVE_INFINITY : this.now() + this.options.ttlMs;
    const previous = this.entries.get(key);
    if (previous) this.untag(key, previous.tags);
    this.entries.set(key, { value, expiresAt, tags });
    for (const tag of tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  private untag(key: string, tags: string[]): void {
    for (const tag of tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }
}
