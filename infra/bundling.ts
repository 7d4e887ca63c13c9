/**
 * What the Lambda functions are and how they are bundled, shared by the SST components (which
 * let SST's own esbuild bundle them on deploy) and by `npm run build` (infra/build.ts, used by the
 * handler tests and the cold-start benchmark). Keeping both on one list is what makes the tested
 * bundles stand for the deployed ones. No imports: sst.config.ts evaluates this module too.
 */

export const LAMBDA_RUNTIME = 'nodejs22.x' as const;
/** The esbuild target matching LAMBDA_RUNTIME (SST would default to es2023 for it). */
export const ESBUILD_TARGET = 'node22' as const;

export interface LambdaFunction {
  /** Output folder under dist/ and the key tests use. */
  name: 'api' | 'console' | 'cleanup' | 'migrate' | 'scheduler';
  /** Source file, relative to the repository root. */
  entry: string;
  /** SST's handler string: `<path without extension>.<export>`. */
  handler: string;
}

export const LAMBDA_FUNCTIONS: readonly LambdaFunction[] = [
  { name: 'api', entry: 'functions/handlers/api.ts', handler: 'functions/handlers/api.handler' },
  { name: 'console', entry: 'functions/handlers/console.ts', handler: 'functions/handlers/console.handler' },
  { name: 'cleanup', entry: 'functions/handlers/cleanup.ts', handler: 'functions/handlers/cleanup.handler' },
  { name: 'migrate', entry: 'functions/handlers/migrate.ts', handler: 'functions/handlers/migrate.handler' },
  { name: 'scheduler', entry: 'functions/handlers/scheduler.ts', handler: 'functions/handlers/scheduler.handler' },
];

export const lambdaFunction = (name: LambdaFunction['name']): LambdaFunction => LAMBDA_FUNCTIONS.find((f) => f.name === name)!;

/**
 * Packages that must never be bundled:
 * - `@electric-sql/pglite` (27 MB with its wasm) and Drizzle's adapter for it: db/client.ts imports
 *   them lazily for local use only, and the Lambda configuration refuses the embedded driver, so the
 *   imports are never reached. The adapter must be external too: bundled, its static import of
 *   PGlite would be hoisted to the top of the ESM bundle and fail at load time.
 * - `pg-native`: node-postgres requires it only when asked for the native binding. Naming it here
 *   also matters to SST: a force-external package it finds imported and that is not listed by the
 *   user gets `npm install`ed into the function, and pg-native would need libpq to compile.
 */
export const LAMBDA_EXTERNAL = ['@electric-sql/pglite', '@electric-sql/pglite/*', 'drizzle-orm/pglite', 'drizzle-orm/pglite/*', 'pg-native'] as const;

/**
 * esbuild code splitting (SST: `nodejs.splitting`): what a function reaches only through a dynamic
 * `import()` goes into chunks beside the entry, loaded when that import runs. db/client.ts imports
 * each database driver that way, so a cold start loads, compiles and runs only the driver the
 * configuration selects: node-postgres never pulls in the AWS SDK (~300 KB minified) and the Data
 * API never pulls in pg. Without splitting both sit in the one file, and V8 parses all of it on
 * every cold start whether it runs or not.
 */
export const LAMBDA_SPLITTING = true;

/**
 * esbuild plugins (infra/esbuild-plugins.mjs), for SST's `nodejs.plugins` (a path relative to
 * sst.config.ts, whose default export is the list; SST marks the option internal, it is what its
 * own bundler reads) and for `npm run build`, which imports the same file.
 */
export const LAMBDA_ESBUILD_PLUGINS = 'infra/esbuild-plugins.mjs';

/** Where the migrator finds its SQL, relative to its bundle (SST: copyFiles `to`). */
export const MIGRATIONS_SOURCE = 'db/migrations';
export const MIGRATIONS_TARGET = 'migrations';
