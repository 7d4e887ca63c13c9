/**
 * The client's retry, idempotency and error rules, against a scripted fetch (no server): which
 * answers are retried and which are final, that a POST keeps its Idempotency-Key across retries,
 * that waits honour Retry-After and the deadline, and what a caller gets back.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PipestoreConnectionError, PipestoreError, type UNEXPECTED_RESPONSE, createClient, updateWithRetry } from '../../functions/client';
import type { ProblemCode } from '../../functions/core/problem-codes';
import { backoffMs, DEFAULT_RETRY, retryAfterMs } from '../../functions/client/retry';

type Step = Response | Error | 'hang';
interface Sent {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
}

/** A fetch that answers from a script, one step per request, and records what was sent. */
function scriptedFetch(...steps: Step[]) {
  const sent: Sent[] = [];
  const fetch = async (url: string | URL | Request, init: RequestInit = {}) => {
    sent.push({ method: init.method ?? 'GET', url: String(url), headers: new Headers(init.headers), body: init.body as string | undefined });
    const step = steps.shift() ?? new Error('script exhausted');
    if (step === 'hang') {
      return new Promise<Response>((_, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    }
    if (step instanceof Error) throw new TypeError('fetch failed', { cause: step });
    return step;
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, code: string, headers: Record<string, string> = {}, more: Record<string, unknown> = {}) =>
  new Response(
    JSON.stringify({ type: `https://pipestore.dev/problems/${code}`, title: 't', status, detail: `${code} happened`, code, requestId: 'req-1', ...more }),
    {
      status,
      headers: { 'Content-Type': 'application/problem+json', ...headers },
    },
  );
const run = { id: 'run_1', revision: 1, status: 'pending' };
const fast = { baseDelayMs: 1, maxDelayMs: 2 };
const client = (fetch: typeof globalThis.fetch, retry = {}) =>
  createClient({ baseUrl: 'http://pipestore.test/', apiKey: 'ps_key', fetch, retry: { ...fast, ...retry } });

describe('retries', () => {
  it('a POST retried after 503 and a lost connection sends one Idempotency-Key, and reports the replay', async () => {
    const { fetch, sent } = scriptedFetch(problem(503, 'database_unavailable'), new Error('socket hang up'), json(201, run, { 'Idempotent-Replayed': 'true' }));
    const result = await client(fetch)
      .runs.create({ id: 'pl_1', body: { input: { n: 1 } } })
      .withResponse();
    expect(result).toMatchObject({ data: run, status: 201, replayed: true, attempts: 3 });
    const keys = sent.map((s) => s.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys)).toEqual(new Set([result.idempotencyKey]));
    expect(sent.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('POST http://pipestore.test/v1/pipelines/pl_1/runs'));
    expect(sent.every((s) => s.body === '{"input":{"n":1}}' && s.headers.get('authorization') === 'Bearer ps_key')).toBe(true);
  });

  it('each logical call gets its own key; a caller-given key is used as is', async () => {
    const { fetch, sent } = scriptedFetch(json(201, run), json(201, run), json(201, run));
    const api = client(fetch);
    await api.runs.create({ id: 'pl_1' });
    await api.runs.create({ id: 'pl_1' });
    await api.runs.create({ id: 'pl_1', idempotencyKey: 'order-42' });
    const keys = sent.map((s) => s.headers.get('idempotency-key'));
    expect(keys[0]).not.toBe(keys[1]);
    expect(keys[2]).toBe('order-42');
  });

  it('429 is retried too', async () => {
    const { fetch, sent } = scriptedFetch(problem(429, 'rate_limited', { 'Retry-After': '0' }), json(200, run));
    expect(await client(fetch).runs.get({ id: 'run_1' })).toEqual(run);
    expect(sent).toHaveLength(2);
  });

  it('waits at least Retry-After (seconds) before the next attempt', async () => {
    const { fetch } = scriptedFetch(problem(503, 'database_unavailable', { 'Retry-After': '1' }), json(200, run));
    const started = performance.now();
    await client(fetch).runs.get({ id: 'run_1' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(995);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10_000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });

  it('backs off exponentially with jitter, capped', () => {
    const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(policy, n, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(policy, n, () => 1))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('does not start a wait that would end past the deadline: the 503 is the answer', async () => {
    const { fetch, sent } = scriptedFetch(problem(503, 'database_unavailable', { 'Retry-After': '10' }), json(200, run));
    const started = performance.now();
    const error = await client(fetch, { deadlineMs: 2_000 })
      .runs.get({ id: 'run_1' })
      .catch((e) => e);
    expect(performance.now() - started).toBeLessThan(500);
    expect(error).toBeInstanceOf(PipestoreError);
    expect(error).toMatchObject({ status: 503, code: 'database_unavailable', retryAfterMs: 10_000, attempts: 1 });
    expect(sent).toHaveLength(1);
  });

  it('a call that never answers ends at its deadline', async () => {
    const { fetch } = scriptedFetch('hang', 'hang');
    const error = await client(fetch, { deadlineMs: 300 })
      .runs.get({ id: 'run_1' })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PipestoreConnectionError);
    expect(error).toMatchObject({ timedOut: true, operation: 'getRun' });
  });

  it('stops after the attempts it was given', async () => {
    const { fetch, sent } = scriptedFetch(...Array.from({ length: 5 }, () => problem(503, 'database_unavailable')));
    const error = await client(fetch, { attempts: 3 })
      .runs.get({ id: 'run_1' })
      .catch((e) => e);
    expect(error).toMatchObject({ status: 503, attempts: 3 });
    expect(sent).toHaveLength(3);
  });

  it('retry: false is one attempt', async () => {
    const { fetch, sent } = scriptedFetch(problem(503, 'database_unavailable'), json(200, run));
    const api = createClient({ baseUrl: 'http://pipestore.test', apiKey: 'k', fetch, retry: false });
    await expect(api.runs.get({ id: 'run_1' })).rejects.toMatchObject({ status: 503 });
    expect(sent).toHaveLength(1);
  });

  it('an abort signal ends the call and its retries', async () => {
    const { fetch, sent } = scriptedFetch(problem(503, 'database_unavailable', { 'Retry-After': '5' }), json(200, run));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('caller gave up')), 50);
    await expect(client(fetch).runs.get({ id: 'run_1', signal: controller.signal })).rejects.toThrow('caller gave up');
    expect(sent).toHaveLength(1);
  });
});

describe('what is never retried', () => {
  it.each([400, 401, 404, 409, 412, 422])('a %i is final', async (status) => {
    const { fetch, sent } = scriptedFetch(problem(status, 'some_code'), json(201, run));
    await expect(client(fetch).runs.create({ id: 'pl_1' })).rejects.toMatchObject({ status });
    expect(sent).toHaveLength(1);
  });

  it('after a lost connection, a PATCH, a DELETE and a POST without declared idempotency are not repeated', async () => {
    for (const call of [
      (api: ReturnType<typeof client>) => api.runs.update({ id: 'run_1', body: { status: 'running' } }),
      (api: ReturnType<typeof client>) => api.pipelines.delete({ id: 'pl_1' }),
      (api: ReturnType<typeof client>) => api.projects.create({ body: { name: 'p' } }),
    ]) {
      const { fetch, sent } = scriptedFetch(new Error('socket hang up'), json(200, run));
      await expect(call(client(fetch))).rejects.toBeInstanceOf(PipestoreConnectionError);
      expect(sent).toHaveLength(1);
    }
  });

  it('after a lost connection, a GET and a PUT are repeated', async () => {
    const get = scriptedFetch(new Error('reset'), json(200, run));
    await client(get.fetch).runs.get({ id: 'run_1' });
    const put = scriptedFetch(new Error('reset'), json(200, { key: 'k' }));
    await client(put.fetch).taskResults.put({ key: 'k', body: { result: 1, ttlSeconds: 60 } });
    expect([get.sent.length, put.sent.length]).toEqual([2, 2]);
  });
});

describe('errors', () => {
  it('a problem becomes a PipestoreError with status, code, field errors and request id', async () => {
    const errors = [{ path: 'definition.stages.0.id', message: 'duplicate' }];
    const { fetch } = scriptedFetch(problem(400, 'validation_failed', {}, { errors }));
    const error = await client(fetch)
      .pipelines.create({ body: { name: 'x', definition: { stages: [] } } })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PipestoreError);
    expect(error).toMatchObject({ status: 400, code: 'validation_failed', errors, requestId: 'req-1', operation: 'createPipeline', attempts: 1 });
    expect(error.message).toBe('400 validation_failed: validation_failed happened');
  });

  it('`code` is typed by the closed list of problem codes, so a switch over it is checked', async () => {
    expectTypeOf<PipestoreError['code']>().toEqualTypeOf<ProblemCode | typeof UNEXPECTED_RESPONSE>();
    // @ts-expect-error a code the API never answers with is not a PipestoreError code
    const unknown: PipestoreError['code'] = 'no_such_code';
    expect(unknown).toBe('no_such_code');
    const advice = (code: PipestoreError['code']) => {
      switch (code) {
        case 'illegal_transition':
          return 'read the run again';
        case 'not_found':
          return 'gone';
        default:
          return 'other';
      }
    };
    const { fetch } = scriptedFetch(problem(409, 'illegal_transition'));
    const error: PipestoreError = await client(fetch)
      .runs.update({ id: 'run_1', body: { status: 'running' } })
      .catch((e) => e);
    expect(advice(error.code)).toBe('read the run again');
  });

  it('an error that is not problem+json is `unexpected_response`, with the header request id', async () => {
    const { fetch } = scriptedFetch(
      new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'Content-Type': 'text/html', 'X-Request-Id': 'gw-9' } }),
    );
    await expect(client(fetch).runs.get({ id: 'run_1' })).rejects.toMatchObject({ status: 502, code: 'unexpected_response', requestId: 'gw-9', problem: null });
  });
});

describe('requests', () => {
  it('path parameters are encoded, the rest is the query, ifMatch is the ETag of the revision', async () => {
    const { fetch, sent } = scriptedFetch(json(200, { items: [], nextCursor: null }), json(200, run), json(200, run));
    const api = client(fetch);
    await api.runs.listForPipeline({ id: 'a/b c', status: 'running', limit: 10 }).page();
    await api.runs.update({ id: 'run_1', ifMatch: 7, body: { status: 'running' } });
    await api.pipelines.update({ id: 'pl_1', ifMatch: '"8"', body: { description: 'd' } });
    expect(sent[0]!.url).toBe('http://pipestore.test/v1/pipelines/a%2Fb%20c/runs?status=running&limit=10');
    expect(sent[1]!.headers.get('if-match')).toBe('"7"');
    expect(sent[2]!.headers.get('if-match')).toBe('"8"');
    expect(sent[1]!.headers.get('content-type')).toBe('application/json');
    expect(sent[0]!.headers.has('idempotency-key')).toBe(false);
  });

  it('a list follows nextCursor until it is null', async () => {
    const { fetch, sent } = scriptedFetch(
      json(200, { items: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c1' }),
      json(200, { items: [{ id: 'c' }], nextCursor: 'c2' }),
      json(200, { items: [], nextCursor: null }),
    );
    const ids: string[] = [];
    for await (const pipeline of client(fetch).pipelines.list({ limit: 2 })) ids.push(pipeline.id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(sent.map((s) => new URL(s.url).search)).toEqual(['?limit=2', '?limit=2&cursor=c1', '?limit=2&cursor=c2']);
  });
});

describe('updateWithRetry', () => {
  it('re-reads and re-applies on 412, a bounded number of times', async () => {
    let revision = 1;
    const writes: number[] = [];
    const result = await updateWithRetry(
      async () => ({ revision }),
      async (current) => {
        writes.push(current.revision);
        if (revision < 3) {
          revision++; // someone else wrote in between
          throw new PipestoreError({ status: 412, problem: null, text: '', requestId: null, retryAfterMs: null, operation: 'updateRun', attempts: 1 });
        }
        return 'written';
      },
    );
    expect(result).toBe('written');
    expect(writes).toEqual([1, 2, 3]);

    const always412 = updateWithRetry(
      async () => ({ revision: 1 }),
      async () => {
        throw new PipestoreError({ status: 412, problem: null, text: '', requestId: null, retryAfterMs: null, operation: 'updateRun', attempts: 1 });
      },
      { attempts: 2 },
    );
    await expect(always412).rejects.toMatchObject({ status: 412 });
  });
});
