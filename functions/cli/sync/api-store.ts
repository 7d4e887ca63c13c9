/**
 * The sync store over a deployed pipestore API (`--url`, `--api-key`): the project is the key's.
 * Unlike the direct store it cannot make the writes one transaction; every write is still
 * idempotent or conditional, so running sync again after a failure converges.
 */
import type { SyncedPipeline } from '../../core/sync';
import { CliError, EXIT } from '../exit-codes';
import { type SyncStore, changedUnderneath } from './store';

interface Problem {
  title?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/** Version reads per pipeline run this many at a time: enough to hide latency, gentle on the API. */
const CONCURRENCY = 8;

export function apiStore(url: string, apiKey: string): SyncStore {
  // Accept the service root with or without a trailing "/" or "/v1".
  const base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const target = `API ${base}`;

  async function call<T>(method: string, path: string, body?: unknown, revision?: number): Promise<{ status: number; body: T }> {
    let res: Response;
    try {
      res = await fetch(`${base}/v1${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${apiKey}`,
          ...(body !== undefined && { 'Content-Type': 'application/json' }),
          ...(revision !== undefined && { 'If-Match': `"${revision}"` }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new CliError(`API unreachable: ${base} (${(err as Error).cause ?? (err as Error).message})`, EXIT.unavailable);
    }
    const text = await res.text();
    try {
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    } catch {
      // Not JSON: a proxy or gateway page, or not a pipestore API at all. Keep a little for the message.
      return { status: res.status >= 300 ? res.status : 502, body: { title: 'not a JSON response', detail: text.slice(0, 200) } as T };
    }
  }

  /** Any non-2xx becomes a CliError with the exit code a script can act on. */
  function fail(method: string, path: string, status: number, problem: Problem, id?: string): never {
    if (status === 412 && id) throw changedUnderneath(id);
    const reason = `${method} /v1${path}: ${status} ${problem?.title ?? ''}${problem?.detail ? `: ${problem.detail}` : ''}`;
    if (status === 401) throw new CliError(`the API rejected the API key (${reason})`, EXIT.config);
    if (status === 502 || status === 503 || status === 504) throw new CliError(`API unavailable (${reason})`, EXIT.unavailable);
    throw new CliError(`API request failed: ${reason}`, EXIT.checkFailed, problem);
  }

  async function ok<T>(method: string, path: string, body?: unknown, revision?: number, id?: string): Promise<{ status: number; body: T }> {
    const res = await call<T>(method, path, body, revision);
    if (res.status >= 300) fail(method, path, res.status, res.body as Problem, id);
    return res;
  }

  // Until POST /v1/pipelines accepts sourceHash, a pipeline created through the API has no source
  // hash on version 1 and its file is evaluated on every sync (correct, just not skipped).
  let createTakesSourceHash = true;

  return {
    target,
    async list() {
      const items: { id: string; name: string; description: string | null; schedule: string | null; timezone?: string; scheduleEnabled?: boolean; labels: Record<string, string>; revision: number; activeVersion: number | null }[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page: { body: { items: typeof items; nextCursor: string | null } } = await ok('GET', `/pipelines${query}`);
        items.push(...page.body.items);
        cursor = page.body.nextCursor;
      } while (cursor);

      // The list does not carry version hashes: read each active version (immutable, so the API
      // serves repeats from memory).
      const result: SyncedPipeline[] = new Array(items.length);
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const i = next++;
          const p = items[i]!;
          let activeHash: string | null = null;
          let activeSourceHash: string | null = null;
          if (p.activeVersion !== null) {
            const v = await ok<{ hash: string; sourceHash: string | null }>('GET', `/pipelines/${p.id}/versions/${p.activeVersion}`);
            ({ hash: activeHash, sourceHash: activeSourceHash } = v.body);
          }
          const { id, name, description, schedule, labels, revision, activeVersion } = p;
          // An API from before schedules had a zone and a pause switch: its defaults.
          const { timezone = 'UTC', scheduleEnabled = true } = p;
          result[i] = { id, name, description, schedule, timezone, scheduleEnabled, labels, revision, activeVersion, activeHash, activeSourceHash };
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
      return result;
    },
    write: (run) =>
      run({
        async create({ sourceHash, ...input }) {
          const path = '/pipelines';
          let res = await call<{ version: { number: number } } & Problem>('POST', path, createTakesSourceHash ? { ...input, sourceHash } : input);
          if (res.status === 400 && res.body.errors?.some((e) => e.path === 'sourceHash')) {
            createTakesSourceHash = false;
            res = await call('POST', path, input);
          }
          if (res.status !== 201) fail('POST', path, res.status, res.body);
          return { version: res.body.version.number };
        },
        async registerVersion(id, definition, sourceHash) {
          const res = await ok<{ number: number }>('POST', `/pipelines/${id}/versions`, { definition, sourceHash });
          return { number: res.body.number, created: res.status === 201 };
        },
        async activate(id, version, revision) {
          return (await ok<{ revision: number }>('POST', `/pipelines/${id}/activate`, { version }, revision, id)).body.revision;
        },
        async update(id, patch, revision) {
          return (await ok<{ revision: number }>('PATCH', `/pipelines/${id}`, patch, revision, id)).body.revision;
        },
        async remove(id, revision) {
          await ok('DELETE', `/pipelines/${id}`, undefined, revision, id);
        },
      }),
  };
}
