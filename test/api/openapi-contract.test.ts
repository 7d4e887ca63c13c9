/**
 * The served OpenAPI document tells the whole truth about what every operation accepts and
 * answers: unknown query parameters are refused everywhere, the headers and statuses the
 * middleware produces are declared on every operation, and redocly's recommended rules pass.
 * (test/fuzz checks responses against it at random; test/client builds a typed client from it.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, newProject, testApi, type TestApi } from '../support/api';

type Operation = {
  operationId?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, unknown> }>;
};

describe('the OpenAPI document', () => {
  let api: TestApi;
  let key: string;
  let doc: { servers?: unknown[]; paths: Record<string, Record<string, Operation>> };
  let operations: { method: string; path: string; op: Operation; access: 'public' | 'admin' | 'project' }[];

  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api, 'contract')).key;
    doc = (await api.call('GET', '/openapi.json')).body;
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({
        method,
        path,
        op,
        access: op.security?.length === 0 ? ('public' as const) : path.startsWith('/v1/projects') ? ('admin' as const) : ('project' as const),
      })),
    );
  });

  it('passes redocly lint (recommended rules, operationIds required) with 0 errors', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pipestore-openapi-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify(doc, null, 2));
      // The CLI itself (not its library), as CI and a developer run it; without npx's lookup.
      const cli = join('node_modules', '@redocly', 'cli', 'bin', 'cli.js');
      const result = await promisify(execFile)(process.execPath, [cli, 'lint', file, '--format=json', '--config', 'redocly.yaml'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        maxBuffer: 16 * 1024 * 1024,
      }).catch((err: { stdout?: string; stderr?: string }) => err);
      const report = JSON.parse(result.stdout ?? '{}') as { totals?: { errors: number }; problems?: { ruleId: string; severity: string; message: string }[] };
      const errors = (report.problems ?? []).filter((p) => p.severity === 'error');
      expect(errors).toEqual([]);
      expect(report.totals?.errors).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names every operation, uniquely, and one template per pipeline path', () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(ids.filter((id) => !id)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.paths).filter((p) => p.includes('{idOrName}'))).toEqual([]);
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('refuses an unknown query parameter on every operation with a 400 naming it', async () => {
    const accepted: string[] = [];
    for (const { method, path, access } of operations) {
      const token = access === 'admin' ? ADMIN_TOKEN : access === 'project' ? key : undefined;
      const res = await api.call(method.toUpperCase(), `${path.replace(/\{[^}]+\}/g, 'x')}?unknownParam=1`, { token });
      const named = res.status === 400 && res.body.errors?.some((e: { path: string }) => e.path === 'query.unknownParam');
      if (!named) accepted.push(`${method} ${path}: ${res.status}`);
    }
    expect(accepted).toEqual([]);
  });

  it('declares what the middleware answers on every operation it answers for', () => {
    const missing: string[] = [];
    const need = (label: string, ok: boolean) => ok || missing.push(label);
    for (const { method, path, op, access } of operations) {
      const at = `${method} ${path}`;
      for (const status of ['400', '500', '503']) need(`${at} ${status}`, Boolean(op.responses[status]));
      if (access !== 'public') {
        need(`${at} 401 WWW-Authenticate`, Boolean(op.responses['401']?.headers?.['WWW-Authenticate']));
        need(`${at} 403`, Boolean(op.responses['403']));
      }
      need(`${at} 503 Retry-After`, Boolean(op.responses['503']?.headers?.['Retry-After']) || path === '/health');
      if (['post', 'put', 'patch'].includes(method)) for (const status of ['413', '415']) need(`${at} ${status}`, Boolean(op.responses[status]));
      if (op.parameters?.some((p) => p.in === 'header' && p.name === 'if-match')) need(`${at} 412`, Boolean(op.responses['412']));
      if (access === 'project' && method === 'post') {
        need(`${at} Idempotency-Key`, Boolean(op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key')));
        need(`${at} 422`, Boolean(op.responses['422']));
        need(`${at} 409 Retry-After`, Boolean(op.responses['409']?.headers?.['Retry-After']));
        const success = Object.entries(op.responses).filter(([s]) => s.startsWith('2'));
        for (const [status, response] of success) need(`${at} ${status} Idempotent-Replayed`, Boolean(response.headers?.['Idempotent-Replayed']));
      }
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '201' && access === 'project' && method === 'post') need(`${at} 201 Location`, Boolean(response.headers?.Location));
      }
    }
    expect(missing).toEqual([]);
  });
});
