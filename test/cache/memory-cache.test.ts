import { describe, expect, it } from 'vitest';
import { ConnectionsExhaustedError, DatabaseUnavailableError } from '../../db/errors';
import { MemoryCache, UNAVAILABLE_RECHECK_MS } from '../../functions/cache/memory-cache';

const unavailable = () => new DatabaseUnavailableError('database unavailable');

function clockedCache(options: Partial<ConstructorParameters<typeof MemoryCache>[0]> = {}) {
  let now = 1_000_000;
  const cache = new MemoryCache({ maxEntries: 100, ttlMs: 1_000, staleIfErrorMs: 5_000, now: () => now, ...options });
  return { cache, advance: (ms: number) => (now += ms) };
}

describe('memory cache', () => {
  it('serves a mutable entry from memory until its TTL, then loads again', async () => {
    const { cache, advance } = clockedCache();
    let loads = 0;
    const load = async () => ++loads;
    expect((await cache.read('k', { tags: [] }, load)).value).toBe(1);
    advance(999);
    expect((await cache.read('k', { tags: [] }, load)).value).toBe(1);
    advance(1);
    expect((await cache.read('k', { tags: [] }, load)).value).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it('never expires immutable entries', async () => {
    const { cache, advance } = clockedCache();
    let loads = 0;
    await cache.read('v', { immutable: true, tags: [] }, async () => ++loads);
    advance(10 ** 9);
    expect((await cache.read('v', { immutable: true, tags: [] }, async () => ++loads)).value).toBe(1);
  });

  it('loads a missed key once for concurrent readers', async () => {
    const { cache } = clockedCache();
    let loads = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      loads++;
      await gate;
      return 'value';
    };
    const readers = Array.from({ length: 10 }, () => cache.read('k', { tags: [] }, load));
    release();
    expect((await Promise.all(readers)).map((r) => r.value)).toEqual(Array(10).fill('value'));
    expect(loads).toBe(1);
  });

  it('drops entries by tag, and does not store a load that raced with the invalidation', async () => {
    const { cache } = clockedCache();
    await cache.read('a', { tags: ['t'] }, async () => 'old');
    cache.invalidate('t');
    let release!: () => void;
    const slow = cache.read('a', { tags: ['t'] }, () => new Promise<string>((r) => (release = () => r('read before write'))));
    cache.invalidate('t'); // a write commits while the read is in flight
    release();
    expect((await slow).value).toBe('read before write');
    expect((await cache.read('a', { tags: ['t'] }, async () => 'fresh')).value).toBe('fresh');
  });

  it('tags an entry by what it loaded, and drops it by that tag', async () => {
    const { cache } = clockedCache();
    const policy = { tags: (run: { pipelineId: string }) => [`pipeline:${run.pipelineId}`] };
    await cache.read('run-1', policy, async () => ({ pipelineId: 'p1' }));
    let loads = 0;
    cache.invalidate('pipeline:p2');
    await cache.read('run-1', policy, async () => (loads++, { pipelineId: 'p1' }));
    expect(loads).toBe(0);
    cache.invalidate('pipeline:p1');
    await cache.read('run-1', policy, async () => (loads++, { pipelineId: 'p1' }));
    expect(loads).toBe(1);
  });

  it('does not store a load whose loaded tags were invalidated while it ran', async () => {
    const { cache } = clockedCache();
    const policy = { tags: (run: { pipelineId: string }) => [`pipeline:${run.pipelineId}`] };
    let release!: () => void;
    const slow = cache.read('run-1', policy, () => new Promise<{ pipelineId: string }>((r) => (release = () => r({ pipelineId: 'p1' }))));
    cache.invalidate('pipeline:p1'); // the pipeline is deleted while its run is being read
    release();
    await slow;
    expect(cache.stats().entries).toBe(0);
  });

  it('does not let a read that starts after an invalidation join a load that started before it', async () => {
    const { cache } = clockedCache();
    let release!: () => void;
    const before = cache.read('a', { tags: ['t'] }, () => new Promise<string>((r) => (release = () => r('read before write'))));
    cache.invalidate('t');
    const after = cache.read('a', { tags: ['t'] }, async () => 'read after write');
    release();
    expect((await before).value).toBe('read before write');
    expect((await after).value).toBe('read after write');
    expect((await cache.read('a', { tags: ['t'] }, async () => 'not loaded again')).value).toBe('read after write');
  });

  it('never caches "not found" (undefined)', async () => {
    const { cache } = clockedCache();
    let loads = 0;
    await cache.read('missing', { tags: [] }, async () => (loads++, undefined));
    await cache.read('missing', { tags: [] }, async () => (loads++, undefined));
    expect(loads).toBe(2);
  });

  it('serves an expired entry while the database is unreachable, up to staleIfErrorMs', async () => {
    const { cache, advance } = clockedCache();
    await cache.read('k', { tags: [] }, async () => 'cached');
    advance(1_000 + 5_000);
    expect(await cache.read('k', { tags: [] }, async () => Promise.reject(unavailable()))).toEqual({ value: 'cached', stale: true });
    advance(1);
    await expect(cache.read('k', { tags: [] }, async () => Promise.reject(unavailable()))).rejects.toBeInstanceOf(DatabaseUnavailableError);
    expect(cache.stats().staleServes).toBe(1);
  });

  it('remembers why the database was unreachable while it serves stale entries, and forgets once it answers', async () => {
    const { cache, advance } = clockedCache();
    await cache.read('k', { tags: [] }, async () => 'cached');
    expect(cache.unavailableReason).toBeUndefined();
    advance(2_000);
    const refused = new ConnectionsExhaustedError('sorry, too many clients already', '53300');
    expect(await cache.read('k', { tags: [] }, async () => Promise.reject(refused))).toEqual({ value: 'cached', stale: true });
    expect(cache.unavailableReason).toBe(refused);
    advance(UNAVAILABLE_RECHECK_MS);
    expect(cache.unavailableReason).toBeUndefined();
    await cache.read('k', { tags: [] }, async () => 'fresh');
    expect(cache.unavailableReason).toBeUndefined();
  });

  it('does not serve stale entries for errors other than an unreachable database', async () => {
    const { cache, advance } = clockedCache();
    await cache.read('k', { tags: [] }, async () => 'cached');
    advance(2_000);
    await expect(cache.read('k', { tags: [] }, async () => Promise.reject(new Error('bug')))).rejects.toThrow('bug');
  });

  it('keeps the last list page for outages only', async () => {
    const { cache } = clockedCache();
    expect(await cache.readThrough('list', async () => ['a'])).toEqual({ value: ['a'], stale: false });
    expect(await cache.readThrough('list', async () => ['a', 'b'])).toEqual({ value: ['a', 'b'], stale: false });
    expect(await cache.readThrough('list', async () => Promise.reject(unavailable()))).toEqual({ value: ['a', 'b'], stale: true });
    await expect(cache.readThrough('other', async () => Promise.reject(unavailable()))).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });

  it('is off with maxEntries 0: every read loads, nothing is kept', async () => {
    const { cache } = clockedCache({ maxEntries: 0 });
    let loads = 0;
    for (let i = 0; i < 3; i++) await cache.read('k', { immutable: true, tags: [] }, async () => ++loads);
    expect(loads).toBe(3);
    expect(cache.stats()).toMatchObject({ entries: 0, hits: 0 });
  });

  it('stays within maxEntries under a stream of distinct keys, counting evictions', async () => {
    const { cache } = clockedCache({ maxEntries: 50 });
    for (let i = 0; i < 1_000; i++) await cache.read(`key-${i}`, { tags: [`tag-${i % 7}`] }, async () => ({ i }));
    expect(cache.stats()).toMatchObject({ entries: 50, evictions: 950, misses: 1_000 });
    // The tag index shrinks with evictions too: invalidating every tag leaves nothing behind.
    for (let t = 0; t < 7; t++) cache.invalidate(`tag-${t}`);
    expect(cache.stats().entries).toBe(0);
  });
});
