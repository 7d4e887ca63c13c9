/**
 * Driver conformance of the project-wide reads: the same filters give the same pages (ids, order,
 * cursors), the same stats, the same activation history and the same diff on PGlite,
 * node-postgres and the RDS Data API (through the real AWS SDK client, test/support/data-api).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { RUN_STATUSES, RUN_TRIGGERS, pipelineRuns, pipelines, projects } from '../../db/schema';
import { listActivations } from '../../functions/core/activations';
import { activateVersion, createPipeline } from '../../functions/core/pipelines';
import { listProjectRuns, type RunFilters } from '../../functions/core/run-queries';
import { runStats } from '../../functions/core/run-stats';
import { diffVersions } from '../../functions/core/version-diff';
import { registerVersion } from '../../functions/core/versions';
import { FRESH_DATABASES, type FreshDatabase, type FreshDatabaseFactory } from '../support/fresh-databases';

const drivers = Object.fromEntries(Object.entries(FRESH_DATABASES).filter((entry): entry is [string, FreshDatabaseFactory] => entry[1] !== undefined));

const PROJECT = 'proj_conformance_runs';
const NOW = Date.now();
const definition = (task: string) => ({ stages: [{ id: 'a', tasks: [{ id: 't', task, config: { n: 1 } }] }] });

/** Every page of each filter set, per driver, to compare across drivers at the end. */
const pagesByDriver: Record<string, unknown> = {};

describe.each(Object.keys(drivers))('project-wide reads on driver %s', (name) => {
  let subject: FreshDatabase;
  let database: Database;
  const names = ['conf-a', 'conf-b', 'conf-c'];
  const ids: string[] = [];

  beforeAll(async () => {
    subject = await drivers[name]!('run_queries');
    database = subject.database;
    await migrateDatabase(database);
    const db = database.db;
    await db.insert(projects).values({ id: PROJECT, name: 'conformance' });
    for (const [i, pipelineName] of names.entries()) {
      const { pipeline } = await createPipeline({
        db,
        input: { projectId: PROJECT, name: pipelineName, labels: { team: i < 2 ? 'data' : 'web' }, definition: definition('x'), keyId: 'key_conf' },
      });
      ids.push(pipeline.id);
    }
    await registerVersion({ db, input: { projectId: PROJECT, pipelineId: ids[0]!, definition: definition('y') } });
    await activateVersion({ db, input: { projectId: PROJECT, id: ids[0]!, version: 2, keyId: 'key_conf' } });
    const versions = await db.select({ id: pipelines.id, activeVersionId: pipelines.activeVersionId }).from(pipelines);
    const versionOf = new Map(versions.map((p) => [p.id, p.activeVersionId!]));
    // Deterministic ids and times (some shared: ties break on id), every status and trigger.
    const rows = Array.from({ length: 60 }, (_, n) => {
      const pipelineId = ids[n % 3]!;
      const createdAt = new Date(NOW - 3600_000 - ((n * 7) % 45) * 60_000);
      const status = RUN_STATUSES[n % RUN_STATUSES.length]!;
      const finished = ['succeeded', 'failed', 'timed_out'].includes(status);
      return {
        id: `run_conf_${String(n).padStart(3, '0')}`,
        projectId: PROJECT,
        pipelineId,
        versionId: versionOf.get(pipelineId)!,
        status,
        trigger: RUN_TRIGGERS[n % RUN_TRIGGERS.length]!,
        createdAt,
        startedAt: status === 'pending' ? null : createdAt,
        completedAt: finished ? new Date(createdAt.getTime() + 1000 * (1 + (n % 11))) : null,
      };
    });
    await db.insert(pipelineRuns).values(rows);
  });
  afterAll(() => subject?.teardown());

  const FILTERS: Record<string, () => RunFilters> = {
    none: () => ({}),
    pipelineByName: () => ({ pipelines: ['conf-b'] }),
    pipelinesAndStatuses: () => ({ pipelines: ['conf-a', 'conf-c'], statuses: ['failed', 'succeeded'] }),
    statuses: () => ({ statuses: ['running', 'timed_out'] }),
    trigger: () => ({ triggers: ['schedule'] }),
    label: () => ({ labels: [{ key: 'team', value: 'data' }] }),
    window: () => ({ createdAfter: new Date(NOW - 3600_000 - 30 * 60_000), createdBefore: new Date(NOW - 3600_000 - 10 * 60_000) }),
    everything: () => ({
      pipelines: ['conf-a', 'conf-b'],
      statuses: ['failed', 'cancelled', 'succeeded'],
      triggers: ['api', 'console'],
      labels: [{ key: 'team', value: 'data' }],
      createdAfter: new Date(NOW - 24 * 3600_000),
    }),
  };

  it('pages every filter set the same way', async () => {
    const pages: Record<string, unknown[]> = {};
    for (const [filterName, filters] of Object.entries(FILTERS)) {
      pages[filterName] = [];
      let cursor: string | undefined;
      do {
        const page = await listProjectRuns({ db: database.db, projectId: PROJECT, filters: filters(), cursor, limit: 7 });
        pages[filterName]!.push({
          ids: page.items.map((r) => r.id),
          names: page.items.map((r) => r.pipelineName),
          versions: page.items.map((r) => r.version),
          cursor: page.nextCursor,
        });
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    expect((pages.none as { ids: string[] }[]).flatMap((p) => p.ids)).toHaveLength(60);
    pagesByDriver[`runs ${name}`] = pages;
  });

  it('computes the same stats, history and diff', async () => {
    const stats = await runStats({ db: database.db, projectId: PROJECT });
    // Counts are exact whatever the driver (the rollups' trigger counted the bulk insert).
    expect(stats.total.counts).toEqual(Object.fromEntries(RUN_STATUSES.map((s) => [s, 10])));
    const history = await listActivations({ db: database.db, projectId: PROJECT, pipelineIdOrName: 'conf-a' });
    expect(history.items.map((a) => [a.fromVersion, a.toVersion, a.keyId])).toEqual([
      [1, 2, 'key_conf'],
      [null, 1, 'key_conf'],
    ]);
    const diff = await diffVersions({ db: database.db, projectId: PROJECT, pipelineIdOrName: 'conf-a', from: '1', to: '2' });
    expect(diff.changes).toEqual([{ type: 'changed', path: '$.stages[?(@.id=="a")].tasks[?(@.id=="t")].task', from: 'x', to: 'y' }]);
    pagesByDriver[`other ${name}`] = {
      stats: { total: stats.total, pipelines: stats.pipelines.map(({ pipelineId: _, ...rest }) => rest) },
      history: history.items.map(({ id: _, pipelineId: __, activatedAt: ___, ...rest }) => rest),
      diff: { ...diff, pipelineId: undefined },
    };
  });
});

describe('across drivers', () => {
  it('every driver gave what PGlite gave', () => {
    const drivers = Object.keys(FRESH_DATABASES).filter((d) => pagesByDriver[`runs ${d}`]);
    expect(drivers.length).toBeGreaterThanOrEqual(2);
    for (const driver of drivers) {
      expect(pagesByDriver[`runs ${driver}`], driver).toEqual(pagesByDriver['runs pglite']);
      expect(pagesByDriver[`other ${driver}`], driver).toEqual(pagesByDriver['other pglite']);
    }
  });
});
