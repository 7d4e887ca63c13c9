/**
 * Evaluating pipeline files: each file's default export must be a definePipeline() value. Named
 * exports are ignored (they may be shared stages), so a file is exactly one pipeline and a
 * pipeline's source hash names exactly one file: that is what lets an unchanged file be skipped.
 */
import { register } from 'node:module';
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FieldError } from '../../core/errors';
import { type PipelineSpec, pipelineSpecErrors } from '../../core/sync';
import { isDefinedPipeline } from '../../sdk';
import type { SourceFile } from './files';

let hookInstalled = false;

/**
 * Lets files anywhere `import { definePipeline } from 'pipestore'`, and loads the files under
 * `root` as ES modules (see resolve-hook.mjs). Once per process: a CLI run syncs one directory.
 */
function installResolveHook(root: string): void {
  if (hookInstalled) return;
  hookInstalled = true;
  const sdkUrl = new URL('../../sdk.ts', import.meta.url).href;
  const pipelineRoot = pathToFileURL(root.endsWith(sep) ? root : root + sep).href;
  register('./resolve-hook.mjs', { parentURL: import.meta.url, data: { sdkUrl, pipelineRoot } });
}

export interface FileError {
  file: string;
  errors: FieldError[];
}

export type Evaluated = { ok: true; spec: PipelineSpec } | { ok: false; error: FileError };

export async function evaluateFile(root: string, source: SourceFile): Promise<Evaluated> {
  installResolveHook(root);
  const fail = (errors: FieldError[]): Evaluated => ({ ok: false, error: { file: source.file, errors } });
  let exported: unknown;
  try {
    const module = (await import(pathToFileURL(source.path).href)) as { default?: unknown };
    exported = module.default;
  } catch (err) {
    // definePipeline's own errors carry field paths; anything else (syntax, a throw) is one message.
    const fieldErrors = (err as { errors?: FieldError[] }).errors;
    if (err instanceof Error && err.name === 'PipelineSpecError' && Array.isArray(fieldErrors)) return fail(fieldErrors);
    return fail([{ path: '', message: firstLines(err) }]);
  }
  if (exported === undefined) return fail([{ path: '', message: 'no default export: write `export default definePipeline({ … })`' }]);
  if (!isDefinedPipeline(exported)) {
    return fail([{ path: '', message: "the default export is not a definePipeline() value (import { definePipeline } from 'pipestore')" }]);
  }
  // Checked again: the brand says what the file meant, this says the value is still valid (an
  // older copy of the SDK, or nested objects changed after definePipeline returned).
  const spec = JSON.parse(JSON.stringify(exported)) as PipelineSpec;
  const errors = pipelineSpecErrors(spec);
  return errors.length ? fail(errors) : { ok: true, spec };
}

/** Syntax errors from the TypeScript loader span many lines; the first few say what and where. */
function firstLines(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').filter(Boolean).slice(0, 6).join('\n    ');
}
