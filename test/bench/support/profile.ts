/**
 * Where a request's time goes: every statement it sends through Drizzle's pool (`db.$client.query`,
 * as explainListRuns catches them), with its client-side time, and the part of the request after
 * the last statement answered (rendering, serialising). Then EXPLAIN (ANALYZE, BUFFERS) of each
 * distinct statement with the parameters it was sent with, on the admin connection.
 */
import type pg from 'pg';
import { median } from './args';

interface Statement {
  text: string;
  values: unknown[];
  ms: number[];
}

export interface RequestProfile {
  /** Median wall time of the request. */
  totalMs: number;
  /** Median time from the request's start to its last statement's answer. */
  untilLastAnswerMs: number;
  /** Median time after the last answer: rendering and everything else in Node. */
  afterLastAnswerMs: number;
  statements: { sql: string; perRequest: number; medianMs: number; executionMs: number | null; plan: string[] }[];
}

const shorten = (text: string) => text.replace(/\s+/g, ' ').slice(0, 160);

export async function profileRequests(db: object, admin: pg.Client, request: () => Promise<unknown>, count = 30): Promise<RequestProfile> {
  const pool = (db as { $client: { query: (...args: unknown[]) => Promise<unknown> } }).$client;
  const original = pool.query;
  const statements = new Map<string, Statement>();
  let lastAnswer = 0;
  pool.query = (...args: unknown[]) => {
    const query = args[0] as string | { text: string; values?: unknown[] };
    const text = typeof query === 'string' ? query : query.text;
    const values = (typeof query === 'string' ? args[1] : (query.values ?? args[1])) as unknown[] | undefined;
    const started = performance.now();
    const entry = statements.get(text) ?? { text, values: values ?? [], ms: [] };
    statements.set(text, entry);
    const result = original.apply(pool, args);
    return result.then((value) => {
      const ended = performance.now();
      entry.ms.push(ended - started);
      lastAnswer = Math.max(lastAnswer, ended);
      return value;
    });
  };
  const totals: number[] = [];
  const untilLast: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      lastAnswer = 0;
      const started = performance.now();
      await request();
      const ended = performance.now();
      totals.push(ended - started);
      untilLast.push(lastAnswer ? lastAnswer - started : 0);
    }
  } finally {
    pool.query = original;
  }
  const explained = [];
  for (const s of statements.values()) {
    let plan: string[] = [];
    let executionMs: number | null = null;
    try {
      const { rows } = await admin.query(`explain (analyze, buffers) ${s.text}`, s.values);
      plan = rows.map((r) => r['QUERY PLAN'] as string);
      const line = plan.find((l) => l.startsWith('Execution Time'));
      executionMs = line ? Number(/([\d.]+) ms/.exec(line)![1]) : null;
    } catch (err) {
      plan = [`(not explained: ${(err as Error).message})`];
    }
    explained.push({ sql: shorten(s.text), perRequest: s.ms.length / count, medianMs: Number(median(s.ms).toFixed(2)), executionMs, plan });
  }
  const totalMs = median(totals);
  const untilLastAnswerMs = median(untilLast);
  return { totalMs, untilLastAnswerMs, afterLastAnswerMs: median(totals.map((t, i) => t - untilLast[i]!)), statements: explained };
}
