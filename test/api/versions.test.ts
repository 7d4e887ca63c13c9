import { describe, expect } from 'vitest';
import { contentHash } from '../../functions/core/hashing';
import { newPipeline } from '../support/api';
import { test } from '../support/fixtures';

const definitionNumber = (n: number) => ({ stages: [{ id: 'only', tasks: [{ id: 't', task: 'work', config: { n } }] }] });

describe('versions', () => {
  test('registers a new definition as the next number (201), the same one again as the existing version (200)', async ({ api, project: { key, call } }) => {
    const { id } = await newPipeline(api, key);
    const created = await call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(2) });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ number: 2, hash: contentHash(definitionNumber(2)), definition: definitionNumber(2) });
    const again = await call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(2) });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(created.body);
    // Registering does not move the active version.
    expect((await call('GET', `/v1/pipelines/${id}`)).body.activeVersion).toBe(1);
  });

  test('hashes the canonical JSON: key order does not make a new version', async ({ api, project: { key, call } }) => {
    const { id } = await newPipeline(api, key, { definition: { stages: [{ id: 'a', name: 'A', config: { x: 1, y: 2 } }] } });
    const reordered = { stages: [{ config: { y: 2, x: 1 }, name: 'A', id: 'a' }] };
    const res = await call('POST', `/v1/pipelines/${id}/versions`, { definition: reordered });
    expect(res.status).toBe(200);
    expect(res.body.number).toBe(1);
  });

  test('gets a version by number and by hash, and 404s unknown ones', async ({ api, project: { key, call } }) => {
    const pipeline = await newPipeline(api, key);
    const hash = pipeline.version.hash;
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/1`)).body.hash).toBe(hash);
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/${hash}`)).body.number).toBe(1);
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/9`)).status).toBe(404);
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/${'0'.repeat(64)}`)).status).toBe(404);
    const bad = await call('GET', `/v1/pipelines/${pipeline.id}/versions/latest`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('param.numberOrHash');
  });

  test('lists versions newest first across pages', async ({ api, project: { key, call } }) => {
    const { id } = await newPipeline(api, key);
    for (let n = 2; n <= 5; n++) await call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(n) });
    const numbers: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await call('GET', `/v1/pipelines/${id}/versions?limit=2${query}`);
      numbers.push(...res.body.items.map((v: { number: number }) => v.number));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(numbers).toEqual([5, 4, 3, 2, 1]);
  });

  test('activates an older version (rollback) with If-Match, and 412s a stale one', async ({ api, project: { key, call } }) => {
    const { id } = await newPipeline(api, key);
    await call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(2) });
    const forward = await call('POST', `/v1/pipelines/${id}/activate`, { version: 2 }, { 'If-Match': '"1"' });
    expect(forward.status).toBe(200);
    expect(forward.body).toMatchObject({ activeVersion: 2, revision: 2 });
    expect(forward.headers.get('etag')).toBe('"2"');
    const stale = await call('POST', `/v1/pipelines/${id}/activate`, { version: 1 }, { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    const rollback = await call('POST', `/v1/pipelines/${id}/activate`, { version: 1 }, { 'If-Match': '"2"' });
    expect(rollback.body).toMatchObject({ activeVersion: 1, revision: 3 });
  });

  test('404s activating a version that does not exist, and changes nothing', async ({ api, project: { key, call } }) => {
    const { id } = await newPipeline(api, key);
    const res = await call('POST', `/v1/pipelines/${id}/activate`, { version: 3 });
    expect(res.status).toBe(404);
    expect((await call('GET', `/v1/pipelines/${id}`)).body).toMatchObject({ activeVersion: 1, revision: 1 });
  });

  describe('under concurrency', () => {
    test('50 concurrent registrations of one definition leave exactly one version', async ({ api, project: { key, call } }) => {
      const { id } = await newPipeline(api, key);
      const results = await Promise.all(Array.from({ length: 50 }, () => call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(42) })));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(49);
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
      const list = await call('GET', `/v1/pipelines/${id}/versions?limit=200`);
      expect(list.body.items.map((v: { number: number }) => v.number)).toEqual([2, 1]);
    });

    test('50 concurrent registrations of different definitions number them 2..51 without a gap', async ({ api, project: { key, call } }) => {
      const { id } = await newPipeline(api, key);
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(i) })),
      );
      expect(results.every((r) => r.status === 201)).toBe(true);
      const list = await call('GET', `/v1/pipelines/${id}/versions?limit=200`);
      const numbers = list.body.items.map((v: { number: number }) => v.number).sort((a: number, b: number) => a - b);
      expect(numbers).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    });

    test('20 concurrent activations with the same If-Match let exactly one through', async ({ api, project: { key, call } }) => {
      const { id } = await newPipeline(api, key);
      await call('POST', `/v1/pipelines/${id}/versions`, { definition: definitionNumber(2) });
      const results = await Promise.all(Array.from({ length: 20 }, () => call('POST', `/v1/pipelines/${id}/activate`, { version: 2 }, { 'If-Match': '"1"' })));
      expect(results.filter((r) => r.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.status === 412)).toHaveLength(19);
      expect((await call('GET', `/v1/pipelines/${id}`)).body).toMatchObject({ activeVersion: 2, revision: 2 });
    });
  });
});
