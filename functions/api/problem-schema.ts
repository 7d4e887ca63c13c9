import { z } from '@hono/zod-openapi';
import { PROBLEM_CODES } from '../core/problem-codes';

/**
 * RFC 9457 problem details, the one error shape of the API (built by problem.ts), as the OpenAPI
 * document declares it. Apart from problem.ts so that answering a problem needs no zod: the
 * requests a cold start serves before any resource's routes are loaded answer problems too.
 */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(PROBLEM_CODES),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .passthrough()
  .openapi('Problem');
