/**
 * `npm run build`: one esbuild bundle per Lambda function in dist/<name>/, its entry index.mjs and
 * the chunks it imports (<name>-<hash>.mjs beside it, see LAMBDA_SPLITTING), built the way SST
 * builds them on deploy (ESM, minified, names kept, a `require` for the CommonJS dependencies,
 * code splitting), and the migrator's SQL copied next to its bundle as SST's copyFiles does.
 * Prints the sizes.
 *
 *   npm run build                  # into dist/
 *   npm run build -- --out /tmp/x  # elsewhere
 */
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
// The file SST's nodejs.plugins names too (bundling.ts LAMBDA_ESBUILD_PLUGINS).
import lambdaPlugins from './esbuild-plugins.mjs';
import { ESBUILD_TARGET, LAMBDA_EXTERNAL, LAMBDA_FUNCTIONS, LAMBDA_SPLITTING, MIGRATIONS_SOURCE, MIGRATIONS_TARGET } from './bundling';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * An ESM bundle has no `require`, but bundled CommonJS packages (pg, parts of the AWS SDK) call it
 * for Node built-ins; esbuild's shim throws "Dynamic require … is not supported" without one. SST
 * prepends the same thing, which is also why infra/ never sets a banner of its own (a second
 * `const require` would be a syntax error).
 */
const REQUIRE_BANNER = "import { createRequire as __pipestoreCreateRequire } from 'node:module';\nconst require = __pipestoreCreateRequire(import.meta.url);";

export const lambdaBuildOptions = (): BuildOptions => ({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: ESBUILD_TARGET,
  minify: true,
  // Error classes name themselves from their constructor (db/errors.ts); mangled names would make
  // the logs unreadable. SST keeps names by default too.
  keepNames: true,
  external: [...LAMBDA_EXTERNAL],
  mainFields: ['module', 'main'],
  banner: { js: REQUIRE_BANNER },
  // As SST does with `nodejs.splitting`: an outdir, `.mjs` for the entry and the chunks alike, and
  // esbuild's default chunk names (<name>-<hash>.mjs beside the entry).
  splitting: LAMBDA_SPLITTING,
  outExtension: { '.js': '.mjs' },
  metafile: true,
  plugins: lambdaPlugins,
  logLevel: 'warning',
  absWorkingDir: REPO_ROOT,
});

/** One file esbuild wrote for a function: its entry or one of its chunks. */
export interface BuiltOutput {
  file: string;
  bytes: number;
  /** Source files (repository-relative) whose code it holds. */
  inputs: string[];
  /** Other outputs it imports: statically (loaded with it) or by `import()` (loaded when that runs). */
  imports: { file: string; dynamic: boolean }[];
  /** The source file (repository-relative) whose `import()` this chunk answers, if it is one's. */
  entryPoint?: string;
}

export interface BuiltFunction {
  name: string;
  /** The entry, `<outDir>/<name>/index.mjs`: what the Lambda runtime imports. */
  file: string;
  /** Size of the entry alone. */
  bytes: number;
  /** The entry first, then its chunks (beside it, esbuild's names). */
  outputs: BuiltOutput[];
  /** Entry and chunks: the JavaScript shipped. */
  totalBytes: number;
  /** Source files that went into the bundle (repository-relative), to check what is absent. */
  inputs: string[];
}

/** Bundles `entry` to `<outDir>/<name>/index.mjs`, plus its chunks. */
export async function bundleEntry(entry: string, outDir: string, name: string): Promise<BuiltFunction> {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result = await build({ ...lambdaBuildOptions(), entryPoints: { index: resolve(REPO_ROOT, entry) }, outdir: dir });
  const metafile = result.metafile as Metafile;
  // Metafile paths are relative to absWorkingDir.
  const outputs: BuiltOutput[] = Object.entries(metafile.outputs)
    .filter(([path]) => path.endsWith('.mjs'))
    .map(([path, output]) => ({
      file: resolve(REPO_ROOT, path),
      bytes: statSync(resolve(REPO_ROOT, path)).size,
      inputs: Object.keys(output.inputs),
      imports: output.imports
        .filter((i) => !i.external && i.path.endsWith('.mjs'))
        .map((i) => ({ file: resolve(REPO_ROOT, i.path), dynamic: i.kind === 'dynamic-import' })),
      ...(output.entryPoint && { entryPoint: output.entryPoint }),
    }));
  const file = join(dir, 'index.mjs');
  const entryOutput = outputs.find((o) => o.file === file);
  if (!entryOutput) throw new Error(`esbuild wrote no ${file} for ${entry}`);
  const chunks = outputs.filter((o) => o !== entryOutput).sort((a, b) => a.file.localeCompare(b.file));
  return {
    name,
    file,
    bytes: entryOutput.bytes,
    outputs: [entryOutput, ...chunks],
    totalBytes: outputs.reduce((sum, o) => sum + o.bytes, 0),
    inputs: Object.keys(metafile.inputs),
  };
}

/**
 * The outputs a cold start loads: the entry, what it imports statically, and what its `import()`s
 * load, transitively, except the dynamic imports that would bring in a source file matching
 * `unless` (the database drivers the configuration does not select, say), and those of a module
 * matching `later` (what is imported on a request, not at init).
 */
export function loadedOutputs(fn: BuiltFunction, unless?: RegExp, later?: RegExp): BuiltOutput[] {
  const byFile = new Map(fn.outputs.map((o) => [o.file, o]));
  const staticClosure = (from: BuiltOutput, seen = new Set<BuiltOutput>()) => {
    if (seen.has(from)) return seen;
    seen.add(from);
    for (const i of from.imports) if (!i.dynamic) staticClosure(byFile.get(i.file)!, seen);
    return seen;
  };
  const loaded = new Set<BuiltOutput>();
  const load = (output: BuiltOutput) => {
    const closure = [...staticClosure(output)].filter((o) => !loaded.has(o));
    for (const o of closure) loaded.add(o);
    for (const o of closure) {
      for (const i of o.imports) {
        const target = byFile.get(i.file)!;
        if (!i.dynamic || loaded.has(target)) continue;
        if (later && target.entryPoint && later.test(target.entryPoint)) continue;
        if (unless && [...staticClosure(target)].some((t) => t.inputs.some((input) => unless.test(input)))) continue;
        load(target);
      }
    }
  };
  load(fn.outputs[0]!);
  return [...loaded];
}

/** Every function of infra/bundling.ts, plus the migrator's SQL beside its bundle. */
export async function buildFunctions(outDir: string): Promise<Record<string, BuiltFunction>> {
  const built: Record<string, BuiltFunction> = {};
  // One after the other: on a 2-core machine parallel builds gain little and make timings noisy.
  for (const fn of LAMBDA_FUNCTIONS) built[fn.name] = await bundleEntry(fn.entry, outDir, fn.name);
  cpSync(join(REPO_ROOT, MIGRATIONS_SOURCE), join(outDir, 'migrate', MIGRATIONS_TARGET), { recursive: true });
  return built;
}

export const formatBytes = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`);

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO_ROOT, 'dist') } } });
  const outDir = resolve(values.out!);
  const started = performance.now();
  const built = await buildFunctions(outDir);
  const rows = Object.values(built).map((fn) => ({
    function: fn.name,
    bundle: relative(process.cwd(), fn.file).startsWith('..') ? fn.file : relative(process.cwd(), fn.file),
    files: fn.outputs.length,
    entry: formatBytes(fn.bytes),
    total: formatBytes(fn.totalBytes),
    bytes: fn.totalBytes,
  }));
  console.table(rows);
  console.log(`built ${rows.length} functions in ${Math.round(performance.now() - started)} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
