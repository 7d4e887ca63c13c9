/**
 * The sync store over a deployed pipestore API (`--url`, `--api-key`): the project is the key's.
 * Unlike the direct store it cannot make the writes one transaction; every write is still
 * idempotent or conditional, so running sync again after a failure converges.
 */
import type { SyncedPipeline } from '../../core/sync';
import { PipestoreConnectionError, PipestoreError, createClient } from '../../client';
import { CliError, EXIT } from '../exit-codes';
import { type SyncStore, changedUnderneath } from './store';

/** Version reads per pipeline run this many at a time: enough to hide latency, gentle on the API. */
const CONCURRENCY = 8;

export function apiStore(url: string, apiKey: string): SyncStore {
  // The service root with or without a trailing "/" or "/v1" (the client accepts both too).
  const base = url.replace(/\/+$/, '').replace(/\/v1$/, '');
  const target = `API ${base}`;
  const client = createClient({ baseUrl: base, apiKey });

  /** Any failure becomes a CliError with the exit code a script can act on (a 412 on pipeline `id`: changed underneath). */
  async function ok<T>(call: Promise<T>, id?: string): Promise<T> {
    try {
      return await call;
    } catch (err) {
      if (err instanceof PipestoreConnectionError) throw new CliError(`API unreachable: ${base} (${err.message})`, EXIT.unavailable);
      if (!(err instanceof PipestoreError)) throw err;
      if (err.status === 412 && id) throw changedUnderneath(id);
      const reason = `${err.operation}: ${err.status} ${err.problem?.title ?? ''}${err.problem?.detail ? `: ${err.problem.detail}` : ''}`;
      if (err.status === 401) throw new CliError(`the API rejected the API key (${reason})`, EXIT.config);
      if (err.status === 502 || err.status === 503 || err.status === 504) throw new CliError(`API unavailable (${reason})`, EXIT.unavailable);
      throw new CliError(`API request failed: ${reason}`, EXIT.checkFailed, err.problem ?? undefined);
    }
  }

  return {
    target,
    async list() {
      const items = await ok(client.pipelines.list({ limit: 200 }).toArray());

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
            const v = await ok(client.versions.get({ id: p.id, numberOrHash: String(p.activeVersion) }));
            ({ hash: activeHash, sourceHash: activeSourceHash } = v);
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
        async create(input) {
          return { version: (await ok(client.pipelines.create({ body: input }))).version.number };
        },
        async registerVersion(id, definition, sourceHash) {
          const { data, status } = await ok(client.versions.register({ id, body: { definition, sourceHash } }).withResponse());
          return { number: data.number, created: status === 201 };
        },
        async activate(id, version, revision) {
          return (await ok(client.pipelines.activate({ id, ifMatch: revision, body: { version } }), id)).revision;
        },
        async update(id, patch, revision) {
          return (await ok(client.pipelines.update({ id, ifMatch: revision, body: patch }), id)).revision;
        },
        async remove(id, revision) {
          await ok(client.pipelines.delete({ id, ifMatch: revision }), id);
        },
      }),
  };
}
