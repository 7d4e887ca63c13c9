import type { Context } from 'hono';
import { INT4_MAX } from '../core/bounds';
import { resolvePipelineId } from '../core/pipeline-ref';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

export const etag = (revision: number) => `"${revision}"`;

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

/** The pipeline a path names, by id or by name: every route under /v1/pipelines/{id} asks this. */
export const pipelineIdOf = (c: Context<AppEnv>, ref: string): Promise<string> =>
  resolvePipelineId({ db: c.get('database').db, input: { projectId: c.get('projectId'), ref } });
