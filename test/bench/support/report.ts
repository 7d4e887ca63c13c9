/**
 * What `npm run bench` writes: the machine it ran on, then one section per benchmark with its
 * goals (met or not) and its tables, as Markdown for test/bench/RESULTS.md.
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';

export type Row = Record<string, unknown>;

export interface Goal {
  figure: string;
  value: number;
  /** e.g. ">= 0.7"; absent when the issue asks for a figure without a goal. */
  goal?: string;
  met?: boolean;
}

export interface SectionResult {
  goals: Goal[];
  tables: { caption: string; rows: Row[] }[];
  notes?: string[];
}

export interface Section {
  id: string;
  title: string;
  /** How it is measured, one paragraph, printed above the tables. */
  method: string;
  run(): Promise<SectionResult>;
}

/** `value` against a lower or upper bound, for Goal.met. */
export const atLeast = (value: number, bound: number): Pick<Goal, 'goal' | 'met'> => ({ goal: `>= ${bound}`, met: value >= bound });
export const atMost = (value: number, bound: number): Pick<Goal, 'goal' | 'met'> => ({ goal: `<= ${bound}`, met: value <= bound });

export async function describeMachine(serverUrl: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const setting = async (name: string) => (await client.query(`show ${name}`)).rows[0][name] as string;
    const { rows } = await client.query<{ version: string }>('select version()');
    const cpus = os.cpus();
    return {
      date: new Date().toISOString(),
      commit: git(['rev-parse', '--short', 'HEAD']) + (git(['status', '--porcelain']) ? ' (with uncommitted changes)' : ''),
      cpu: `${cpus.length} × ${cpus[0]?.model ?? 'unknown'}`,
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      os: `${os.type()} ${os.release()}`,
      node: process.version,
      postgres: rows[0]!.version.split(' on ')[0]!,
      'postgres settings': `shared_buffers ${await setting('shared_buffers')}, synchronous_commit ${await setting('synchronous_commit')}, fsync ${await setting('fsync')}`,
    };
  } finally {
    await client.end();
  }
}

const git = (args: string[]) => {
  try {
    return execFileSync('git', args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

export const loadAverage = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

const cell = (value: unknown) =>
  String(value ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '_no rows_';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => '---').join('|')}|`,
    ...rows.map((row) => `| ${columns.map((c) => cell(row[c])).join(' | ')} |`),
  ].join('\n');
}

export const goalRows = (goals: Goal[]): Row[] =>
  goals.map((g) => ({ figure: g.figure, value: g.value, goal: g.goal ?? '(reported)', '': g.goal ? (g.met ? 'met' : 'MISSED') : '' }));

export interface SectionRecord {
  section: Section;
  result?: SectionResult;
  error?: string;
  seconds: number;
  loadBefore: string;
  loadAfter: string;
}

export function renderReport(machine: Row, records: SectionRecord[], command: string): string {
  const summary = records.flatMap(({ section, result, error }) =>
    error
      ? [{ section: section.title, figure: 'failed', value: error, goal: '', '': '' }]
      : goalRows(result!.goals).map((r) => ({ section: section.title, ...r })),
  );
  const parts = [
    '# pipestore benchmark results',
    '',
    `Written by \`${command}\`. Every figure is a median over repeats; ratios compare sides measured in the same run, alternating, on the same PostgreSQL. This machine is shared and noisy: compare ratios, not absolute times.`,
    '',
    '## Machine',
    '',
    markdownTable(Object.entries(machine).map(([what, value]) => ({ what, value }))),
    '',
    '## Goals',
    '',
    markdownTable(summary),
  ];
  for (const { section, result, error, seconds, loadBefore, loadAfter } of records) {
    parts.push('', `## ${section.title}`, '', section.method, '', `_${seconds.toFixed(0)} s; load average ${loadBefore} before, ${loadAfter} after._`, '');
    if (error) {
      parts.push(`**Failed:** \`${error}\``);
      continue;
    }
    for (const table of result!.tables) parts.push(`**${table.caption}**`, '', markdownTable(table.rows), '');
    for (const note of result!.notes ?? []) parts.push(`- ${note}`);
  }
  return `${parts.join('\n').trimEnd()}\n`;
}
