/**
 * `npm run build`: one esbuild bundle per Lambda function in dist/<name>/index.mjs, built the way
 * SST builds them on deploy (ESM, minified, names kept, a `require` for the CommonJS dependencies),
 * and the migrator's SQL copied next to its bundle as SST's copyFiles does. Prints the sizes.
 *
 *   npm run build                  # into dist/
 *   npm run build -- --out /tmp/x  # elsewhere
 */
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { ESBUILD_TARGET, LAMBDA_EXTERNAL, LAMBDA_FUNCTIONS, MIGRATIONS_SOURCE, MIGRATIONS_TARGET } from './bundling';

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
  outExtension: { '.js': '.mjs' },
  metafile: true,
  logLevel: 'warning',
  absWorkingDir: REPO_ROOT,
});

export interface BuiltFunction {
  name: string;
  file: string;
  bytes: number;
  /** Source files that went into the bundle (repository-relative), to check what is absent. */
  inputs: string[];
}

/** Bundles `entry` to `<outDir>/<name>/index.mjs`. */
export async function bundleEntry(entry: string, outDir: string, name: string): Promise<BuiltFunction> {
  const dir = join(outDir, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.mjs');
  const result = await build({ ...lambdaBuildOptions(), entryPoints: [resolve(REPO_ROOT, entry)], outfile: file });
  return { name, file, bytes: statSync(file).size, inputs: Object.keys((result.metafile as Metafile).inputs) };
}

/** Every function of infra/bundling.ts, plus the migrator's SQL beside its bundle. */
export async function buildFunctions(outDir: string): Promise<Record<string, BuiltFunction>> {
  const built: Record<string, BuiltFunction> = {};
  // One after the other: on a 2-core machine parallel builds gain little and make timings noisy.
  for (const fn of LAMBDA_FUNCTIONS) built[fn.name] = await bundleEntry(fn.entry, outDir, fn.name);
  cpSync(join(REPO_ROOT, MIGRATIONS_SOURCE), join(outDir, 'migrate', MIGRATIONS_TARGET), { recursive: true });
  return built;
}

export const formatBytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;

async function main() {
  const { values } = parseArgs({ options: { out: { type: 'string', default: join(REPO_ROOT, 'dist') } } });
  const outDir = resolve(values.out!);
  const started = performance.now();
  const built = await buildFunctions(outDir);
  const rows = Object.values(built).map((fn) => ({
    function: fn.name,
    bundle: relative(process.cwd(), fn.file).startsWith('..') ? fn.file : relative(process.cwd(), fn.file),
    size: formatBytes(fn.bytes),
    bytes: fn.bytes,
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
