/**
 * The console must not slow the API: the API bundle's cold start loads none of the console's code
 * (it sits in a chunk that only the first /console request imports), and the console's own
 * Lambda entry (behind the /console routes) has it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleEntry, loadedOutputs } from '../../infra/build';
import { lambdaFunction } from '../../infra/bundling';

const dir = mkdtempSync(join(tmpdir(), 'pipestore-console-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isConsole = (input: string) => input.startsWith('functions/console/') || input.includes('@dagrejs');

describe('console bundling', { timeout: 120_000 }, () => {
  it("keeps the console out of the API function's cold start", async () => {
    const api = await bundleEntry(lambdaFunction('api').entry, dir, 'api');
    // What init loads: everything but the drivers not configured and the console's chunk, which
    // only the dynamic import in the /console route reaches. Nothing of the console is left in it,
    // so no static import path leads there.
    const coldStart = loadedOutputs(api, /pglite|rds-data|functions\/console\//).flatMap((o) => o.inputs);
    expect(coldStart.filter(isConsole)).toEqual([]);
    expect(coldStart).toContain('functions/api/app.ts');
    // …yet it is in the bundle, for the first /console request.
    expect(api.inputs.some(isConsole)).toBe(true);
  });

  it('bundles the console function with its pages and graph layout', async () => {
    const fn = await bundleEntry(lambdaFunction('console').entry, dir, 'console');
    const loaded = loadedOutputs(fn, /pglite|rds-data/).flatMap((o) => o.inputs);
    expect(loaded).toContain('functions/console/app.tsx');
    expect(loaded.some((i) => i.includes('@dagrejs/dagre'))).toBe(true);
  });
});
