/**
 * Settings every pipestore function shares: runtime, architecture, bundling (the same externals,
 * and code splitting as `npm run build`, see bundling.ts), and the tunables passed
 * through from the deploy environment.
 */
import { ESBUILD_TARGET, LAMBDA_ESBUILD_PLUGINS, LAMBDA_EXTERNAL, LAMBDA_RUNTIME, LAMBDA_SPLITTING, lambdaFunction, type LambdaFunction } from './bundling';

/** Anything a function can link (an sst.aws.Aurora, an sst.Secret …). */
export type Linkable = unknown;

/** How the functions reach the database (infra/database.ts). */
export interface DatabaseAccess {
  /** Linked to every function that uses the database. */
  link: Linkable;
  /**
   * The VPC the functions join (through the RDS Proxy only: the Data API needs none). An
   * sst.aws.Vpc: typed loosely because only `npm run check:infra` sees SST's platform types.
   */
  // biome-ignore lint/suspicious/noExplicitAny: SST's Vpc type is visible to npm run check:infra only
  vpc?: any;
  /** Set on those functions: tells functions/handlers/config.ts which way to connect. */
  environment: Record<string, string>;
}

/** Read at deploy time and handed to the functions when set (README: Configuration). */
export const PASS_THROUGH = [
  'LOG_LEVEL',
  'CACHE_TTL_MS',
  'CACHE_MAX_ENTRIES',
  'CACHE_STALE_IF_ERROR_MS',
  'IDEMPOTENCY_TTL_HOURS',
  'DLQ_RETENTION_DAYS',
  'RUN_RETENTION_DAYS',
  'STALE_RUN_AFTER_S',
  'PENDING_RUN_TIMEOUT_S',
] as const;

export function passThroughEnvironment(env: Record<string, string | undefined> = process.env): Record<string, string> {
  return Object.fromEntries(PASS_THROUGH.flatMap((name) => (env[name] ? [[name, env[name]!]] : [])));
}

/** The common part of an sst.aws.Function's arguments for one of infra/bundling.ts's functions. */
export function functionArgs(name: LambdaFunction['name'], database?: DatabaseAccess) {
  return {
    handler: lambdaFunction(name).handler,
    runtime: LAMBDA_RUNTIME,
    // Pure JavaScript (no native modules), so Graviton: cheaper per GB-second.
    architecture: 'arm64' as const,
    environment: { ...passThroughEnvironment(), ...database?.environment },
    ...(database?.vpc !== undefined && { vpc: database.vpc }),
    nodejs: {
      format: 'esm' as const,
      minify: true,
      splitting: LAMBDA_SPLITTING,
      plugins: LAMBDA_ESBUILD_PLUGINS,
      // No banner: SST prepends its own `require` shim to ESM bundles (a second one would not parse).
      esbuild: { target: ESBUILD_TARGET, external: [...LAMBDA_EXTERNAL] },
    },
  };
}
