/**
 * The public helper for code-defined pipelines: `import { definePipeline } from 'pipestore'`.
 *
 *   export default definePipeline({
 *     name: 'nightly-report',
 *     schedule: '0 3 * * *',
 *     stages: [{ id: 'fetch', tasks: [{ id: 'download', task: 'http.get' }] }],
 *   });
 *
 * `pipestore sync <dir>` loads such files and writes them into the store. Validation happens here,
 * eagerly, so a mistake fails where the file is evaluated (an editor, a test, the CLI) with a
 * message naming the field, rather than later as an HTTP 400.
 */
import type { FieldError } from './core/errors';
import { type PipelineSpec, pipelineSpecErrors } from './core/sync';

export type { PipelineSpec } from './core/sync';

/**
 * A registry-wide symbol rather than a module-local one: the CLI and the user's files may end up
 * with two instances of this module (another copy of the package, a bundler), and the brand must
 * still be recognised.
 */
const BRAND = Symbol.for('pipestore.definePipeline');

export type DefinedPipeline = Readonly<PipelineSpec> & { readonly [BRAND]: true };

export class PipelineSpecError extends Error {
  constructor(
    readonly pipelineName: string | undefined,
    readonly errors: FieldError[],
  ) {
    const where = pipelineName ? `pipeline "${pipelineName}"` : 'pipeline';
    super(`invalid ${where}:\n${errors.map((e) => `  ${e.path || '(pipeline)'}: ${e.message}`).join('\n')}`);
    this.name = 'PipelineSpecError';
  }
}

/**
 * Validates a pipeline and marks it as one. The value is normalised through JSON first, because
 * that is what the store keeps: `undefined` fields disappear, Dates become strings, and a value
 * JSON cannot hold (a BigInt, a cycle) is reported instead of being stored differently.
 */
export function definePipeline(spec: PipelineSpec): DefinedPipeline {
  let plain: unknown;
  try {
    plain = JSON.parse(JSON.stringify(spec));
  } catch (err) {
    throw new PipelineSpecError(spec?.name, [{ path: '', message: `not JSON-serialisable: ${(err as Error).message}` }]);
  }
  const errors = pipelineSpecErrors(plain);
  if (errors.length) throw new PipelineSpecError(typeof spec?.name === 'string' ? spec.name : undefined, errors);
  return Object.freeze(Object.assign(plain as PipelineSpec, { [BRAND]: true as const }));
}

/** True for values returned by definePipeline(), from this or another copy of the module. */
export function isDefinedPipeline(value: unknown): value is DefinedPipeline {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
