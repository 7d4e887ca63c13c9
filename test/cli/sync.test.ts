/**
 * `pipestore sync` as a subprocess, the way operators and CI run it: direct mode against a fresh
 * store (an embedded file store, or a scratch Postgres database when TEST_DATABASE_URL is set),
 * and API mode against an in-process server. Steps build on each other (one store per mode) to
 * keep the number of subprocesses, about 1-2 s each, small.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newProject, testApi, type TestApi } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { jsonOf, runCli } from './support/run-cli';
import { freshSyncTarget, pipelineSource, type SyncTarget, tempDir, writeFile } from './support/sync-fixtures';

const SLOW = 60_000;

/** The three starting files: one per loader path (.ts, .mts, .js importing a local helper). */
function writeStartingFiles(dir: string): void {
  writeFile(dir, 'alpha.ts', pipelineSource('alpha'));
  writeFile(dir, 'nested/beta.mts', pipelineSource('beta', { description: 'first' }));
  writeFile(dir, '_shared.mjs', "export const stages = [{ id: 'only', tasks: [{ id: 't', task: 'shared.v1' }] }];\n");
  writeFile(dir, 'gamma.js', pipelineSource('gamma', { prelude: "import { stages } from './_shared.mjs';", stages: 'stages' }));
}

const byName = (report: { pipelines: { name: string }[] }) => Object.fromEntries(report.pipelines.map((p) => [p.name, p])) as Record<string, any>;

describe(`sync, direct mode (${TEST_DATABASE_URL ? 'postgres' : 'embedded store'})`, () => {
  let target: SyncTarget;
  let dir: string;
  const sync = (...flags: string[]) => runCli(['sync', dir, '--project', target.projectId, ...flags], { DATABASE_URL: target.url });

  beforeAll(async () => {
    target = await freshSyncTarget(TEST_DATABASE_URL);
    dir = tempDir('sync-files');
    writeStartingFiles(dir);
  }, SLOW);
  afterAll(async () => {
    await target?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'dry-run writes nothing; sync creates; a second sync changes nothing and says so',
    async () => {
      const dry = await sync('--dry-run', '--json');
      expect(dry.code, dry.stderr).toBe(0);
      expect(jsonOf(dry).summary).toMatchObject({ files: 3, create: 3, update: 0, unchanged: 0 });
      expect(await target.inspect()).toEqual({ pipelines: [], versions: 0 });

      const first = await sync('--json');
      expect(first.code, first.stderr).toBe(0);
      const created = jsonOf(first);
      expect(created.summary).toMatchObject({ create: 3, evaluated: 3, skipped: 0 });
      expect(Object.keys(byName(created)).sort()).toEqual(['alpha', 'beta', 'gamma']);
      const state = await target.inspect();
      expect(state.versions).toBe(3);
      expect(state.pipelines.map((p) => [p.name, p.activeVersion, p.description])).toEqual([
        ['alpha', 1, null],
        ['beta', 1, 'first'],
        ['gamma', 1, null],
      ]);
      expect(state.pipelines.every((p) => /^[0-9a-f]{64}$/.test(p.activeSourceHash ?? ''))).toBe(true);

      // Human output this time: the operator is told nothing happened, and no file was evaluated.
      const second = await sync();
      expect(second.code, second.stderr).toBe(0);
      expect(second.stdout).toMatch(/^Nothing to do: .* in sync; 3 unchanged \(3 skipped by source hash\)\.$/m);
      expect(await target.inspect()).toEqual(state);
    },
    SLOW,
  );

  it(
    'editing one file gives exactly one new version, active; --check flips from 1 to 0',
    async () => {
      writeFile(dir, 'alpha.ts', pipelineSource('alpha', { task: 'compile-v2' }));
      const before = await sync('--check');
      expect(before.code).toBe(1);
      expect(before.stdout).toMatch(/Out of sync/);
      expect(before.stdout).toMatch(/update\s+alpha\s+new definition; alpha\.ts/);

      const applied = jsonOf(await sync('--json'));
      expect(applied.summary).toMatchObject({ update: 1, unchanged: 2, skipped: 2, evaluated: 1 });
      expect(byName(applied).alpha).toMatchObject({ action: 'update', definition: true, metadata: [], version: 2, newVersion: true });

      const state = await target.inspect();
      expect(state.versions).toBe(4);
      expect(state.pipelines.find((p) => p.name === 'alpha')?.activeVersion).toBe(2);

      const after = await sync('--check', '--json');
      expect(after.code).toBe(0);
      expect(jsonOf(after).inSync).toBe(true);
    },
    SLOW,
  );

  it(
    'a helper edit re-evaluates its importer; metadata-only change; --prune deletes what left the code',
    async () => {
      writeFile(dir, '_shared.mjs', "export const stages = [{ id: 'only', tasks: [{ id: 't', task: 'shared.v2' }] }];\n");
      writeFile(dir, 'nested/beta.mts', pipelineSource('beta', { description: 'second' }));
      rmSync(join(dir, 'alpha.ts'));

      const result = await sync('--prune', '--json');
      expect(result.code, result.stderr).toBe(0);
      const items = byName(jsonOf(result));
      expect(items.gamma).toMatchObject({ action: 'update', definition: true, version: 2 });
      expect(items.beta).toMatchObject({ action: 'update', definition: false, metadata: ['description'] });
      expect(items.alpha).toMatchObject({ action: 'prune' });

      const state = await target.inspect();
      expect(state.pipelines.map((p) => [p.name, p.activeVersion, p.description])).toEqual([
        ['beta', 1, 'second'],
        ['gamma', 2, null],
      ]);
      expect(state.versions).toBe(3);
    },
    SLOW,
  );

  it(
    'an invalid file: exit 5, every problem named with its file, nothing written',
    async () => {
      const before = await target.inspect();
      writeFile(dir, 'nested/beta.mts', pipelineSource('beta', { description: 'third' }));
      writeFile(dir, 'broken.ts', pipelineSource('Not A Slug', { stages: "[{ id: 'a', dependsOn: ['missing'] }]" }));
      writeFile(dir, 'plain.ts', 'export default { name: "plain", stages: [] };\n');

      const result = await sync();
      expect(result.code).toBe(5);
      expect(result.stderr).toMatch(/2 invalid pipeline file\(s\).*nothing was written/);
      expect(result.stderr).toMatch(/broken\.ts: name: must be a slug/);
      expect(result.stderr).toMatch(/broken\.ts: stages\.0\.dependsOn\.0: stage "a" depends on unknown stage "missing"/);
      expect(result.stderr).toMatch(/plain\.ts: the default export is not a definePipeline\(\) value/);
      expect(await target.inspect()).toEqual(before);
    },
    SLOW,
  );
});

describe('sync, API mode (--url, --api-key) against an in-process server', () => {
  let api: TestApi;
  let server: ReturnType<typeof serve>;
  let url: string;
  let key: string;
  let dir: string;
  const sync = (...flags: string[]) => runCli(['sync', dir, '--url', url, ...flags, '--json'], { PIPESTORE_API_KEY: key });
  const get = (path: string) => api.call('GET', path, { token: key });

  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api, 'sync-api')).key;
    await new Promise<void>((ready) => {
      server = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
        url = `http://127.0.0.1:${(info as AddressInfo).port}`;
        ready();
      });
    });
    dir = tempDir('sync-api');
    writeStartingFiles(dir);
  }, SLOW);
  afterAll(async () => {
    await new Promise((done) => server?.close(done));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'creates, finds nothing to do, registers one new version, prunes',
    async () => {
      const first = await sync();
      expect(first.code, first.stderr).toBe(0);
      expect(jsonOf(first).summary).toMatchObject({ create: 3 });
      expect((await get('/v1/pipelines/beta')).body).toMatchObject({ description: 'first', activeVersion: 1, labels: { team: 'data' } });

      const again = jsonOf(await sync());
      expect(again.inSync).toBe(true);
      expect(again.summary).toMatchObject({ create: 0, update: 0, unchanged: 3 });

      writeFile(dir, 'alpha.ts', pipelineSource('alpha', { task: 'compile-v2' }));
      rmSync(join(dir, 'gamma.js'));
      // Without --prune a pipeline that left the code is only reported, and does not count as a change.
      const check = await sync('--check');
      expect(check.code).toBe(1);
      expect(jsonOf(check)).toMatchObject({ summary: { update: 1, prune: 0 }, notInCode: ['gamma'] });

      const applied = await sync('--prune');
      expect(applied.code, applied.stderr).toBe(0);
      expect(byName(jsonOf(applied)).alpha).toMatchObject({ action: 'update', version: 2, newVersion: true });
      expect((await get('/v1/pipelines/alpha')).body.activeVersion).toBe(2);
      expect((await get('/v1/pipelines/gamma')).status).toBe(404);

      // The new version carries its source hash, so the edited file is now skipped unevaluated.
      const last = await sync('--check', '--prune');
      expect(last.code).toBe(0);
      expect(byName(jsonOf(last)).alpha).toMatchObject({ action: 'unchanged', skipped: true });
    },
    SLOW,
  );

  it(
    'a wrong API key is exit 3 and an unreachable API exit 4',
    async () => {
      const wrongKey = await runCli(['sync', dir, '--url', url, '--api-key', 'ps_wrong', '--dry-run']);
      expect(wrongKey.code).toBe(3);
      expect(wrongKey.stderr).toMatch(/rejected the API key/);
      const unreachable = await runCli(['sync', dir, '--url', 'http://127.0.0.1:9', '--api-key', key, '--dry-run']);
      expect(unreachable.code).toBe(4);
    },
    SLOW,
  );
});
