/**
 * sst.config.ts run offline: SST's globals ($config, $app, $dev, sst.*, aws.*) are stubbed with
 * recorders, the config's app() and run() are called as SST would call them, and the components
 * they create are checked against README, Deploying to AWS. Nothing here talks to AWS or needs .sst/. The stubs
 * exist only while a case runs (test files share their worker's globals).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LAMBDA_ESBUILD_PLUGINS, LAMBDA_FUNCTIONS } from '../../infra/bundling';
import { PASS_THROUGH } from '../../infra/functions';

const ROOT = resolve(import.meta.dirname, '../..');
const GLOBALS = ['$config', '$app', '$dev', 'sst', 'aws'] as const;
const DEPLOY_SETTINGS = [
  'PIPESTORE_EXTERNAL_DATABASE',
  'PIPESTORE_CLEANUP_SCHEDULE',
  'PIPESTORE_DB_MAX_ACU',
  'PIPESTORE_PROTECT',
  'PIPESTORE_SCHEDULER',
  'PIPESTORE_DB_PROXY',
  ...PASS_THROUGH,
];

interface Component {
  type: string;
  name: string;
  args: any;
  opts?: any;
  self: any;
}

function stubSst(stage: string, dev: boolean) {
  const components: Component[] = [];
  const routes: { route: string; handler: unknown; args?: unknown }[] = [];
  const component = (type: string, outputs: (name: string) => Record<string, unknown> = () => ({})) =>
    class {
      constructor(name: string, args: unknown, opts?: unknown) {
        Object.assign(this, outputs(name));
        components.push({ type, name, args, opts, self: this });
      }
    };
  const fnName = (name: string) => `pipestore-${stage}-${name}Function`;
  const ApiGatewayV2 = class extends component('sst.aws.ApiGatewayV2', (name) => ({ url: `https://${name.toLowerCase()}.execute-api.example` })) {
    route(route: string, handler: unknown, args?: unknown) {
      routes.push({ route, handler, args });
    }
  };
  const values: Record<(typeof GLOBALS)[number], unknown> = {
    $config: (config: unknown) => config,
    $app: { name: 'pipestore', stage },
    $dev: dev,
    sst: {
      Secret: component('sst.Secret'),
      aws: {
        Vpc: component('sst.aws.Vpc'),
        Aurora: component('sst.aws.Aurora', (name) => ({ clusterArn: `arn:aws:rds:us-east-1:123456789012:cluster:${name}` })),
        Function: component('sst.aws.Function', (name) => ({ name: fnName(name), arn: `arn:aws:lambda:us-east-1:123456789012:function:${fnName(name)}` })),
        ApiGatewayV2,
        CronV2: component('sst.aws.CronV2'),
      },
    },
    aws: { lambda: { Invocation: component('aws.lambda.Invocation'), FunctionEventInvokeConfig: component('aws.lambda.FunctionEventInvokeConfig') } },
  };
  Object.assign(globalThis, values);
  const all = (type: string) => components.filter((c) => c.type === type);
  const one = (type: string, name?: string) => {
    const found = all(type).filter((c) => name === undefined || c.name === name);
    expect(found, `${type} ${name ?? ''}`).toHaveLength(1);
    return found[0]!;
  };
  /** Every function's arguments: standalone ones and any inlined in a CronV2 (not an ARN, not a standalone one). */
  const standalone = () => all('sst.aws.Function');
  const functions = () => [
    ...standalone().map((c) => c.args),
    ...all('sst.aws.CronV2')
      .map((c) => c.args.function)
      .filter((fn) => typeof fn === 'object' && !standalone().some((c) => c.self === fn)),
  ];
  return { components, routes, all, one, functions };
}

let config: { app(input: { stage: string }): any; run(): Promise<any> } | undefined;

/** Runs sst.config.ts as SST does: app() for the stage, then run() with the globals in place. */
async function deploy(stage: string, { dev = false, env = {} as Record<string, string> } = {}) {
  vi.unstubAllEnvs();
  // Only what a case sets may reach the config, whatever the shell running the tests has.
  for (const name of DEPLOY_SETTINGS) vi.stubEnv(name, env[name] ?? '');
  const recorder = stubSst(stage, dev);
  // A computed URL keeps tsc from following the import: the file references SST's platform types.
  config ??= (await import(pathToFileURL(join(ROOT, 'sst.config.ts')).href)).default;
  return { ...recorder, app: config!.app({ stage }), outputs: await config!.run() };
}

afterEach(() => {
  for (const name of GLOBALS) delete (globalThis as Record<string, unknown>)[name];
  vi.unstubAllEnvs();
});

describe('sst.config.ts', () => {
  it('production: Aurora with the Data API scaling to zero, one $default route, cron, migrations on deploy, retained and protected', async () => {
    const d = await deploy('production');
    expect(d.app).toMatchObject({ name: 'pipestore', home: 'aws', removal: 'retain', protect: true });

    const vpc = d.one('sst.aws.Vpc');
    const aurora = d.one('sst.aws.Aurora', 'Database');
    expect(aurora.args).toMatchObject({ engine: 'postgres', dataApi: true, scaling: { min: '0 ACU' } });
    expect(aurora.args.vpc).toBe(vpc.self);
    expect(aurora.args.transform.cluster).toMatchObject({ deletionProtection: true, skipFinalSnapshot: false });
    const adminToken = d.one('sst.Secret', 'AdminToken');

    const apiFunction = d.one('sst.aws.Function', 'ApiFunction');
    expect(apiFunction.args).toMatchObject({ handler: 'functions/handlers/api.handler', runtime: 'nodejs22.x' });
    expect(apiFunction.args.link).toEqual([aurora.self, adminToken.self]);
    const api = d.one('sst.aws.ApiGatewayV2', 'Api');
    const consoleFunction = d.one('sst.aws.Function', 'ConsoleFunction');
    expect(consoleFunction.args).toMatchObject({ handler: 'functions/handlers/console.handler', runtime: 'nodejs22.x' });
    expect(consoleFunction.args.link).toEqual([aurora.self, adminToken.self]);
    expect(d.routes).toEqual([
      { route: '$default', handler: apiFunction.self.arn, args: undefined },
      { route: 'ANY /console', handler: consoleFunction.self.arn, args: undefined },
      { route: 'ANY /console/{proxy+}', handler: consoleFunction.self.arn, args: undefined },
    ]);

    const migrator = d.one('sst.aws.Function', 'Migrator');
    expect(migrator.args).toMatchObject({ handler: 'functions/handlers/migrate.handler', copyFiles: [{ from: 'db/migrations', to: 'migrations' }] });
    expect(migrator.args.link).toEqual([aurora.self]);
    const invocation = d.one('aws.lambda.Invocation');
    expect(invocation.args.functionName).toBe(migrator.self.name);
    expect(JSON.parse(invocation.args.input)).toMatchObject({ trigger: 'deploy', stage: 'production', deployedAt: expect.any(String) });
    // The API is updated only once this deploy's migrations have run.
    expect(apiFunction.opts).toEqual({ dependsOn: [invocation.self] });

    // Cleanup and the schedule tick: each function and its schedule created after the migrations
    // ran, with no retries of any kind (Scheduler's, nor Lambda's own two of an asynchronous invocation).
    for (const [Name, name, schedule] of [
      ['Cleanup', 'cleanup', 'rate(15 minutes)'],
      ['Scheduler', 'scheduler', 'rate(1 minute)'],
    ] as const) {
      const fn = d.one('sst.aws.Function', `${Name}Function`);
      expect(fn.args).toMatchObject({ handler: `functions/handlers/${name}.handler`, link: [aurora.self] });
      expect(fn.opts).toEqual({ dependsOn: [invocation.self] });
      const cron = d.one('sst.aws.CronV2', Name);
      expect(cron.args).toMatchObject({ schedule, retries: 0, event: { source: `pipestore.${name}`, scheduledTime: '<aws.scheduler.scheduled-time>' } });
      expect(cron.args.function).toBe(fn.self);
      expect(cron.opts).toEqual({ dependsOn: [invocation.self] });
      // Lambda's own retries are off too; a config SST's `retries` option made is adopted, not replaced.
      const invokeConfig = d.one('aws.lambda.FunctionEventInvokeConfig', `${Name}InvokeConfig`);
      expect(invokeConfig.args).toEqual({ functionName: fn.self.name, maximumRetryAttempts: 0 });
      expect(invokeConfig.opts).toEqual({ aliases: [{ name: `${Name}FunctionEventInvokeConfig`, parent: fn.self }] });
    }

    for (const fn of d.functions()) {
      expect(fn).toMatchObject({
        runtime: 'nodejs22.x',
        // Code splitting, as `npm run build` (infra/build.ts) bundles them for the tests.
        nodejs: {
          format: 'esm',
          splitting: true,
          plugins: LAMBDA_ESBUILD_PLUGINS,
          esbuild: { external: expect.arrayContaining(['@electric-sql/pglite', 'drizzle-orm/pglite', 'pg-native']) },
        },
      });
      expect(fn.nodejs.banner, 'SST adds its own require banner').toBeUndefined();
    }
    expect(d.outputs).toEqual({
      api: api.self.url,
      apiFunction: apiFunction.self.name,
      consoleFunction: d.one('sst.aws.Function', 'ConsoleFunction').self.name,
      migrator: migrator.self.name,
      cleanupSchedule: 'rate(15 minutes)',
      scheduler: 'rate(1 minute)',
      database: aurora.self.clusterArn,
    });
  });

  it('names only handlers and files that exist, and the functions infra/bundling.ts builds', async () => {
    const d = await deploy('ci');
    const handlers = d.functions().map((fn) => fn.handler as string);
    expect(handlers.sort()).toEqual(LAMBDA_FUNCTIONS.map((f) => f.handler).sort());
    for (const handler of handlers) {
      const file = `${handler.slice(0, handler.lastIndexOf('.'))}.ts`;
      expect(existsSync(join(ROOT, file)), file).toBe(true);
    }
    for (const f of LAMBDA_FUNCTIONS) expect(existsSync(join(ROOT, f.entry)), f.entry).toBe(true);
    for (const fn of d.functions()) {
      for (const copy of fn.copyFiles ?? []) expect(existsSync(join(ROOT, copy.from, 'meta/_journal.json')), copy.from).toBe(true);
    }
  });

  it('other stages: removable, smaller, cleanup every 6 hours; a new migrator input on every deploy', async () => {
    const first = await deploy('alice');
    expect(first.app).toMatchObject({ removal: 'remove', protect: false });
    expect(first.one('sst.aws.Aurora').args).toMatchObject({
      scaling: { min: '0 ACU', max: '2 ACU', pauseAfter: '5 minutes' },
      transform: { cluster: { deletionProtection: false } },
    });
    expect(first.one('sst.aws.CronV2', 'Cleanup').args.schedule).toBe('rate(6 hours)');
    const firstInput = first.one('aws.lambda.Invocation').args.input;
    await new Promise((r) => setTimeout(r, 5));
    const second = await deploy('alice');
    expect(second.one('aws.lambda.Invocation').args.input).not.toBe(firstInput);
  });

  it('sst dev: no deploy-time invocation of the migrator', async () => {
    const d = await deploy('alice', { dev: true });
    expect(d.all('aws.lambda.Invocation')).toEqual([]);
    expect(d.one('sst.aws.Function', 'ApiFunction').opts).toBeUndefined();
    d.one('sst.aws.Function', 'Migrator');
  });

  it('PIPESTORE_SCHEDULER=off: the scheduler function without its schedule', async () => {
    const d = await deploy('quiet', { env: { PIPESTORE_SCHEDULER: 'off' } });
    d.one('sst.aws.Function', 'SchedulerFunction');
    expect(d.all('sst.aws.CronV2').map((c) => c.name)).toEqual(['Cleanup']);
    expect(d.outputs.scheduler).toBe('off');
  });

  it('deploy-time settings: schedule, retention and an existing Postgres instead of Aurora', async () => {
    const d = await deploy('prod-eu', {
      env: { PIPESTORE_EXTERNAL_DATABASE: 'true', PIPESTORE_CLEANUP_SCHEDULE: 'cron(0 3 * * ? *)', DLQ_RETENTION_DAYS: '14', RUN_RETENTION_DAYS: '90' },
    });
    expect(d.all('sst.aws.Vpc')).toEqual([]);
    expect(d.all('sst.aws.Aurora')).toEqual([]);
    const url = d.one('sst.Secret', 'DatabaseUrl');
    const token = d.one('sst.Secret', 'AdminToken');
    expect(d.one('sst.aws.Function', 'ApiFunction').args.link).toEqual([url.self, token.self]);
    expect(d.one('sst.aws.CronV2', 'Cleanup').args).toMatchObject({ schedule: 'cron(0 3 * * ? *)' });
    expect(d.one('sst.aws.Function', 'CleanupFunction').args.link).toEqual([url.self]);
    for (const fn of d.functions()) expect(fn.environment).toEqual({ DLQ_RETENTION_DAYS: '14', RUN_RETENTION_DAYS: '90' });
    expect(d.outputs.database).toMatch(/external/);

    await expect(deploy('x', { env: { PIPESTORE_PROTECT: 'yes please' } })).rejects.toThrow(/PIPESTORE_PROTECT: expected true or false/);
    await expect(deploy('x', { env: { PIPESTORE_CLEANUP_SCHEDULE: 'every hour' } })).rejects.toThrow(/PIPESTORE_CLEANUP_SCHEDULE: expected rate/);
    await expect(deploy('x', { env: { PIPESTORE_DB_MAX_ACU: 'lots' } })).rejects.toThrow(/PIPESTORE_DB_MAX_ACU/);
  });

  it('PIPESTORE_DB_PROXY=true: an RDS Proxy in front of the cluster, and every function in its VPC, told to connect through it', async () => {
    const d = await deploy('production', { env: { PIPESTORE_DB_PROXY: 'true' } });
    const vpc = d.one('sst.aws.Vpc');
    const aurora = d.one('sst.aws.Aurora', 'Database');
    expect(aurora.args).toMatchObject({ engine: 'postgres', proxy: true, dataApi: true });
    // SST leaves TLS optional on its proxy: required here.
    expect(aurora.args.transform.proxy).toEqual({ requireTls: true });
    expect(aurora.args.vpc).toBe(vpc.self);
    for (const fn of d.functions()) {
      expect(fn.vpc, fn.handler).toBe(vpc.self);
      expect(fn.environment, fn.handler).toEqual({ PIPESTORE_DB_PROXY: 'true' });
      expect(fn.link[0], fn.handler).toBe(aurora.self);
    }
    expect(d.functions()).toHaveLength(5);

    // The Data API shape (the default) has neither: no proxy, functions outside the VPC.
    const plain = await deploy('production', { env: { PIPESTORE_DB_PROXY: 'false' } });
    expect(plain.one('sst.aws.Aurora').args.proxy).toBeUndefined();
    expect(plain.one('sst.aws.Aurora').args.transform.proxy).toBeUndefined();
    for (const fn of plain.functions()) {
      expect(fn.vpc).toBeUndefined();
      expect(fn.environment).toEqual({});
    }

    await expect(deploy('x', { env: { PIPESTORE_DB_PROXY: 'yes' } })).rejects.toThrow(/PIPESTORE_DB_PROXY: expected true or false/);
    await expect(deploy('x', { env: { PIPESTORE_DB_PROXY: 'true', PIPESTORE_EXTERNAL_DATABASE: 'true' } })).rejects.toThrow(
      /PIPESTORE_DB_PROXY.*pooled endpoint/,
    );
  });

  it('protection is an explicit setting: PIPESTORE_PROTECT=true protects any stage, false unprotects production', async () => {
    // The README's external-database example: a stage not named production, protected.
    const external = await deploy('prod-eu', { env: { PIPESTORE_PROTECT: 'true', PIPESTORE_EXTERNAL_DATABASE: 'true' } });
    expect(external.app).toMatchObject({ removal: 'retain', protect: true });

    const aurora = await deploy('prod-us', { env: { PIPESTORE_PROTECT: 'true' } });
    expect(aurora.app).toMatchObject({ removal: 'retain', protect: true });
    expect(aurora.one('sst.aws.Aurora').args.transform.cluster).toMatchObject({ deletionProtection: true, skipFinalSnapshot: false });

    const unprotected = await deploy('production', { env: { PIPESTORE_PROTECT: 'false' } });
    expect(unprotected.app).toMatchObject({ removal: 'remove', protect: false });
    expect(unprotected.one('sst.aws.Aurora').args.transform.cluster).toMatchObject({ deletionProtection: false, skipFinalSnapshot: true });
  });
});
