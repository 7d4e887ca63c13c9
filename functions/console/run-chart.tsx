/**
 * A pipeline's recent runs as a server-rendered SVG: one bar per run, placed by when it was
 * created, as tall as it took (started → completed), coloured by outcome through stylesheet
 * classes (the CSP allows no inline style). Each bar carries a <title> for a hover label and links
 * to its run, so the chart works with JavaScript off and reads in a screen reader as a list.
 */
import type { FC } from 'hono/jsx';
import type { RunSummary } from '../core/run-summaries';
import { formatDuration } from './layout';

const WIDTH = 640;
const HEIGHT = 160;
const PAD = { top: 10, right: 10, bottom: 22, left: 56 };
const BAR = 8;

const durationOf = (run: RunSummary) => (run.startedAt && run.completedAt ? Math.max(0, Date.parse(run.completedAt) - Date.parse(run.startedAt)) : null);

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

export const RunChart: FC<{ runs: RunSummary[] }> = ({ runs }) => {
  if (runs.length === 0) return <p class="empty">No runs to chart yet.</p>;
  const ordered = [...runs].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const first = Date.parse(ordered[0]!.createdAt);
  const last = Date.parse(ordered.at(-1)!.createdAt);
  const span = Math.max(1, last - first);
  const durations = ordered.map(durationOf).filter((ms): ms is number => ms !== null);
  const longest = Math.max(1, ...durations);
  const plotWidth = WIDTH - PAD.left - PAD.right - BAR;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (run: RunSummary) => PAD.left + (ordered.length === 1 ? plotWidth / 2 : ((Date.parse(run.createdAt) - first) / span) * plotWidth);
  return (
    <figure class="chart">
      <svg
        xmlns="http://www.w3.org/2000/svg"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        width={String(WIDTH)}
        height={String(HEIGHT)}
        role="img"
        aria-label={`Durations and outcomes of the last ${ordered.length} run(s)`}
      >
        <line class="axis" x1={String(PAD.left)} y1={String(HEIGHT - PAD.bottom)} x2={String(WIDTH - PAD.right)} y2={String(HEIGHT - PAD.bottom)} />
        <line class="axis" x1={String(PAD.left)} y1={String(PAD.top)} x2={String(PAD.left)} y2={String(HEIGHT - PAD.bottom)} />
        <text x={String(PAD.left - 4)} y={String(PAD.top + 8)} text-anchor="end">
          {durations.length ? formatDuration(longest) : ''}
        </text>
        <text x={String(PAD.left - 4)} y={String(HEIGHT - PAD.bottom)} text-anchor="end">
          0
        </text>
        <text x={String(PAD.left)} y={String(HEIGHT - 6)}>
          {day(first)}
        </text>
        <text x={String(WIDTH - PAD.right)} y={String(HEIGHT - 6)} text-anchor="end">
          {day(last)}
        </text>
        {ordered.map((run) => {
          const ms = durationOf(run);
          // Unfinished runs (and instant ones) still get a visible stub in their status colour.
          const height = Math.max(3, ms === null ? 3 : (ms / longest) * plotHeight);
          return (
            <a href={`/console/runs/${run.id}`}>
              <rect
                class={`bar b-${run.status}`}
                x={x(run).toFixed(0)}
                y={(HEIGHT - PAD.bottom - height).toFixed(0)}
                width={String(BAR)}
                height={height.toFixed(0)}
              >
                <title>{`${run.status.replace('_', ' ')} · ${ms === null ? 'not finished' : formatDuration(ms)} · ${day(Date.parse(run.createdAt))} UTC`}</title>
              </rect>
            </a>
          );
        })}
      </svg>
      <figcaption class="muted">{`Last ${ordered.length} run(s): bar height is the run's duration, colour its outcome.`}</figcaption>
    </figure>
  );
};
