/** The `schedules` commands' implementations, loaded only when one of them runs (see commands/schedules.ts). */
import { projectExists } from '../../core/projects';
import { type Schedule, listSchedules, tickSchedules } from '../../core/schedules';
import { type GlobalOptions, describeTarget, report, withDatabase } from '../context';
import { CliError, EXIT } from '../exit-codes';

export async function tick(flags: { now?: Date; project?: string; dryRun?: boolean }, options: GlobalOptions) {
  await withDatabase(options, async (database, config) => {
    const result = await tickSchedules({ db: database.db, now: flags.now, dryRun: flags.dryRun, projectId: flags.project });
    report(options, result, () =>
      [
        `${result.dryRun ? 'would fire' : 'fired'} ${result.fired.length} schedule slot(s) at ${result.now} in ${describeTarget(config)} (${result.durationMs} ms, ${result.roundTrips} round trips)`,
        ...result.fired.map(
          (f) => `  ${f.pipelineId}  ${f.scheduledFor}${f.missedSlots ? `  (${f.missedSlots} missed)` : ''}${f.runId ? `  -> ${f.runId}` : ''}`,
        ),
        ...(result.complete ? [] : ['not complete: run it again']),
      ].join('\n'),
    );
    if (!result.complete) process.exitCode = EXIT.checkFailed;
  });
}

export async function list(flags: { project: string }, options: GlobalOptions) {
  await withDatabase(options, async (database) => {
    const { db } = database;
    if (!(await projectExists({ db, input: { projectId: flags.project } }))) throw new CliError(`project ${flags.project} does not exist`, EXIT.checkFailed);
    const items: Schedule[] = [];
    let cursor: string | undefined;
    do {
      const page = await listSchedules({ db, input: { projectId: flags.project, limit: 200, cursor } });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    report(options, { items }, () =>
      items.length === 0
        ? 'no scheduled pipelines'
        : items
            .map((s) =>
              [
                s.pipelineName.padEnd(24),
                s.expression.padEnd(16),
                s.timezone.padEnd(20),
                (s.enabled ? 'enabled' : 'paused').padEnd(8),
                `next ${s.nextRunAt ?? '-'}`.padEnd(30),
                s.lastRun ? `last ${s.lastRun.scheduledFor} ${s.lastRun.status}` : 'never fired',
              ].join(' '),
            )
            .join('\n'),
    );
  });
}
