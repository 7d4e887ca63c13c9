import type { Context } from 'hono';
import type { MemoryCache } from '../cache/memory-cache';
import { log } from '../log';
import type { AppEnv } from './env';

/**
 * Says so when the memory layer answered for an unreachable database: `Cache-Status` (RFC 9211)
 * for clients that read it, and the classic `Warning: 110` that proxies and humans know.
 */
export function markStaleResponse(c: Context<AppEnv>): void {
  const store = c.get('store');
  // Only a body built from stale data is stale: not an error, nor an answer whose only stale part
  // was the API key lookup.
  if ((!store.stale && !store.staleList) || c.res.status >= 300) return;
  c.header('Cache-Status', `pipestore; hit; detail=${store.staleList ? 'last-known-page' : 'stale-if-error'}`);
  c.header('Warning', '110 - "Response is Stale"');
}

const STATS_INTERVAL_MS = 60_000;
let lastStatsLog = 0;

/** At most one cache-stats log line a minute per process: enough to graph, cheap on Lambda. */
export function logCacheStats(cache: MemoryCache): void {
  const now = Date.now();
  if (now - lastStatsLog < STATS_INTERVAL_MS) return;
  lastStatsLog = now;
  log.info('cache stats', { cache: cache.stats() });
}
