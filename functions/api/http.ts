import type { Context } from 'hono';
import { INT4_MAX } from '../core/bounds';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

export const etag = (revision: number) => `"${revision}"`;

/** Sets the ETag of a mutable resource (its revision) and returns the resource, for `c.json`. */
export function withETag<T extends { revision: number }>(c: Context, resource: T): T {
  c.header('ETag', etag(resource.revision));
  return resource;
}

/**
 * The store of the project the request's key belongs to: every project route reads and writes
 * through it, so the tenant is bound once (functions/store/project-store.ts).
 */
export const projectStore = (c: Context<AppEnv>) => c.get('store').project(c.get('projectId'));

/**
 * A revision no row can have (revisions start at 1): what an If-Match beyond the int4 range of
 * the revision column stands for, so that it fails as any stale ETag does (412, or 404 when the
 * resource is gone) instead of reaching a statement it does not fit.
 */
const UNMATCHABLE_REVISION = 0;

/** The revision an If-Match header asks for; undefined when absent or "*". */
export function ifMatchRevision(c: Context): number | undefined {
  const header = c.req.header('If-Match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"([1-9][0-9]{0,62})"$/.exec(header);
  if (!match) {
    throw new ApiError(
      problem(400, 'invalid_if_match', 'If-Match must be one ETag as returned by this API, e.g. "3"', {
        errors: [{ path: 'header.if-match', message: 'expected a quoted revision such as "3"' }],
      }),
    );
  }
  const revision = Number(match[1]);
  return revision > INT4_MAX ? UNMATCHABLE_REVISION : revision;
}
