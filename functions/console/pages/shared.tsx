import type { FC } from 'hono/jsx';
import { RUN_STATUSES } from '../../../db/schema';
import type { RunSummary } from '../../core/run-summaries';
import { Ago, Duration, ShortId, Status } from '../layout';
import type { FilterField } from '../list-controls';

export interface RunRow {
  id: string;
  status: string;
  version?: number;
  trigger?: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  pipelineName?: string;
}

/** The run-status select of a filter form. */
export const statusField = (value: string | undefined): FilterField => ({
  name: 'status',
  label: 'Status',
  value,
  any: 'any',
  options: RUN_STATUSES.map((s) => ({ value: s, text: s.replace('_', ' ') })),
});

export const isLive = (status: string) => status === 'pending' || status === 'running';

/** Runs as a table: status in text, relative times, durations; one row per run, linked. */
export const RunTable: FC<{ runs: RunRow[]; showPipeline?: boolean }> = ({ runs, showPipeline }) => (
  <div class="scroll">
    <table>
      <thead>
        <tr>
          <th>Run</th>
          {showPipeline && <th>Pipeline</th>}
          <th>Status</th>
          <th class="opt">Version</th>
          <th class="opt">Trigger</th>
          <th>Created</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr data-run={r.id}>
            <td>
              <ShortId id={r.id} href={`/console/runs/${r.id}`} />
            </td>
            {showPipeline && <td>{r.pipelineName ? <a href={`/console/pipelines/${r.pipelineName}`}>{r.pipelineName}</a> : '—'}</td>}
            <td>
              <Status status={r.status} />
            </td>
            <td class="opt">{r.version ?? '—'}</td>
            <td class="opt">{r.trigger ?? '—'}</td>
            <td>
              <Ago at={r.createdAt} />
            </td>
            <td>
              <Duration from={r.startedAt} to={r.completedAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </div>
);

/** The last runs as a strip of bars, oldest to newest, each with its status in the title. */
export const RunStrip: FC<{ runs: RunSummary[] }> = ({ runs }) => (
  <span class="strip" role="img" aria-label={`last ${runs.length} runs: ${countByStatus(runs)}`}>
    {[...runs].reverse().map((r) => (
      <span class={`b-${r.status}`} title={`${r.status} · ${r.createdAt}`} />
    ))}
  </span>
);

export function countByStatus(runs: { status: string }[]): string {
  const counts = new Map<string, number>();
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(', ') || 'none';
}
